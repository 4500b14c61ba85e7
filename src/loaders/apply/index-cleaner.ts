import { BusinessUnit } from '../../config/business-unit';
import { Database } from '../../db/database';
import { Logger } from '../../logger';
import { cleanAttributeIndexes } from '../../repositories/catalogue-write.repository';

/**
 * While a file is written, merges the attribute GIN indexes' pending lists from a second pooled
 * connection every `intervalMs`. The loading backend is the load's bottleneck; with the merge on
 * another core it only appends to the pending list (a 20,000-product file: 9.0–9.5 s → 7.7–8.2 s,
 * BENCHMARKS.md). Entries of rows the file's transaction has not committed are merged like any
 * others (index entries carry no visibility; a rollback leaves dead entries for vacuum, as always).
 * Best effort: a failure is logged once and the load goes on without it (autovacuum, or the
 * loading backend past gin_pending_list_limit, then merges).
 */
export class IndexCleaner {
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly done: Promise<void>;
  /** Pending pages merged so far. */
  pages = 0;

  private constructor(private readonly db: Database, private readonly bu: BusinessUnit, private readonly intervalMs: number, private readonly log: Logger) {
    this.done = this.run();
  }

  /** Starts cleaning for `bu`; an interval of 0 starts nothing. */
  static start(db: Database, bu: BusinessUnit, intervalMs: number, log: Logger): IndexCleaner | null {
    return intervalMs > 0 ? new IndexCleaner(db, bu, intervalMs, log) : null;
  }

  /** Stops after the merge in progress, if any; never throws. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wake = () => { clearTimeout(timer); resolve(); };
      });
      if (this.stopped) return;
      try {
        this.pages += await this.db.withBu(this.bu, (m) => cleanAttributeIndexes(m));
      } catch (err) {
        this.log.warn({ bu: this.bu.code, err }, 'merging the attribute indexes\' pending lists failed; this load goes on without it (LOAD_INDEX_CLEAN_INTERVAL_MS)');
        return;
      }
    }
  }
}
