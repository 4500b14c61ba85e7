import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { LoadEventEntity } from '../entities';
import { LockHolder, loaderLockHolder } from '../loaders/bu-lock';
import { LoadScheduler } from '../loaders/load-scheduler';
import { isStalled } from '../loaders/load-watchdog';
import { planLoad } from '../loaders/plan/load-planner';
import { FolderCheck } from '../loaders/source/folder-check';
import { Source } from '../loaders/source/source';
import { findBlockingErrorEvent, findLastCompleted } from '../repositories/load-event.repository';
import { liveCounts } from '../repositories/product.repository';

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
      const lastCompleted = await findLastCompleted(m);
      const blockedBy = await findBlockingErrorEvent(m);
      const plan = await planLoad(m, this.source, bu, { listed });
      const counts = await liveCounts(m);
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

