import net from 'node:net';
import { TempBucket } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

describe('starting the HTTP server on a port that is taken', () => {
  let t: TestDatabase;
  const bucket = new TempBucket();
  let other: net.Server;
  let port: number;

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    other = net.createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    port = (other.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => other.close(resolve));
    await t.close();
    bucket.remove();
  });

  it('fails with what to do, not a raw EADDRINUSE', async () => {
    const start = startTestServer(t, { bucketDir: bucket.root, env: { PORT: String(port) } });
    await expect(start).rejects.toThrow(`port ${port} on 127.0.0.1 is in use: another pim-accumulator? set PORT`);
    await expect(start).rejects.toHaveProperty('cause.code', 'EADDRINUSE');
  });
});
