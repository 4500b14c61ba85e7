import { Queryable } from '../db/queryable';

/** Writes to the append-only load_event table; callers hold a runner with the BU's search_path. */

export interface EventFile {
  uri: string;
  key: string;
  etag: string;
  entityType: string;
}

export interface OutcomeCounts {
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  quarantined: number;
}

/** Error codes kept in metadata.errorCode; `interrupted` is the only one that does not hold loading back. */
export type LoadErrorCode = 'interrupted' | 'unreadable' | 'too_many_bad_lines' | 'late_arrival' | 'overwritten' | 'apply_failed';

export async function insertStart(runner: Queryable, file: EventFile): Promise<string> {
  const [row] = await runner.query(
    `INSERT INTO load_event (event_type, source_file, source_key, source_etag, entity_type)
     VALUES ('file_start', $1, $2, $3, $4) RETURNING id`,
    [file.uri, file.key, file.etag, file.entityType]);
  return String(row.id);
}

export async function reserveEventId(runner: Queryable): Promise<string> {
  const [row] = await runner.query(`SELECT nextval(pg_get_serial_sequence('load_event', 'id')) AS id`);
  return String(row.id);
}

export async function insertComplete(
  runner: Queryable, id: string, startId: string, file: EventFile, sha256: string | null,
  counts: OutcomeCounts, metadata: Record<string, unknown>,
): Promise<void> {
  await runner.query(
    `INSERT INTO load_event (id, event_type, source_file, source_key, source_etag, source_sha256, entity_type, start_event_id,
       records_processed, records_inserted, records_updated, records_unchanged, records_deleted, records_quarantined, metadata)
     VALUES ($1, 'file_complete', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [id, file.uri, file.key, file.etag, sha256, file.entityType, startId, counts.processed, counts.inserted,
      counts.updated, counts.unchanged, counts.deleted, counts.quarantined, JSON.stringify(metadata)]);
}

export async function insertError(
  runner: Queryable, file: EventFile, startId: string | null, code: LoadErrorCode, message: string,
  extra: { sha256?: string | null; counts?: Partial<OutcomeCounts>; metadata?: Record<string, unknown> } = {},
): Promise<string> {
  const [row] = await runner.query(
    `INSERT INTO load_event (event_type, source_file, source_key, source_etag, source_sha256, entity_type, start_event_id,
       records_processed, records_quarantined, error_message, metadata)
     VALUES ('file_error', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [file.uri, file.key, file.etag, extra.sha256 ?? null, file.entityType, startId, extra.counts?.processed ?? null,
      extra.counts?.quarantined ?? null, message, JSON.stringify({ ...extra.metadata, errorCode: code, blocking: code !== 'interrupted' })]);
  return String(row.id);
}

/**
 * A file_start without an outcome means a loader died mid-file (its transaction rolled back).
 * Only called under the BU's loader lock, so no live loader can own such a start.
 */
export async function closeInterrupted(runner: Queryable): Promise<number> {
  const closed: { id: string }[] = await runner.query(
    `INSERT INTO load_event (event_type, source_file, source_key, source_etag, entity_type, start_event_id, error_message, metadata)
     SELECT 'file_error', s.source_file, s.source_key, s.source_etag, s.entity_type, s.id,
       'interrupted: the loader stopped before this file committed; nothing of it was applied and it will be tried again',
       '{"errorCode": "interrupted", "blocking": false}'::jsonb
     FROM load_event s
     WHERE s.event_type = 'file_start' AND s.replay_date IS NULL
       AND NOT EXISTS (SELECT 1 FROM load_event o WHERE o.start_event_id = s.id)
     RETURNING id`);
  return closed.length;
}

/**
 * The valid file_error that holds loading back: the newest valid outcome, when it is a blocking
 * error. `$1`, when given, looks at the log as a replay from that event would leave it.
 */
export function blockingErrorSql(beforeEventParam = false): string {
  return `
  SELECT * FROM (
    SELECT * FROM load_event
    WHERE replay_date IS NULL ${beforeEventParam ? 'AND id < $1' : ''}
      AND (event_type = 'file_complete' OR (event_type = 'file_error' AND metadata->>'blocking' = 'true'))
    ORDER BY id DESC LIMIT 1
  ) last WHERE last.event_type = 'file_error'`;
}
