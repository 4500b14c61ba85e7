import net from 'node:net';

/**
 * A TCP relay in front of a real server (the suite's s3rver) that passes everything through,
 * except that it cuts the connection of the first request `match` accepts once `afterBytes` of
 * its response went by: what a client sees when the server goes away in the middle of a read.
 */
export interface CuttingRelay {
  endpoint: string;
  /** How many responses were cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

const REQUEST_LINE = /(GET|HEAD|PUT|POST|DELETE) (\/\S*) HTTP\/1\.1\r\n/;

export async function cuttingRelay(target: string, cut: { match: (method: string, path: string) => boolean; afterBytes: number }): Promise<CuttingRelay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let cuts = 0;
  let armed = true;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    let counting = false;
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      const m = REQUEST_LINE.exec(chunk.toString('latin1'));
      if (armed && m && cut.match(m[1], m[2])) {
        armed = false;
        counting = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!counting) {
        client.write(chunk);
        return;
      }
      const room = cut.afterBytes - sent;
      if (chunk.length < room) {
        sent += chunk.length;
        client.write(chunk);
        return;
      }
      cuts++;
      client.write(chunk.subarray(0, room), () => end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port: relayPort } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${relayPort}`,
    get cuts() {
      return cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
