import path from 'node:path';
import { Client } from 'pg';
import { AppConfig } from '../config/config';
import { Logger } from '../logger';
import { Database } from './database';
import { startEmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './migrations-runner';

export interface ConnectedDatabase {
  db: Database;
  /** Where the data lives, for the start banner (never the password). */
  description: string;
  close(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL (reusing it when another process of
 * this project, e.g. the server while a CLI runs, already started it), then migrates every BU.
 */
export async function connectDatabase(config: AppConfig, log: Logger, options: { poolSize?: number; migrate?: boolean } = {}): Promise<ConnectedDatabase> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let description: string;
  if (url) {
    const u = new URL(url);
    description = `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } else {
    const dir = path.join(config.dataDir, 'pg');
    const embeddedUrl = `postgres://postgres:postgres@127.0.0.1:${process.env.EMBEDDED_PG_PORT ?? 54329}/postgres`;
    if (await answers(embeddedUrl)) {
      url = embeddedUrl;
      description = `embedded PostgreSQL already running (${dir})`;
    } else {
      log.info({ dir }, 'no DATABASE_URL: starting the embedded PostgreSQL');
      const embedded = await startEmbeddedPostgres(dir, (m) => log.warn(m));
      url = embedded.url;
      stopEmbedded = embedded.stop;
      description = `embedded PostgreSQL, data in ${dir}`;
    }
  }
  const db = await Database.connect(url, { poolSize: options.poolSize ?? config.databasePoolSize });
  if (options.migrate !== false) {
    const reports = await runMigrations(db, config.businessUnits, path.join(config.projectRoot, 'migrations'));
    for (const r of reports) if (r.applied.length) log.info(r, 'migrations applied');
  }
  return {
    db,
    description,
    async close() {
      await db.close();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}
