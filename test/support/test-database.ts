import path from 'node:path';
import { Client } from 'pg';
import { BusinessUnit, makeBusinessUnit } from '../../src/db/business-unit';
import { Database } from '../../src/db/database';
import { runMigrations } from '../../src/db/migrations-runner';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

let counter = 0;

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests through jest (global setup starts PostgreSQL)');
  return url;
}

export function databaseUrl(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh database per test file (or per scenario), migrated for the given BUs. */
export async function createTestDatabase(codes: string[] = ['bak'], options: { poolSize?: number } = {}) {
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const units: BusinessUnit[] = codes.map((c) => makeBusinessUnit(c));
  const db = await Database.connect(url, { poolSize: options.poolSize ?? 5 });
  await runMigrations(db, units, MIGRATIONS_DIR);
  return {
    name, url, db, units,
    bu: (code: string) => {
      const bu = units.find((u) => u.code === code);
      if (!bu) throw new Error(`test database has no BU ${code}`);
      return bu;
    },
    async close() {
      await db.close();
      const c = new Client({ connectionString: adminUrl() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;
