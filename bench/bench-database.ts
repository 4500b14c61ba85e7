import path from 'node:path';
import { Client } from 'pg';
import { BusinessUnit, makeBusinessUnit } from '../src/config/business-unit';
import { Database } from '../src/db/database';
import { scratchPostgres } from '../src/db/embedded-postgres';
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

async function startServer(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { adminUrl: process.env.BENCH_DATABASE_URL, stop: async () => undefined };
  // Durability is irrelevant for a scratch database; shared_buffers large enough to hold the hot set.
  const server = await scratchPostgres(['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    '-c', 'shared_buffers=512MB', '-c', 'maintenance_work_mem=256MB', '-c', 'max_wal_size=4GB']);
  return { adminUrl: server.url, stop: () => server.stop() };
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
