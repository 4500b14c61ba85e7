import { EntityManager } from 'typeorm';
import { entitiesFromRows } from '../db/entity-rows';
import { Queryable } from '../db/queryable';
import { LoadEventEntity } from '../entities';
import type { LoadEventType } from '../entities/load-event.entity';
import { countOf } from './keyset-page';

// Every statement about the append-only load_event table. Callers hold a runner or an entity
// manager with the BU's search_path, and own the transaction: a file's events commit with its rows.

/**
 * The rule that makes an event count: a replay marks events (replay_date) and never deletes them,
 * so an event is valid until marked. Every query that reads the valid log writes it through here.
 */
export const validEvent = (alias?: string): string => `${alias ? `${alias}.` : ''}replay_date IS NULL`;

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
     WHERE s.event_type = 'file_start' AND ${validEvent('s')}
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
    WHERE ${validEvent()} ${beforeEventParam ? 'AND id < $1' : ''}
      AND (event_type = 'file_complete' OR (event_type = 'file_error' AND metadata->>'blocking' = 'true'))
    ORDER BY id DESC LIMIT 1
  ) last WHERE last.event_type = 'file_error'`;
}

/** The blocking file_error (blockingErrorSql), as the log is now or as a replay from `beforeEventId` would leave it. */
export async function findBlockingError(q: Queryable, beforeEventId?: string): Promise<Record<string, any> | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const [blocked] = await q.query(blockingErrorSql(!!beforeEventId), beforeEventId ? [beforeEventId] : []);
  return blocked;
}

/** The blocking file_error as an entity (loadStatus.blockedBy). */
export async function findBlockingErrorEvent(m: EntityManager): Promise<LoadEventEntity | null> {
  const blocked = await findBlockingError(m);
  return blocked ? entitiesFromRows(m, LoadEventEntity, [blocked])[0] : null;
}

export interface AppliedFileRow { id: string; start_event_id: string | null; source_key: string; source_etag: string | null; source_file: string }

/** Every valid file_complete in order, as the log is now or as a replay from `beforeEventId` would leave it. */
export function appliedFiles(q: Queryable, beforeEventId?: string): Promise<AppliedFileRow[]> {
  return q.query(
    `SELECT id, start_event_id, source_key, source_etag, source_file FROM load_event
     WHERE event_type = 'file_complete' AND ${validEvent()} ${beforeEventId ? 'AND id < $1' : ''} ORDER BY id`, beforeEventId ? [beforeEventId] : []);
}

export function findLastCompleted(m: EntityManager): Promise<LoadEventEntity | null> {
  return m.getRepository(LoadEventEntity).createQueryBuilder('e')
    .where(`e.event_type = 'file_complete' AND ${validEvent('e')}`).orderBy('e.id', 'DESC').getOne();
}

/** The id of the last valid file_complete: the state an export snapshot shows. */
export async function lastCompletedId(q: Queryable): Promise<string | null> {
  const [{ id }] = await q.query(
    `SELECT max(id)::text AS id FROM load_event WHERE event_type = 'file_complete' AND ${validEvent()}`);
  return id;
}

export function findEvent(m: EntityManager, id: string): Promise<LoadEventEntity | null> {
  return m.getRepository(LoadEventEntity).findOneBy({ id });
}

/** Valid events from `fromEventId` on: what a replay from it marks. */
export async function countValidFrom(q: Queryable, fromEventId: string): Promise<number> {
  const [{ count }] = await q.query(`SELECT count(*)::int AS count FROM load_event WHERE id >= $1 AND ${validEvent()}`, [fromEventId]);
  return count;
}

/** Marks `fromEventId` and every later valid event as replayed; the number marked. */
export async function markReplayedFrom(q: Queryable, fromEventId: string, reason: string): Promise<number> {
  const [, marked]: [unknown, number] = await q.query(
    `UPDATE load_event SET replay_date = now(), replay_reason = $2 WHERE id >= $1 AND ${validEvent()}`, [fromEventId, reason]);
  return marked;
}

/** The replay's own event, under the id reserved before the restore wrote history rows with it. */
export async function insertReplay(q: Queryable, id: string, from: LoadEventEntity, metadata: Record<string, unknown>): Promise<void> {
  await q.query(
    `INSERT INTO load_event (id, event_type, source_file, source_key, source_etag, entity_type, metadata)
     VALUES ($1, 'replay', $2, $3, $4, $5, $6)`,
    [id, from.sourceFile, from.sourceKey, from.sourceEtag, from.entityType, JSON.stringify(metadata)]);
}

export interface LoadEventQuery {
  sourceFile?: string | null;
  eventTypes?: LoadEventType[] | null;
  since?: Date | null;
  until?: Date | null;
  includeReplayed?: boolean | null;
}

/** Events matching `filter`, newest first after `afterKey` (`size + 1` of them); totalCount NaN unless asked. */
export async function listEvents(m: EntityManager, filter: LoadEventQuery, page: { afterKey: string | null; size: number; countTotal: boolean }):
  Promise<{ rows: LoadEventEntity[]; totalCount: number }> {
  const qb = m.getRepository(LoadEventEntity).createQueryBuilder('e');
  if (filter.sourceFile) qb.andWhere('(e.source_file = :sf OR e.source_key = :sf)', { sf: filter.sourceFile });
  if (filter.eventTypes?.length) qb.andWhere('e.event_type = ANY(CAST(:types AS text[]))', { types: filter.eventTypes });
  if (filter.since) qb.andWhere('e.event_time >= :since', { since: filter.since });
  if (filter.until) qb.andWhere('e.event_time <= :until', { until: filter.until });
  if (filter.includeReplayed === false) qb.andWhere(validEvent('e'));
  const totalCount = page.countTotal ? await countOf(qb) : Number.NaN;
  if (page.afterKey) qb.andWhere('e.id < :afterKey', { afterKey: page.afterKey });
  const rows = await qb.orderBy('e.id', 'DESC').limit(page.size + 1).getMany();
  return { rows, totalCount };
}
