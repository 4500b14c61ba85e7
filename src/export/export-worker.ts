import os from 'node:os';
import { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ExportJobEntity } from '../entities/export-job.entity';
import { Logger } from '../logger';
import { ExportAbortedError } from './cursor-batches';
import { ExportConfigError, ExportRunner } from './export-runner';
import { metrics } from '../metrics/metrics';

/** A job interrupted this many times (its process died) is failed instead of queued again. */
export const MAX_ATTEMPTS = 3;

/** The advisory lock a running job's connection holds; free while RUNNING = its process is gone. */
const jobLockKey = (bu: BusinessUnit, id: string) => `pim-accumulator:export:${bu.schema}:${id}`;

const JOB_COLUMNS = `id::text AS id, status, idempotency_key AS "idempotencyKey", templates, requested_by AS "requestedBy",
  requested_at AS "requestedAt", started_at AS "startedAt", finished_at AS "finishedAt", attempts, worker,
  snapshot_event_id::text AS "snapshotEventId", files, manifest_uri AS "manifestUri", warnings, error`;

/**
 * Runs queued export jobs of every BU, one at a time in this process; any number of copies of the
 * service may run workers. A job is claimed with FOR UPDATE SKIP LOCKED, and before the claim
 * commits its connection takes a session advisory lock that it holds until the job's outcome is
 * recorded: so a RUNNING job whose lock is free has lost its process, and any worker queues it
 * again (up to MAX_ATTEMPTS) or fails it. Workers poll, and requestExport wakes this process's at once.
 */
export class ExportWorker {
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly abort = new AbortController();
  readonly workerId = `${os.hostname()}:${process.pid}`;

  constructor(
    private readonly db: Database,
    private readonly runner: ExportRunner,
    private readonly units: readonly BusinessUnit[],
    private readonly log: Logger,
  ) {}

  /** Recovers interrupted jobs, then polls every `intervalMs` (0: only when woken). */
  start(intervalMs: number): void {
    if (intervalMs > 0) this.timer = setInterval(() => this.wake(), intervalMs);
    this.wake();
  }

  /** Looks for queued jobs now (or right after the current pass). */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err: Error) => this.log.error({ err }, 'export worker pass failed'))
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Waits until no pass is running (tests, the CLI). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Stops polling; a running export is interrupted and its job queued again for another copy. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await this.idle();
  }

  private async drain(): Promise<void> {
    let worked = true;
    while (worked && !this.stopped) {
      worked = false;
      for (const bu of this.units) {
        if (this.stopped) return;
        await this.recover(bu);
        if (await this.runNext(bu)) worked = true;
      }
    }
  }

  /** Queues again (or fails) RUNNING jobs whose process is gone. */
  async recover(bu: BusinessUnit): Promise<number> {
    return this.db.withBu(bu, async (m) => {
      const running: { id: string; attempts: number }[] = await m.query(
        `SELECT id::text AS id, attempts FROM export_job WHERE status = 'RUNNING' ORDER BY id FOR UPDATE SKIP LOCKED`);
      let recovered = 0;
      for (const job of running) {
        const [{ free }] = await m.query('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS free', [jobLockKey(bu, job.id)]);
        if (!free) continue;
        recovered++;
        if (job.attempts < MAX_ATTEMPTS) {
          await m.query(
            `UPDATE export_job SET status = 'QUEUED', worker = NULL,
               warnings = warnings || to_jsonb(format('attempt %s was interrupted (its process stopped); queued again', attempts))
             WHERE id = $1`, [job.id]);
          this.log.warn({ bu: bu.code, exportJob: job.id, attempts: job.attempts }, 'export job interrupted; queued again');
        } else {
          await m.query(
            `UPDATE export_job SET status = 'FAILED', finished_at = now(),
               error = format('interrupted %s times (its process stopped each time); not retried again', attempts)
             WHERE id = $1`, [job.id]);
          this.log.error({ bu: bu.code, exportJob: job.id }, 'export job interrupted too often; failed');
        }
      }
      return recovered;
    });
  }

  /** Claims and runs the oldest queued job of the BU; false when there is none. */
  async runNext(bu: BusinessUnit): Promise<boolean> {
    const conn = this.db.dataSource.createQueryRunner();
    await conn.connect();
    try {
      const job = await this.claim(conn, bu);
      if (!job) return false;
      try {
        await this.execute(conn, bu, job);
      } finally {
        await conn.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [jobLockKey(bu, job.id)]);
      }
      return true;
    } finally {
      await conn.release();
    }
  }

  private claim(conn: QueryRunner, bu: BusinessUnit): Promise<ExportJobEntity | null> {
    return this.db.inBuTransaction(conn, bu, {}, async () => {
      const [next]: { id: string }[] = await conn.query(
        `SELECT id::text AS id FROM export_job WHERE status = 'QUEUED' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1`);
      if (!next) return null;
      await conn.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [jobLockKey(bu, next.id)]);
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
      const [job]: ExportJobEntity[] = await conn.query(
        `WITH claimed AS (
           UPDATE export_job SET status = 'RUNNING', started_at = now(), finished_at = NULL, attempts = attempts + 1,
             worker = $2, error = NULL
           WHERE id = $1 RETURNING *)
         SELECT ${JOB_COLUMNS} FROM claimed`, [next.id, this.workerId]);
      return job;
    });
  }

  private async execute(conn: QueryRunner, bu: BusinessUnit, job: ExportJobEntity): Promise<void> {
    const log = this.log.child({ bu: bu.code, exportJob: job.id });
    log.info({ templates: job.templates ?? 'all enabled', attempt: job.attempts }, 'export job started');
    const stopTimer = metrics.exportSeconds.startTimer({ bu: bu.code });
    try {
      const result = await this.runner.run(conn, bu, job, this.abort.signal);
      await this.db.inBuTransaction(conn, bu, {}, () => conn.query(
        `UPDATE export_job SET status = 'SUCCEEDED', finished_at = now(), snapshot_event_id = $2, files = $3::jsonb,
           manifest_uri = $4, warnings = warnings || $5::jsonb
         WHERE id = $1`,
        [job.id, result.snapshotEventId, JSON.stringify(result.files), result.manifestUri, JSON.stringify(result.warnings)]));
      log.info({ files: result.files.length, warnings: result.warnings.length, snapshotEventId: result.snapshotEventId }, 'export job succeeded');
      stopTimer({ status: 'SUCCEEDED' });
      metrics.exportRows.inc({ bu: bu.code }, result.files.reduce((n, f) => n + f.rows, 0));
    } catch (err) {
      if (err instanceof ExportAbortedError) {
        await this.db.inBuTransaction(conn, bu, {}, () => conn.query(
          `UPDATE export_job SET status = 'QUEUED', attempts = attempts - 1, worker = NULL WHERE id = $1`, [job.id]));
        log.warn('export job stopped by shutdown; queued again');
        return;
      }
      const message = (err as Error).message || String(err);
      if (err instanceof ExportConfigError) log.warn({ error: message }, 'export job failed: configuration');
      else log.error({ err }, 'export job failed');
      await this.db.inBuTransaction(conn, bu, {}, () => conn.query(
        `UPDATE export_job SET status = 'FAILED', finished_at = now(), error = $2 WHERE id = $1`, [job.id, message]));
      stopTimer({ status: 'FAILED' });
    }
  }
}
