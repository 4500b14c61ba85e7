import path from 'node:path';
import { AppConfig } from '../config/config';
import { Logger } from '../logger';
import { Database } from './database';
import { embeddedPostgres } from './embedded-postgres';
import { runMigrations } from './migrations-runner';

export interface ConnectedDatabase {
  db: Database;
  /** Where the data lives, for the start banner (never the password). */
  description: string;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or to the embedded PostgreSQL (started here, or shared with the process
 * of this checkout that started it, e.g. the server while a CLI runs), then migrates every BU.
 */
export async function connectDatabase(config: AppConfig, log: Logger, options: { poolSize?: number; migrate?: boolean } = {}): Promise<ConnectedDatabase> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let description: string;
  if (url) {
    const u = new URL(url);
    description = `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } else {
    const embedded = await embeddedPostgres({
      dataDir: path.join(config.embedded.dataDir, 'pg'), dataDirChosen: config.embedded.dataDirChosen,
      port: config.embedded.port, portChosen: config.embedded.portChosen, projectRoot: config.projectRoot,
      log: (message) => log.info(message),
    });
    url = embedded.url;
    stopEmbedded = () => embedded.stop();
    const where = `data in ${embedded.dataDir}${embedded.relocatedFrom ? ` (not ${embedded.relocatedFrom}: the "postgres" user cannot reach it)` : ''}`;
    const shared = embedded.role === 'guest' ? ', shared with the process that started it' : '';
    description = `embedded PostgreSQL on port ${embedded.port}${shared}, ${where}`;
  }
  let db: Database | undefined;
  try {
    db = await Database.connect(url, { poolSize: options.poolSize ?? config.databasePoolSize });
    if (options.migrate !== false) {
      const reports = await runMigrations(db, config.businessUnits, path.join(config.projectRoot, 'migrations'));
      for (const r of reports) if (r.applied.length) log.info(r, 'migrations applied');
    }
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
