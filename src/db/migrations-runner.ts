import fs from 'node:fs';
import path from 'node:path';
import { BusinessUnit } from '../config/business-unit';
import { Database } from './database';
import { grantRuntimeAccess } from './runtime-access';
import { quoteIdent } from './sql';

export interface MigrationFile {
  version: string;
  name: string;
  sql: string;
}

export function readMigrations(dir: string): MigrationFile[] {
  return fs.readdirSync(dir)
    .filter((f) => /^\d{4}-[a-z0-9-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.slice(0, 4), name: f, sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

export interface MigrationReport {
  businessUnit: string;
  schema: string;
  applied: string[];
}

/**
 * Brings every BU schema up to the newest migration. Each migration of each schema runs in its
 * own transaction under an advisory lock, so copies of the service starting together don't race.
 * `db` connects as the role that owns the schemas; with `runtimeRole` (the service's own role,
 * when it is another one) that role's privileges are then set to exactly RUNTIME_ACCESS.
 */
export async function runMigrations(db: Database, units: readonly BusinessUnit[], dir: string,
  options: { runtimeRole?: string } = {}): Promise<MigrationReport[]> {
  const migrations = readMigrations(dir);
  const reports: MigrationReport[] = [];
  for (const bu of units) {
    const applied: string[] = [];
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN');
      await runner.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`pim-accumulator:migrate:${bu.schema}`]);
      await runner.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(bu.schema)}`);
      await runner.query(`SELECT set_config('search_path', $1, true)`, [bu.schema]);
      await runner.query(`CREATE TABLE IF NOT EXISTS schema_migration (
        version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Set<string>((await runner.query('SELECT version FROM schema_migration')).map((r: { version: string }) => r.version));
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await runner.query(m.sql);
        await runner.query('INSERT INTO schema_migration (version, name) VALUES ($1, $2)', [m.version, m.name]);
        applied.push(m.name);
      }
      if (options.runtimeRole) await grantRuntimeAccess(runner, bu.schema, options.runtimeRole);
      await runner.query('COMMIT');
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw new Error(`migrating schema ${bu.schema} failed: ${(err as Error).message}`);
    } finally {
      await runner.release();
    }
    reports.push({ businessUnit: bu.code, schema: bu.schema, applied });
  }
  return reports;
}

/** Names of the migrations (as readMigrations lists them) that the BU's schema has not run. */
export async function pendingMigrations(db: Database, bu: BusinessUnit, migrations: readonly Pick<MigrationFile, 'version' | 'name'>[]): Promise<string[]> {
  const rows = await db.query<{ version: string }>(
    `SELECT version FROM ${quoteIdent(bu.schema)}.schema_migration`,
  ).catch(() => [] as { version: string }[]);
  const done = new Set(rows.map((r) => r.version));
  return migrations.filter((m) => !done.has(m.version)).map((m) => m.name);
}
