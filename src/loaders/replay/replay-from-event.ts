import { EntityManager } from 'typeorm';
import { BusinessUnit } from '../../config/business-unit';
import { Database } from '../../db/database';
import { LoadEventEntity } from '../../entities';
import { DomainError, ErrorCode, badInput } from '../../errors/domain-error';
import { Logger } from '../../logger';
import { RestoreCounts, restoreStateBefore } from '../../repositories/entity-history.repository';
import { countValidFrom, findEvent, insertReplay, markReplayedFrom, reserveEventId } from '../../repositories/load-event.repository';
import { withBuLock } from '../bu-lock';
import { planLoad } from '../plan/load-planner';
import { Source } from '../source/source';

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
 * to just before E using the history, and leave the files from there to the loader. Runs under the
 * BU's loader lock, so it never interleaves with a load; the restore, the marks and the replay's
 * own event commit together or not at all.
 */
export async function replayFromEvent(db: Database, source: Source, bu: BusinessUnit, fromEventId: string, reason: string, log: Logger): Promise<ReplayOutcome> {
  const result = await withBuLock(db, bu, (runner) => db.inBuTransaction(runner, bu, {}, async () => {
    // Said once the lock is held: over a large state the restore runs for a while, and until it
    // commits nothing of it shows (a crash meanwhile rolls it back whole).
    log.info({ bu: bu.code, fromEventId, reason }, 'replay started: restoring the state before the event');
    const preview = await previewReplay(runner.manager, source, bu, fromEventId);
    const replayEventId = await reserveEventId(runner);
    const from = preview.fromEvent;
    const restored = await restoreStateBefore(runner, fromEventId, replayEventId, from.sourceFile);
    const marked = await markReplayedFrom(runner, fromEventId, reason.trim());
    await insertReplay(runner, replayEventId, from,
      { fromEventId, reason: reason.trim(), markedEvents: marked, restored, filesToReplay: preview.filesToReplay });
    return { ...preview, dryRun: false, markedEvents: marked, replayEventId, restored };
  }), { waitMs: LOCK_WAIT_MS });
  if (!result.locked) {
    throw new DomainError(ErrorCode.Unavailable, `a load or another replay of ${bu.code} is still running after ${LOCK_WAIT_MS / 1000}s; try again`);
  }
  return result.value;
}

/** What a replay from the event would mark and apply again, read in one snapshot; changes nothing. */
export function dryRunReplay(db: Database, source: Source, bu: BusinessUnit, fromEventId: string): Promise<ReplayOutcome> {
  return db.withBu(bu, (m) => previewReplay(m, source, bu, fromEventId), { readOnly: true, isolation: 'REPEATABLE READ' });
}

async function previewReplay(m: EntityManager, source: Source, bu: BusinessUnit, fromEventId: string): Promise<ReplayOutcome> {
  const row = await findEvent(m, fromEventId);
  if (!row) {
    throw new DomainError(ErrorCode.NotFound, `there is no load event ${fromEventId} in business unit ${bu.code} (event ids are per business unit)`);
  }
  if (row.replayDate) {
    throw badInput(`load event ${fromEventId} was already replayed at ${row.replayDate.toISOString()} ` +
      `("${row.replayReason}"); replay from an event that is still valid`);
  }
  const count = await countValidFrom(m, fromEventId);
  const plan = await planLoad(m, source, bu, { asIfReplayedFrom: fromEventId });
  return { dryRun: true, markedEvents: count, fromEvent: row, filesToReplay: plan.pending.map((f) => f.uri) };
}
