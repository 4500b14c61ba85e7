import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { withCredentials, ensureRoles } from '../../src/db/database-roles';
import { EmbeddedPostgres, embeddedPostgres } from '../../src/db/embedded-postgres';

/** Durability does not matter here (a fast shutdown checkpoints anyway); speed on a shared machine does. */
const FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];

const OWNER = 'pim_owner';
const RUNTIME = 'pim_app';

/**
 * A real PostgreSQL server for the campaign (the embedded one, in the run's folder), which it can
 * restart with a fast shutdown on the same folder and port while the service keeps running.
 */
export class ChaosPostgres {
  private constructor(private server: EmbeddedPostgres, readonly dataDir: string) {}

  static async start(dir: string): Promise<ChaosPostgres> {
    // As root the server runs as `postgres`, which must be able to enter the folder.
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    const dataDir = path.join(dir, 'data');
    const server = await embeddedPostgres({ dataDir, port: 0, dataDirChosen: true, flags: FLAGS });
    return new ChaosPostgres(server, dataDir);
  }

  /** The superuser's URL of database `name` (default: postgres). */
  url(name = 'postgres'): string {
    const u = new URL(this.server.url);
    u.pathname = `/${name}`;
    return u.toString();
  }

  get port(): number {
    return this.server.port;
  }

  /**
   * A database for the service, as production has it: `pim_owner` owns it and runs the
   * migrations, the service runs as `pim_app` with row privileges only.
   */
  async createServiceDatabase(name: string): Promise<{ ownerUrl: string; runtimeUrl: string; adminUrl: string }> {
    await ensureRoles(this.url(), { owner: OWNER, runtime: RUNTIME });
    await this.admin((c) => c.query(`CREATE DATABASE ${name} OWNER ${OWNER}`));
    return {
      ownerUrl: withCredentials(this.url(name), OWNER, OWNER),
      runtimeUrl: withCredentials(this.url(name), RUNTIME, RUNTIME),
      adminUrl: this.url(name),
    };
  }

  async admin<T>(fn: (c: Client) => Promise<T>, database = 'postgres'): Promise<T> {
    const c = new Client({ connectionString: this.url(database) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  /** Fast shutdown (every session ends, running transactions roll back), `downtimeMs`, then the same server again. */
  async restart(downtimeMs: number): Promise<void> {
    await this.server.stop();
    await new Promise((r) => setTimeout(r, downtimeMs));
    this.server = await embeddedPostgres({ dataDir: this.dataDir, port: this.server.port, portChosen: true, dataDirChosen: true, flags: FLAGS });
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}
