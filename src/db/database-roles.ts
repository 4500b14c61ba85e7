import { Client } from 'pg';
import { BusinessUnit } from '../config/business-unit';
import { quoteIdent } from './sql';

/** Connection URLs of the two roles: one owns the schemas (migrations), the other is the service's. */
export interface RoleUrls {
  owner: string;
  runtime: string;
}

/** The embedded server's roles; fixed passwords are fine: it listens on loopback only. */
export const EMBEDDED_OWNER = 'pim_owner';
export const EMBEDDED_RUNTIME = 'pim_app';

export function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/**
 * Creates `owner` and `runtime` login roles on the server of `superUrl` if missing, lets the owner
 * create schemas in that database, and hands it the business units' schemas made before the
 * roles existed (the embedded default migrated as the superuser until then). Idempotent.
 */
export async function ensureRoles(superUrl: string, roles: { owner: string; runtime: string; password?: (role: string) => string },
  units: readonly BusinessUnit[] = []): Promise<RoleUrls> {
  const password = roles.password ?? ((role: string) => role);
  const client = new Client({ connectionString: superUrl });
  await client.connect();
  try {
    // Catalogue rows (a role, the database's ACL) that two processes update at once fail one of
    // them with "tuple concurrently updated": processes starting together on one server take turns.
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('pim-accumulator: roles', 0))`);
    for (const role of [roles.owner, roles.runtime]) {
      // CREATE ROLE has no IF NOT EXISTS; a process of an older version (without the lock) may
      // race: the loser's duplicate_object error is the winner's role.
      await client.query(`DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(role)}) THEN
            CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${literal(password(role))};
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$`);
    }
    const { rows: [{ db }] } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.query(`GRANT CREATE ON DATABASE ${quoteIdent(db)} TO ${quoteIdent(roles.owner)}`);
    for (const bu of units) await handOver(client, bu.schema, roles.owner);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return { owner: withCredentials(superUrl, roles.owner, password(roles.owner)), runtime: withCredentials(superUrl, roles.runtime, password(roles.runtime)) };
}

/** The schema, its tables (with their sequences and triggers) and functions, owned by `owner`. */
async function handOver(client: Client, schema: string, owner: string): Promise<void> {
  const { rows } = await client.query<{ owner: string }>(
    'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1', [schema]);
  if (!rows.length || rows[0].owner === owner) return;
  const s = quoteIdent(schema);
  const o = quoteIdent(owner);
  await client.query(`DO $$ DECLARE r record; BEGIN
      ALTER SCHEMA ${s} OWNER TO ${o};
      FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = ${literal(schema)} AND c.relkind IN ('r', 'p', 'v', 'm') LOOP
        EXECUTE format('ALTER TABLE %I.%I OWNER TO %I', ${literal(schema)}, r.relname, ${literal(owner)});
      END LOOP;
      FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = ${literal(schema)} LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.sig, ${literal(owner)});
      END LOOP;
    END $$`);
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
