import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { badInput } from '../errors/domain-error';
import { ReplayOutcome, dryRunReplay, replayFromEvent } from '../loaders/replay/replay-from-event';
import { Source } from '../loaders/source/source';
import { Logger } from '../logger';

/** requestReplay and the replay command: checks the request, runs the replay, starts the loader after it. */
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
    if (dryRun) return dryRunReplay(this.db, this.source, bu, fromEventId);
    const outcome = await replayFromEvent(this.db, this.source, bu, fromEventId, reason, this.log);
    this.log.warn({ bu: bu.code, fromEventId, reason, markedEvents: outcome.markedEvents, restored: outcome.restored }, 'replay: state restored, events marked');
    this.afterReplay?.(bu);
    return outcome;
  }
}
