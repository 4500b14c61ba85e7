import os from 'node:os';
import { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../../config/business-unit';
import { Database } from '../../db/database';
import { ExportJobEntity } from '../../entities/export-job.entity';
import { Logger } from '../../logger';
import { metrics } from '../../metrics/metrics';
import {
  claimNextJob, failInterrupted, jobIsOrphaned, markFailed, markSucceeded, releaseJob, requeueInterrupted, requeueStopped, runningJobsForUpdate,
} from '../../repositories/export-job.repository';
import { ExportAbortedError } from './cursor-batches';
import { ExportSettingsError, ExportRunner } from './export-runner';

/** A job interrupted this many times (its process died) is failed instead of queued again. */
export const MAX_ATTEMPTS = 3;

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
      const running = await runningJobsForUpdate(m);
      let recovered = 0;
      for (const job of running) {
        if (!(await jobIsOrphaned(m, bu, job.id))) continue;
        recovered++;
        if (job.attempts < MAX_ATTEMPTS) {
          await requeueInterrupted(m, job.id);
          this.log.warn({ bu: bu.code, exportJob: job.id, attempts: job.attempts }, 'export job interrupted; queued again');
        } else {
          await failInterrupted(m, job.id);
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
        await releaseJob(conn, bu, job.id);
      }
      return true;
    } finally {
      await conn.release();
    }
  }

  private claim(conn: QueryRunner, bu: BusinessUnit): Promise<ExportJobEntity | null> {
    return this.db.inBuTransaction(conn, bu, {}, () => claimNextJob(conn, bu, this.workerId));
  }

  private async execute(conn: QueryRunner, bu: BusinessUnit, job: ExportJobEntity): Promise<void> {
    const log = this.log.child({ bu: bu.code, exportJob: job.id });
    log.info({ templates: job.templates ?? 'all enabled', attempt: job.attempts }, 'export job started');
    const stopTimer = metrics.exportSeconds.startTimer({ bu: bu.code });
    try {
      const result = await this.runner.run(conn, bu, job, this.abort.signal);
      await this.db.inBuTransaction(conn, bu, {}, () => markSucceeded(conn, job.id, result));
      log.info({ files: result.files.length, warnings: result.warnings.length, snapshotEventId: result.snapshotEventId }, 'export job succeeded');
      stopTimer({ status: 'SUCCEEDED' });
      metrics.exportRows.inc({ bu: bu.code }, result.files.reduce((n, f) => n + f.rows, 0));
    } catch (err) {
      if (err instanceof ExportAbortedError) {
        await this.db.inBuTransaction(conn, bu, {}, () => requeueStopped(conn, job.id));
        log.warn('export job stopped by shutdown; queued again');
        return;
      }
      const message = (err as Error).message || String(err);
      if (err instanceof ExportSettingsError) log.warn({ error: message }, 'export job failed: configuration');
      else log.error({ err }, 'export job failed');
      await this.db.inBuTransaction(conn, bu, {}, () => markFailed(conn, job.id, message));
      stopTimer({ status: 'FAILED' });
    }
  }
}
