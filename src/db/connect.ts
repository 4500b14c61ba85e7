import path from 'node:path';
import { AppConfig } from '../config/config';
import { Logger } from '../logger';
import { Database } from './database';
import { EMBEDDED_OWNER, EMBEDDED_RUNTIME, RoleUrls, ensureRoles } from './database-roles';
import { embeddedPostgres } from './embedded-postgres';
import { MigrationReport, runMigrations } from './migrations-runner';

export interface ConnectedDatabase {
  /** The service's connection: DATABASE_URL's role (the embedded default's `pim_app`). */
  db: Database;
  /** Where the data lives, for the start banner (never the password). */
  description: string;
  /** Runs the migrations as the owner role (and sets the service role's privileges). */
  migrate(): Promise<MigrationReport[]>;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or to the embedded PostgreSQL (started here, or shared with the process
 * of this checkout that started it, e.g. the server while a CLI runs), then migrates every BU.
 *
 * Two roles: migrations run as the owner of the schemas (MIGRATION_DATABASE_URL; the embedded
 * default makes `pim_owner`), the service as DATABASE_URL's role (`pim_app`), which may read and
 * write rows but not alter tables, switch off triggers or rewrite the event log. With DATABASE_URL
 * alone both are that one role, as before, and a warning says what that allows.
 */
export async function connectDatabase(config: AppConfig, log: Logger, options: { poolSize?: number; migrate?: boolean } = {}): Promise<ConnectedDatabase> {
  let urls: RoleUrls;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let description: string;
  if (config.databaseUrl) {
    const u = new URL(config.databaseUrl);
    description = `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname} as ${decodeURIComponent(u.username) || 'the default user'}`;
    urls = { runtime: config.databaseUrl, owner: config.migrationDatabaseUrl ?? config.databaseUrl };
    if (!config.migrationDatabaseUrl && options.migrate !== false) {
      log.warn('MIGRATION_DATABASE_URL is not set: the service runs as the owner of its tables, so its credentials could switch off '
        + 'the triggers that keep the event log and history append-only; see docs/production.md');
    }
  } else {
    const embedded = await embeddedPostgres({
      dataDir: path.join(config.embedded.dataDir, 'pg'), dataDirChosen: config.embedded.dataDirChosen,
      port: config.embedded.port, portChosen: config.embedded.portChosen, projectRoot: config.projectRoot,
      log: (message) => log.info(message),
    });
    stopEmbedded = () => embedded.stop();
    try {
      urls = await ensureRoles(embedded.url, { owner: EMBEDDED_OWNER, runtime: EMBEDDED_RUNTIME }, config.businessUnits);
    } catch (err) {
      await stopEmbedded();
      throw err;
    }
    const where = `data in ${embedded.dataDir}${embedded.relocatedFrom ? ` (not ${embedded.relocatedFrom}: the "postgres" user cannot reach it)` : ''}`;
    const shared = embedded.role === 'guest' ? ', shared with the process that started it' : '';
    description = `embedded PostgreSQL on port ${embedded.port}${shared}, ${where}`;
  }

  let db: Database | undefined;
  const migrate = async (): Promise<MigrationReport[]> => {
    const owner = await Database.connect(urls.owner, { poolSize: 1, applicationName: 'pim-accumulator (migrations)' });
    try {
      const [{ role: runtimeRole }] = await db!.query<{ role: string }>('SELECT current_user AS role');
      const [{ role: ownerRole }] = await owner.query<{ role: string }>('SELECT current_user AS role');
      const reports = await runMigrations(owner, config.businessUnits, path.join(config.projectRoot, 'migrations'),
        { runtimeRole: runtimeRole === ownerRole ? undefined : runtimeRole });
      for (const r of reports) if (r.applied.length) log.info(r, 'migrations applied');
      return reports;
    } finally {
      await owner.close();
    }
  };
  try {
    db = await Database.connect(urls.runtime, { poolSize: options.poolSize ?? config.databasePoolSize, limits: config.databaseLimits });
    if (options.migrate !== false) await migrate();
  } catch (err) {
    await db?.close().catch(() => undefined);
    await stopEmbedded?.().catch(() => undefined);
    throw err;
  }
  const connected = db;
  let closing: Promise<void> | null = null;
  return {
    db: connected,
    description,
    migrate,
    close() {
      // Idempotent: a command's signal handler and its own cleanup may both close.
      closing ??= (async () => {
        await connected.close();
        if (stopEmbedded) await stopEmbedded();
      })();
      return closing;
    },
  };
}
