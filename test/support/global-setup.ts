// Starts the real parts the suite talks to: a PostgreSQL server (embedded, unless TEST_DATABASE_URL
// names one) and an S3-compatible server (s3rver). Connection details reach the test workers
// through process.env, which the workers inherit.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureRoles } from '../../src/db/database-roles';
import { EmbeddedPostgres, scratchPostgres } from '../../src/db/embedded-postgres';
import { TEST_OWNER_ROLE, TEST_RUNTIME_ROLE } from './test-database';
import { refuseNonTestServer } from './test-server-guard';

export interface SuiteState {
  pg?: EmbeddedPostgres;
  s3?: ChildProcess;
  s3Dir?: string;
}

async function startPostgres(state: SuiteState): Promise<void> {
  if (process.env.DATABASE_URL && !process.env.TEST_DATABASE_URL) {
    console.warn('DATABASE_URL is set but not used by the tests (they start their own PostgreSQL; TEST_DATABASE_URL names a server for tests)');
  }
  if (process.env.TEST_DATABASE_URL) {
    await refuseNonTestServer(process.env.TEST_DATABASE_URL);
    process.env.TEST_ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL;
  } else {
    // Durability is irrelevant for throw-away test databases.
    state.pg = await scratchPostgres(['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200']);
    process.env.TEST_ADMIN_DATABASE_URL = state.pg.url;
  }
  await ensureRoles(process.env.TEST_ADMIN_DATABASE_URL, { owner: TEST_OWNER_ROLE, runtime: TEST_RUNTIME_ROLE });
}

async function startS3(state: SuiteState): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-accumulator-test-s3-'));
  const child = spawn(process.execPath, [path.join(__dirname, 's3rver-process.cjs'), dir], {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
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

export default async function globalSetup(): Promise<void> {
  const state: SuiteState = {};
  (globalThis as { __PIM_TEST_STATE__?: SuiteState }).__PIM_TEST_STATE__ = state;
  await Promise.all([startPostgres(state), startS3(state)]);
}
