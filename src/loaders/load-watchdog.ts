import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { Logger } from '../logger';
import { metrics } from '../metrics/metrics';
import { LockHolder, loaderLockHolder } from './bu-lock';

/** What the watchdog last saw of a business unit's loader lock. */
export interface LockReport {
  holder: LockHolder | null;
  /** The holder has stayed in one state (a statement running, a transaction idle) longer than the limit. */
  stalled: boolean;
  checkedAt: Date;
}

/** A holder stuck in one state this long is stalled: a batch statement takes well under a second. */
export function isStalled(holder: LockHolder | null, stallSeconds: number): boolean {
  return !!holder && stallSeconds > 0 && holder.secondsInState > stallSeconds;
}

/**
 * Watches every business unit's loader lock, whoever holds it (this copy, another, a replay, or
 * the session of a process that died): a holder that makes no progress for LOAD_STALL_SECONDS is
 * logged once per stall with what it runs, and shows in `pim_load_stalled`, loadStatus and /readyz.
 * The statement timeout ends a stuck statement in the end; this makes it visible before that.
 */
export class LoadWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private readonly reports = new Map<string, LockReport>();

  constructor(
    private readonly db: Database,
    private readonly units: readonly BusinessUnit[],
    private readonly stallSeconds: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.stallSeconds <= 0) return;
    const every = Math.max(1000, Math.min(30_000, (this.stallSeconds * 1000) / 4));
    const check = () => void this.check().catch((err) => this.log.warn({ err }, 'load watchdog: cannot read the loader locks'));
    this.timer = setInterval(check, every);
    this.timer.unref();
    check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The last report of a business unit (none before the first check). */
  report(bu: BusinessUnit): LockReport | undefined {
    return this.reports.get(bu.code);
  }

  async check(): Promise<void> {
    for (const bu of this.units) {
      const holder = await loaderLockHolder(this.db, bu);
      const stalled = isStalled(holder, this.stallSeconds);
      const before = this.reports.get(bu.code);
      if (stalled && !before?.stalled) {
        this.log.warn({ bu: bu.code, pid: holder!.pid, holder: holder!.applicationName, state: holder!.state,
          seconds: Math.round(holder!.secondsInState), query: holder!.query.slice(0, 200) },
        'loading of this business unit makes no progress: the session holding its loader lock has not moved');
      } else if (!stalled && before?.stalled) {
        this.log.info({ bu: bu.code }, 'loading of this business unit moves again');
      }
      metrics.loadStalled.set({ bu: bu.code }, stalled ? 1 : 0);
      metrics.loadLockHeldSeconds.set({ bu: bu.code }, holder ? holder.secondsInState : 0);
      this.reports.set(bu.code, { holder, stalled, checkedAt: new Date() });
    }
  }
}
