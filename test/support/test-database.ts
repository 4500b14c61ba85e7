import path from 'node:path';
import { Client } from 'pg';
import { BusinessUnit, makeBusinessUnit } from '../../src/config/business-unit';
import { Database } from '../../src/db/database';
import { withCredentials } from '../../src/db/database-roles';
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

/**
 * The suite's two roles (made once by the global setup): migrations run as the owner, the code
 * under test as the runtime role with only the privileges of src/db/runtime-access.ts, as in
 * production with MIGRATION_DATABASE_URL.
 */
export const TEST_OWNER_ROLE = 'pim_test_owner';
export const TEST_RUNTIME_ROLE = 'pim_test_app';

const asRole = (name: string, role: string) => withCredentials(databaseUrl(name), role, role);

/**
 * A fresh database per test file (or per scenario), migrated for the given BUs. `db` and `url` are
 * the runtime role's (what the service gets); `owner` and `ownerUrl` the owner's, for setting up
 * what the service itself may not do (e.g. changing configuration behind the API).
 */
export async function createTestDatabase(codes: string[] = ['bak'], options: {
  poolSize?: number;
  /** The migrations to run (another folder: a database as an earlier version left it); null: none, an empty database. */
  migrationsDir?: string | null;
} = {}) {
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} OWNER ${TEST_OWNER_ROLE}`);
  } finally {
    await admin.end();
  }
  const url = asRole(name, TEST_RUNTIME_ROLE);
  const ownerUrl = asRole(name, TEST_OWNER_ROLE);
  const units: BusinessUnit[] = codes.map((c) => makeBusinessUnit(c));
  const owner = await Database.connect(ownerUrl, { poolSize: 2 });
  const migrations = options.migrationsDir === undefined ? MIGRATIONS_DIR : options.migrationsDir;
  if (migrations !== null) await runMigrations(owner, units, migrations, { runtimeRole: TEST_RUNTIME_ROLE });
  const db = await Database.connect(url, { poolSize: options.poolSize ?? 5 });
  return {
    name, url, ownerUrl, db, owner, units,
    bu: (code: string) => {
      const bu = units.find((u) => u.code === code);
      if (!bu) throw new Error(`test database has no BU ${code}`);
      return bu;
    },
    async close() {
      await db.close();
      await owner.close();
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
