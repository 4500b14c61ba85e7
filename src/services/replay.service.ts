import { EntityManager } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { LoadEventEntity } from '../entities';
import { DomainError, ErrorCode, badInput } from '../errors/domain-error';
import { withBuLock } from '../loaders/bu-lock';
import { reserveEventId } from '../loaders/event-log';
import { planLoad } from '../loaders/load-planner';
import { Source } from '../loaders/source';
import { RestoreCounts, restoreStateBefore } from '../loaders/state-restorer';
import { Logger } from '../logger';

export interface ReplayOutcome {
  dryRun: boolean;
  markedEvents: number;
  fromEvent: LoadEventEntity;
  /** Files the loader applies again from that point, in order, as they are in the source now. */
  filesToReplay: string[];
  replayEventId?: string;
  restored?: RestoreCounts;
}

const LOCK_WAIT_MS = 60_000;

/**
 * "Replay from event E": mark E and every later valid event (never delete one), put the state back
 * to just before E using the history, and let the loader apply the files from there again. Runs
 * under the BU's loader lock, so it never interleaves with a load.
 */
export class ReplayService {
  constructor(
    private readonly db: Database,
    private readonly source: Source,
    private readonly log: Logger,
    /** Starts the loader after a replay (the scheduler's trigger); none in one-shot commands. */
    private readonly afterReplay: ((bu: BusinessUnit) => void) | null,
  ) {}

  async replay(bu: BusinessUnit, fromEventId: string, reason: string, dryRun: boolean): Promise<ReplayOutcome> {
    if (!/^\d{1,18}$/.test(String(fromEventId))) throw badInput(`fromEventId must be a load event id, got ${JSON.stringify(fromEventId)}`);
    if (!reason || !reason.trim()) throw badInput('a replay needs a reason (it is kept on every marked event)');
    if (dryRun) return this.db.withBu(bu, (m) => this.preview(m, bu, fromEventId), { readOnly: true, isolation: 'REPEATABLE READ' });

    const result = await withBuLock(this.db, bu, (runner) => this.db.inBuTransaction(runner, bu, {}, async () => {
      // Said once the lock is held: over a large state the restore runs for a while, and until it
      // commits nothing of it shows (a crash meanwhile rolls it back whole).
      this.log.info({ bu: bu.code, fromEventId, reason }, 'replay started: restoring the state before the event');
      const preview = await this.preview(runner.manager, bu, fromEventId);
      const replayEventId = await reserveEventId(runner);
      const from = preview.fromEvent;
      const restored = await restoreStateBefore(runner, fromEventId, replayEventId, from.sourceFile);
      const [, marked]: [unknown, number] = await runner.query(
        `UPDATE load_event SET replay_date = now(), replay_reason = $2 WHERE id >= $1 AND replay_date IS NULL`, [fromEventId, reason.trim()]);
      await runner.query(
        `INSERT INTO load_event (id, event_type, source_file, source_key, source_etag, entity_type, metadata)
         VALUES ($1, 'replay', $2, $3, $4, $5, $6)`,
        [replayEventId, from.sourceFile, from.sourceKey, from.sourceEtag, from.entityType,
          JSON.stringify({ fromEventId, reason: reason.trim(), markedEvents: marked, restored, filesToReplay: preview.filesToReplay })]);
      return { ...preview, dryRun: false, markedEvents: marked, replayEventId, restored };
    }), { waitMs: LOCK_WAIT_MS });
    if (!result.locked) {
      throw new DomainError(ErrorCode.Unavailable, `a load or another replay of ${bu.code} is still running after ${LOCK_WAIT_MS / 1000}s; try again`);
    }
    this.log.warn({ bu: bu.code, fromEventId, reason, markedEvents: result.value.markedEvents, restored: result.value.restored }, 'replay: state restored, events marked');
    this.afterReplay?.(bu);
    return result.value;
  }

  private async preview(m: EntityManager, bu: BusinessUnit, fromEventId: string): Promise<ReplayOutcome> {
    const row = await m.getRepository(LoadEventEntity).findOneBy({ id: fromEventId });
    if (!row) {
      throw new DomainError(ErrorCode.NotFound, `there is no load event ${fromEventId} in business unit ${bu.code} (event ids are per business unit)`);
    }
    if (row.replayDate) {
      throw badInput(`load event ${fromEventId} was already replayed at ${row.replayDate.toISOString()} ` +
        `("${row.replayReason}"); replay from an event that is still valid`);
    }
    const [{ count }] = await m.query('SELECT count(*)::int AS count FROM load_event WHERE id >= $1 AND replay_date IS NULL', [fromEventId]);
    const plan = await planLoad(m, this.source, bu, { asIfReplayedFrom: fromEventId });
    return { dryRun: true, markedEvents: count, fromEvent: row, filesToReplay: plan.pending.map((f) => f.uri) };
  }
}
