import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { entitiesFromRows } from '../db/entity-rows';
import { LoadEventEntity } from '../entities';
import { LockHolder, loaderLockHolder } from '../loaders/bu-lock';
import { blockingErrorSql } from '../loaders/event-log';
import { FolderCheck } from '../loaders/folder-check';
import { planLoad } from '../loaders/load-planner';
import { LoadScheduler } from '../loaders/load-scheduler';
import { isStalled } from '../loaders/load-watchdog';
import { Source } from '../loaders/source';

export interface LoadStatusView {
  businessUnit: string;
  running: boolean;
  lastCompleted: LoadEventEntity | null;
  blockedBy: LoadEventEntity | null;
  pendingFiles: string[];
  productCount: number;
  itemCount: number;
  channelNodeCount: number;
  /** Why nothing may be loading although nothing failed (the BU's folder missing or empty). */
  warnings: string[];
  /** The session holding the BU's loader lock, whichever process it belongs to. */
  lock: (LockHolder & { stalled: boolean }) | null;
}

/** Where a BU's loading stands: what ran last, what holds it back, what is waiting. */
export class LoadStatusService {
  constructor(
    private readonly db: Database,
    private readonly source: Source,
    private readonly scheduler: LoadScheduler | null,
    private readonly folders: FolderCheck = new FolderCheck(source),
    /** LOAD_STALL_SECONDS: a lock holder in one state longer than this is stalled. */
    private readonly stallSeconds = 0,
  ) {}

  async status(bu: BusinessUnit): Promise<LoadStatusView> {
    // The listing pendingFiles needs anyway also tells whether the BU's folder is there.
    const { files: listed, report: folder } = await this.folders.list(bu);
    const holder = await loaderLockHolder(this.db, bu);
    const lock = holder && { ...holder, stalled: isStalled(holder, this.stallSeconds) };
    return this.db.withBu(bu, async (m) => {
      const repo = m.getRepository(LoadEventEntity);
      const lastCompleted = await repo.createQueryBuilder('e')
        .where(`e.event_type = 'file_complete' AND e.replay_date IS NULL`).orderBy('e.id', 'DESC').getOne();
      const [blocked] = await m.query(blockingErrorSql());
      const blockedBy = blocked ? entitiesFromRows(m, LoadEventEntity, [blocked])[0] : null;
      const plan = await planLoad(m, this.source, bu, { listed });
      const [counts] = await m.query(`SELECT
        (SELECT count(*) FROM product WHERE NOT deleted)::int AS products,
        (SELECT count(*) FROM item WHERE NOT deleted)::int AS items,
        (SELECT count(*) FROM channel_node WHERE NOT deleted)::int AS nodes`);
      return {
        businessUnit: bu.code,
        running: this.scheduler?.isRunning(bu) ?? false,
        lastCompleted,
        blockedBy,
        pendingFiles: plan.pending.map((f) => f.uri),
        productCount: counts.products,
        itemCount: counts.items,
        channelNodeCount: counts.nodes,
        warnings: folder.warnings,
        lock,
      };
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }
}

