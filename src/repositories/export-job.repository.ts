import { EntityManager } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Queryable } from '../db/queryable';
import { ExportJobEntity } from '../entities/export-job.entity';

// Every statement about export_job, and the advisory locks that order requests and hold a job
// while it runs: the queue (requestExport), the claim and the outcome (the worker), the reads.

const JOB_COLUMNS = `id::text AS id, status, idempotency_key AS "idempotencyKey", templates, requested_by AS "requestedBy",
  requested_at AS "requestedAt", started_at AS "startedAt", finished_at AS "finishedAt", attempts, worker,
  snapshot_event_id::text AS "snapshotEventId", files, manifest_uri AS "manifestUri", warnings, error`;

/** The advisory lock a running job's connection holds; free while RUNNING = its process is gone. */
const jobLockKey = (bu: BusinessUnit, id: string) => `pim-accumulator:export:${bu.schema}:${id}`;

/** Taken by every request of a BU until it commits, so the bound and the reuse see each other's jobs. */
export async function lockQueue(m: Queryable): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('pim-accumulator:export-queue:' || current_schema(), 0))`);
}

export function findJob(m: EntityManager, id: string): Promise<ExportJobEntity | null> {
  return m.getRepository(ExportJobEntity).findOneBy({ id });
}

export function findJobByKey(m: EntityManager, idempotencyKey: string): Promise<ExportJobEntity | null> {
  return m.getRepository(ExportJobEntity).findOneBy({ idempotencyKey });
}

/** The job by id or by idempotency key, which the caller knows is there (an error otherwise). */
export function getJob(m: EntityManager, by: { id: string } | { idempotencyKey: string }): Promise<ExportJobEntity> {
  return m.getRepository(ExportJobEntity).findOneByOrFail(by);
}

/** Jobs QUEUED or RUNNING, oldest first. */
export function activeJobs(m: Queryable): Promise<{ id: string; status: string; templates: string[] | null }[]> {
  return m.query(`SELECT id::text AS id, status, templates FROM export_job WHERE status IN ('QUEUED', 'RUNNING') ORDER BY export_job.id`);
}

/** A new QUEUED job; null when a job of the same idempotency key committed first (the unique index made this wait for it). */
export async function insertJob(m: EntityManager, key: string | null, templates: string[] | null, requestedBy: string): Promise<ExportJobEntity | null> {
  const inserted: { id: string }[] = await m.query(
    `INSERT INTO export_job (idempotency_key, templates, requested_by) VALUES ($1, $2::text[], $3)
         ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id::text AS id`,
    [key, templates, requestedBy]);
  return inserted.length ? m.getRepository(ExportJobEntity).findOneByOrFail({ id: inserted[0].id }) : null;
}

/** Jobs newest first after `afterKey`, `size + 1` of them, and how many there are. */
export async function listJobs(m: EntityManager, afterKey: string | null, size: number): Promise<{ rows: ExportJobEntity[]; totalCount: number }> {
  const qb = m.getRepository(ExportJobEntity).createQueryBuilder('j');
  const totalCount = await qb.getCount();
  if (afterKey) qb.where('j.id < :afterKey', { afterKey });
  const rows = await qb.orderBy('j.id', 'DESC').limit(size + 1).getMany();
  return { rows, totalCount };
}

/** RUNNING jobs no other transaction is looking at, locked until this one commits. */
export function runningJobsForUpdate(m: Queryable): Promise<{ id: string; attempts: number }[]> {
  return m.query(`SELECT id::text AS id, attempts FROM export_job WHERE status = 'RUNNING' ORDER BY export_job.id FOR UPDATE SKIP LOCKED`);
}

/** Whether no worker holds the job (its lock is then held by this transaction until it ends). */
export async function jobIsOrphaned(m: Queryable, bu: BusinessUnit, id: string): Promise<boolean> {
  const [{ free }] = await m.query('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS free', [jobLockKey(bu, id)]);
  return free;
}

export async function requeueInterrupted(m: Queryable, id: string): Promise<void> {
  await m.query(
    `UPDATE export_job SET status = 'QUEUED', worker = NULL,
               warnings = warnings || to_jsonb(format('attempt %s was interrupted (its process stopped); queued again', attempts))
             WHERE id = $1`, [id]);
}

export async function failInterrupted(m: Queryable, id: string): Promise<void> {
  await m.query(
    `UPDATE export_job SET status = 'FAILED', finished_at = now(),
               error = format('interrupted %s times (its process stopped each time); not retried again', attempts)
             WHERE id = $1`, [id]);
}

/**
 * Claims the oldest QUEUED job for `worker`: marks it RUNNING and takes its session lock on `conn`
 * (released by releaseJob). Runs in the caller's transaction; null when none is queued.
 */
export async function claimNextJob(conn: Queryable, bu: BusinessUnit, worker: string): Promise<ExportJobEntity | null> {
  const [next]: { id: string }[] = await conn.query(
    `SELECT id::text AS id FROM export_job WHERE status = 'QUEUED' ORDER BY export_job.id FOR UPDATE SKIP LOCKED LIMIT 1`);
  if (!next) return null;
  await conn.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [jobLockKey(bu, next.id)]);
  // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
  const [job]: ExportJobEntity[] = await conn.query(
    `WITH claimed AS (
           UPDATE export_job SET status = 'RUNNING', started_at = now(), finished_at = NULL, attempts = attempts + 1,
             worker = $2, error = NULL
           WHERE id = $1 RETURNING *)
         SELECT ${JOB_COLUMNS} FROM claimed`, [next.id, worker]);
  return job;
}

export async function releaseJob(conn: Queryable, bu: BusinessUnit, id: string): Promise<void> {
  await conn.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [jobLockKey(bu, id)]);
}

export async function markSucceeded(conn: Queryable, id: string, result: { snapshotEventId: string | null; files: unknown[]; manifestUri: string; warnings: string[] }): Promise<void> {
  await conn.query(
    `UPDATE export_job SET status = 'SUCCEEDED', finished_at = now(), snapshot_event_id = $2, files = $3::jsonb,
           manifest_uri = $4, warnings = warnings || $5::jsonb
         WHERE id = $1`,
    [id, result.snapshotEventId, JSON.stringify(result.files), result.manifestUri, JSON.stringify(result.warnings)]);
}

/** Back to the queue without counting the attempt (stopped by a shutdown, not by a fault). */
export async function requeueStopped(conn: Queryable, id: string): Promise<void> {
  await conn.query(`UPDATE export_job SET status = 'QUEUED', attempts = attempts - 1, worker = NULL WHERE id = $1`, [id]);
}

export async function markFailed(conn: Queryable, id: string, message: string): Promise<void> {
  await conn.query(`UPDATE export_job SET status = 'FAILED', finished_at = now(), error = $2 WHERE id = $1`, [id, message]);
}
