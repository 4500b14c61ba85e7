import { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { AppConfig } from '../config/config';
import { Database } from '../db/database';
import { isTransientError } from '../db/transient-errors';
import { Logger } from '../logger';
import { metrics } from '../metrics/metrics';
import { closeInterrupted, insertError } from '../repositories/load-event.repository';
import { FileLoader } from './apply/file-loader';
import { withBuLock } from './bu-lock';
import { planLoad } from './plan/load-planner';
import { FolderCheck } from './source/folder-check';
import { Source } from './source/source';

/**
 * done: caught up; busy: another loader or replay holds the BU; blocked/failed: a file_error holds
 * it back (a person must look); interrupted: the database went away mid-pass or the service is
 * stopping: nothing was half-applied, and the next pass goes on (not blocked).
 */
export type PassStatus = 'done' | 'busy' | 'blocked' | 'failed' | 'interrupted';

export interface PassResult {
  status: PassStatus;
  applied: number;
  /** The file_error event that stopped this pass or holds the BU back. */
  errorEventId?: string;
  message?: string;
}

/**
 * One load pass of one BU: under a PostgreSQL advisory lock (so no two copies of the service, and
 * no replay, work on the same BU at once), close starts left by a dead loader, plan, and apply the
 * pending files in order until one fails.
 */
export class BusinessUnitLoader {
  private readonly running = new Set<string>();
  private stopping = false;
  private readonly files: FileLoader;
  private readonly folders: FolderCheck;

  constructor(
    private readonly db: Database,
    private readonly source: Source,
    config: Pick<AppConfig, 'loader'> & Partial<Pick<AppConfig, 'businessUnits'>>,
    private readonly log: Logger,
    /** Shared with loadStatus and /readyz in the service; one of its own otherwise. */
    folders?: FolderCheck,
  ) {
    this.files = new FileLoader(db, source, config.loader, log);
    this.folders = folders ?? new FolderCheck(source, config.businessUnits);
  }

  /** Passes end after the file they are applying (it commits or rolls back whole); none start a new file. */
  stopAfterCurrentFile(): void {
    this.stopping = true;
  }

  /** True while this process runs a pass for the BU. */
  isRunning(bu: BusinessUnit): boolean {
    return this.running.has(bu.code);
  }

  /** `onScan` is called when the pass starts listing the source: a file there before it is seen by this pass. */
  async loadOnce(bu: BusinessUnit, onScan?: () => void): Promise<PassResult> {
    this.running.add(bu.code);
    try {
      let result;
      try {
        result = await withBuLock(this.db, bu, (runner) => this.pass(bu, runner, onScan));
      } catch (err) {
        if (!isTransientError(err)) throw err;
        this.log.warn({ bu: bu.code, err }, 'load pass interrupted: the database or the source did not answer; the next pass goes on');
        return { status: 'interrupted', applied: 0, message: `interrupted: ${(err as Error).message}` };
      }
      if (!result.locked) return { status: 'busy', applied: 0, message: `another loader or replay holds ${bu.code}` };
      const { status } = result.value;
      if (status === 'done' || status === 'blocked' || status === 'failed') metrics.loadBlocked.set({ bu: bu.code }, status === 'done' ? 0 : 1);
      return result.value;
    } finally {
      this.running.delete(bu.code);
    }
  }

  /** All of a pass runs on the connection that holds the lock: one pooled connection per BU pass. */
  private async pass(bu: BusinessUnit, lock: QueryRunner, onScan?: () => void): Promise<PassResult> {
    const log = this.log.child({ bu: bu.code });
    onScan?.();
    const { files: listed, report } = await this.folders.list(bu);
    // Every pass, not once: logged only at start, a missing folder would again go unnoticed.
    for (const warning of report.warnings) log.warn({ folder: report.folder }, warning);
    const plan = await this.db.inBuTransaction(lock, bu, {}, async () => {
      const closed = await closeInterrupted(lock);
      if (closed) log.warn({ closed }, 'closed file_start events left by an interrupted loader');
      return planLoad(lock, this.source, bu, { listed });
    });
    const oldest = Math.min(...plan.pending.map((f) => f.lastModified.getTime()));
    metrics.loadLagSeconds.set({ bu: bu.code }, plan.pending.length ? Math.max(0, (Date.now() - oldest) / 1000) : 0);
    if (plan.blockedBy) {
      return { status: 'blocked', applied: 0, errorEventId: plan.blockedBy.id, message: plan.blockedBy.error_message };
    }
    if (plan.late) {
      const { file, code, message } = plan.late;
      const id = await this.db.inBuTransaction(lock, bu, {}, () =>
        insertError(lock, { uri: file.uri, key: file.key, etag: file.etag, entityType: 'Product' }, null, code, message));
      log.warn({ eventId: id, file: file.uri }, message);
      return { status: 'blocked', applied: 0, errorEventId: id, message };
    }
    let applied = 0;
    for (const file of plan.files) {
      if (this.stopping) {
        log.info({ applied, left: plan.files.length - applied }, 'load pass stopped: the service is stopping; the other files apply on the next start');
        return { status: 'interrupted', applied, message: 'stopped: the service is stopping; the remaining files apply on the next pass' };
      }
      let result;
      try {
        result = await this.files.apply(bu, file, lock);
      } catch (err) {
        if (!isTransientError(err)) throw err;
        log.warn({ err, file: file.uri, applied }, 'load pass interrupted: the database or the source did not answer; nothing of the file was applied, the next pass applies it');
        return { status: 'interrupted', applied, message: `interrupted while applying ${file.uri}: ${(err as Error).message}` };
      }
      if (!result.ok) return { status: 'failed', applied, errorEventId: result.eventId, message: result.error };
      applied++;
    }
    if (applied) log.info({ applied }, 'load pass done');
    metrics.loadLagSeconds.set({ bu: bu.code }, 0);
    return { status: 'done', applied };
  }
}
