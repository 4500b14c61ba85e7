import { BusinessUnit } from '../config/business-unit';
import { Queryable } from '../db/queryable';

/** `parity_run`: the recorded comparisons of an export with a legacy file (src/services/parity-run.service.ts). */

/** Status, source kind and summary as stored; their meaning is src/parity/parity.types.ts's. */
export interface ParityRunRow {
  id: string; status: string; requested_by: string; started_at: Date; finished_at: Date | null; legacy_uri: string;
  legacy_sha256: string | null; export_source: string; export_uri: string | null; export_sha256: string | null;
  export_job_id: string | null; template_name: string | null; snapshot_event_id: string | null; options: Record<string, unknown>;
  summary: unknown; error: string | null;
}

const COLUMNS = `id::text AS id, status, requested_by, started_at, finished_at, legacy_uri, legacy_sha256, export_source, export_uri,
  export_sha256, export_job_id::text AS export_job_id, template_name, snapshot_event_id::text AS snapshot_event_id, options, summary, error`;

export async function findParityRun(q: Queryable, id: string): Promise<ParityRunRow | null> {
  const rows: ParityRunRow[] = await q.query(`SELECT ${COLUMNS} FROM parity_run WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** Newest first, `limit` rows below the id `afterKey` (null: from the newest), and how many there are in all. */
export async function listParityRuns(q: Queryable, afterKey: string | null, limit: number): Promise<{ rows: ParityRunRow[]; total: number }> {
  const [{ total }] = await q.query('SELECT count(*)::int AS total FROM parity_run');
  const rows: ParityRunRow[] = await q.query(`SELECT ${COLUMNS} FROM parity_run WHERE $1::bigint IS NULL OR parity_run.id < $1::bigint ORDER BY parity_run.id DESC LIMIT $2`,
    [afterKey, limit]);
  return { rows, total: total as number };
}

/**
 * The session lock a run's process holds on its own connection from the insert's commit to its
 * outcome: a RUNNING run whose lock is free has lost its process.
 */
const runLockKey = (bu: BusinessUnit, id: string) => `pim-accumulator:parity:${bu.schema}:${id}`;

export async function holdParityRun(conn: Queryable, bu: BusinessUnit, id: string): Promise<void> {
  await conn.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [runLockKey(bu, id)]);
}

export async function releaseParityRun(conn: Queryable, bu: BusinessUnit, id: string): Promise<void> {
  await conn.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [runLockKey(bu, id)]);
}

/** Marks FAILED the RUNNING runs whose process is gone (their lock is free); returns their ids. */
export async function failOrphanedParityRuns(q: Queryable, bu: BusinessUnit): Promise<string[]> {
  const rows: { id: string }[] = await q.query(
    `SELECT id::text AS id FROM parity_run WHERE status = 'RUNNING' ORDER BY parity_run.id FOR UPDATE SKIP LOCKED`);
  const failed: string[] = [];
  for (const { id } of rows) {
    const [{ free }] = await q.query('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS free', [runLockKey(bu, id)]);
    if (!free) continue;
    await failParityRun(q, id, 'interrupted: the process running this comparison stopped before it ended; start the run again');
    failed.push(id);
  }
  return failed;
}

export async function insertParityRun(q: Queryable, run: {
  requestedBy: string; legacyUri: string; exportSource: string; exportJobId: string | null; templateName: string | null;
  options: Record<string, unknown>;
}): Promise<string> {
  const [{ id }] = await q.query(
    `INSERT INTO parity_run (requested_by, legacy_uri, export_source, export_job_id, template_name, options)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text AS id`,
    [run.requestedBy, run.legacyUri, run.exportSource, run.exportJobId, run.templateName, JSON.stringify(run.options)]);
  return id as string;
}

/** What the export side turned out to be, once resolved. */
export async function setParityExport(q: Queryable, id: string, side: {
  uri: string; jobId: string | null; templateName: string | null; snapshotEventId: string | null;
}): Promise<void> {
  await q.query('UPDATE parity_run SET export_uri = $2, export_job_id = $3, template_name = $4, snapshot_event_id = $5 WHERE id = $1',
    [id, side.uri, side.jobId, side.templateName, side.snapshotEventId]);
}

export async function finishParityRun(q: Queryable, id: string, outcome: {
  status: string; legacySha256: string; exportSha256: string; summary: unknown;
}): Promise<void> {
  await q.query(`UPDATE parity_run SET status = $2, finished_at = now(), legacy_sha256 = $3, export_sha256 = $4, summary = $5 WHERE id = $1`,
    [id, outcome.status, outcome.legacySha256, outcome.exportSha256, JSON.stringify(outcome.summary)]);
}

export async function failParityRun(q: Queryable, id: string, message: string): Promise<void> {
  await q.query(`UPDATE parity_run SET status = 'FAILED', finished_at = now(), error = $2 WHERE id = $1`, [id, message]);
}
