import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import { PROJECT_ROOT } from '../bench-database';

/**
 * The campaign's S3-compatible server: s3rver in a process of its own, behind a small TCP relay
 * that the service talks to. The relay changes nothing in the traffic; it is where the campaign
 * sees which request is in flight (a listing, the read of a given key and how many of its bytes
 * have gone by), so it can stop s3rver at that exact point. While s3rver is down the relay does
 * not listen either, so a client meets what it would meet without it: a cut connection, then
 * ECONNREFUSED until s3rver is back on the same port with the same objects.
 */

export interface SeenRequest { method: string; path: string }

/** Fires once: on the first request `match` accepts, after `afterBytes` of its response (0: at once). */
export interface Tap {
  match(req: SeenRequest): boolean;
  afterBytes: number;
  fire(req: SeenRequest, bytesSeen: number): void;
}

const REQUEST_LINE = /(GET|HEAD|PUT|POST|DELETE) (\/\S*) HTTP\/1\.1\r\n/g;

export const freePort = () => new Promise<number>((resolve, reject) => {
  const probe = net.createServer();
  probe.once('error', reject);
  probe.listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(port));
  });
});

export class ChaosS3 {
  private child: ChildProcess | null = null;
  private relay: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private tap: Tap | null = null;
  /** While set, requests from the service wait at the relay (see whileHeld). */
  private held: Promise<void> | null = null;
  /** Requests the relay passed on, by kind: what a run did against S3. */
  readonly counts = { list: 0, get: 0, other: 0 };

  private constructor(readonly dir: string, readonly directPort: number, readonly relayPort: number) {}

  static async start(dir: string): Promise<ChaosS3> {
    const s3 = new ChaosS3(dir, await freePort(), await freePort());
    await s3.up();
    return s3;
  }

  /** What the campaign itself uses (uploads, the oracle's reads): s3rver directly, never the relay. */
  get directEndpoint(): string {
    return `http://127.0.0.1:${this.directPort}`;
  }

  /** What the service is given. */
  get relayEndpoint(): string {
    return `http://127.0.0.1:${this.relayPort}`;
  }

  get isUp(): boolean {
    return this.relay !== null;
  }

  arm(tap: Tap): void {
    this.tap = tap;
  }

  disarm(): void {
    this.tap = null;
  }

  /**
   * Runs `fn` (an upload) while the service's new requests wait at the relay: S3 makes an object
   * visible whole or not at all, but s3rver lists a large object while it is still being written,
   * with a size and ETag that then change, which the service rightly takes for a product file
   * overwritten after it was applied.
   */
  async whileHeld<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    this.held = new Promise((r) => { release = r; });
    try {
      await new Promise((r) => setTimeout(r, 200)); // requests already passed on finish first
      return await fn();
    } finally {
      this.held = null;
      release();
    }
  }

  async up(): Promise<void> {
    if (this.relay) return;
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bench', 'chaos', 's3rver-process.cjs'), this.dir, String(this.directPort)], {
      env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (/READY \d+/.test(out)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} while starting`)));
    });
    this.child = child;
    const relay = net.createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(this.relayPort, '127.0.0.1', () => resolve());
    });
    this.relay = relay;
  }

  /** A crash, not a clean stop: connections in flight are cut, new ones refused. */
  async down(): Promise<void> {
    const relay = this.relay;
    this.relay = null;
    if (relay) {
      const closed = new Promise((r) => relay.close(r));
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** Down for `downtimeMs`, then up again; resolves when it answers. */
  async outage(downtimeMs: number): Promise<void> {
    await this.down();
    await new Promise((r) => setTimeout(r, downtimeMs));
    await this.up();
  }

  async stop(): Promise<void> {
    this.disarm();
    await this.down();
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.directPort, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    let watched: { req: SeenRequest; tap: Tap; bytes: number } | null = null;
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    const requests = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        const held = this.held;
        if (held) void held.then(() => pass(chunk, done));
        else pass(chunk, done);
      },
    });
    const pass = (chunk: Buffer, done: (err: null, chunk: Buffer) => void) => {
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        const req = { method: m[1], path: m[2] };
        if (/[?&]list-type=2/.test(req.path)) this.counts.list++;
        else if (req.method === 'GET') this.counts.get++;
        else this.counts.other++;
        const tap = this.tap;
        if (tap?.match(req)) {
          this.tap = null;
          if (tap.afterBytes <= 0) {
            // Passed on, then cut at once: the request is in flight when s3rver goes.
            done(null, chunk);
            tap.fire(req, 0);
            return;
          }
          watched = { req, tap, bytes: 0 };
        }
      }
      done(null, chunk);
    };
    const responses = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        if (watched) {
          const w = watched;
          const room = w.tap.afterBytes - w.bytes;
          if (chunk.length >= room) {
            // Only the bytes before the cut reach the client.
            watched = null;
            done(null, chunk.subarray(0, Math.max(0, room)));
            w.tap.fire(w.req, w.tap.afterBytes);
            return;
          }
          w.bytes += chunk.length;
        }
        done(null, chunk);
      },
    });
    client.pipe(requests).pipe(upstream);
    upstream.pipe(responses).pipe(client);
  }
}
