import { BusinessUnit } from '../db/business-unit';
import { Logger } from '../logger';
import { BusinessUnitLoader, PassResult } from './business-unit-loader';

/**
 * Runs load passes in the background: one poll timer per BU, plus passes asked for through
 * `trigger` (the triggerLoad mutation). A BU never has two passes in flight in this process;
 * a trigger during a pass queues one more pass after it.
 */
export class LoadScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, Promise<PassResult>>();
  private readonly again = new Set<string>();
  private stopped = false;

  constructor(private readonly loader: BusinessUnitLoader, private readonly units: readonly BusinessUnit[], private readonly log: Logger) {}

  start(intervalMs: number): void {
    for (const bu of this.units) {
      void this.trigger(bu);
      if (intervalMs > 0) this.timers.set(bu.code, setInterval(() => void this.trigger(bu), intervalMs));
    }
  }

  /** Starts a pass now (or right after the current one) and returns at once. */
  trigger(bu: BusinessUnit): Promise<PassResult> | undefined {
    if (this.stopped) return undefined;
    const current = this.inFlight.get(bu.code);
    if (current) {
      this.again.add(bu.code);
      return current;
    }
    const run = this.loader.loadOnce(bu)
      .catch((err: Error): PassResult => {
        this.log.error({ bu: bu.code, err }, 'load pass failed');
        return { status: 'failed', applied: 0, message: err.message };
      })
      .finally(() => {
        this.inFlight.delete(bu.code);
        if (this.again.delete(bu.code)) void this.trigger(bu);
      });
    this.inFlight.set(bu.code, run);
    return run;
  }

  isRunning(bu: BusinessUnit): boolean {
    return this.inFlight.has(bu.code) || this.loader.isRunning(bu);
  }

  /** Stops polling and waits for passes in flight to commit or roll back. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    this.again.clear();
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
