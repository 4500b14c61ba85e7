import { QueryRunner } from 'typeorm';
import { quoteIdent } from './sql';

/**
 * What the service's own database role (DATABASE_URL) may do in a business unit's schema when
 * migrations run as another role (MIGRATION_DATABASE_URL, or the embedded default's owner role).
 * The owner creates and alters; the service reads and writes rows, and no more: it cannot drop,
 * alter or truncate anything, nor switch off the triggers that keep the event log and the history
 * append-only (only an owner or a superuser can), nor delete from them or rewrite their rows.
 *
 * Every table of a schema must be listed: a migration that adds a table without a line here
 * fails (a new table is reachable only once someone decided who may do what with it).
 */
type Access = 'read' | 'append' | 'read-write' | 'no-delete' | 'replay-marks';

export const RUNTIME_ACCESS: Readonly<Record<string, Access>> = {
  // The event log: written once per event; only a replay's mark (date and reason) may be set later.
  load_event: 'replay-marks',
  entity_history: 'append',
  quarantined_line: 'append',
  // The products of each full-snapshot part, written with its file_complete.
  snapshot_part: 'append',
  // The accumulated state, rewritten by every load and restored by replays.
  product: 'read-write',
  item: 'read-write',
  channel_node: 'read-write',
  resource: 'read-write',
  entity_link: 'read-write',
  channel_node_product: 'read-write',
  attribute_definition: 'read-write',
  // Export configuration (edited by admins through the API) and the export queue (never deleted).
  csv_templates: 'read-write',
  csv_template_config: 'read-write',
  field_mapping: 'read-write',
  decorator_data: 'read-write',
  export_setting: 'read-write',
  export_job: 'no-delete',
  // Parity runs: written when a comparison starts and when it ends, kept (src/parity/).
  parity_run: 'no-delete',
  // Read by /readyz to see whether migrations are pending.
  schema_migration: 'read',
};

const GRANTS: Record<Access, string> = {
  read: 'SELECT',
  append: 'SELECT, INSERT',
  'read-write': 'SELECT, INSERT, UPDATE, DELETE',
  'no-delete': 'SELECT, INSERT, UPDATE',
  'replay-marks': 'SELECT, INSERT, UPDATE (replay_date, replay_reason)',
};

/**
 * Makes the runtime role's privileges in `schema` exactly the policy above (revoking whatever an
 * earlier version granted). Runs as the owner, inside the migration's transaction.
 */
export async function grantRuntimeAccess(runner: QueryRunner, schema: string, runtimeRole: string): Promise<void> {
  const tables: { name: string }[] = await runner.query(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`, [schema]);
  const unlisted = tables.map((t) => t.name).filter((t) => !(t in RUNTIME_ACCESS));
  if (unlisted.length) {
    throw new Error(`table(s) ${unlisted.join(', ')} of ${schema} have no entry in RUNTIME_ACCESS (src/db/runtime-access.ts): `
      + 'say what the service may do with them');
  }
  const s = quoteIdent(schema);
  const role = quoteIdent(runtimeRole);
  const statements = [
    `GRANT USAGE ON SCHEMA ${s} TO ${role}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${role}`,
    ...tables.map((t) => `GRANT ${GRANTS[RUNTIME_ACCESS[t.name]]} ON ${s}.${quoteIdent(t.name)} TO ${role}`),
    // nextval() of the bigserial ids.
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`,
  ];
  await runner.query(statements.join(';\n'));
}
