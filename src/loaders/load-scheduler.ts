import { BusinessUnit } from '../config/business-unit';
import { Logger } from '../logger';
import { BusinessUnitLoader, PassResult } from './business-unit-loader';

/** A pass of one BU in this process; `scanned` once it has started listing the source. */
interface Pass {
  scanned: boolean;
  result: Promise<PassResult>;
}

/** The one pass waiting behind a running one: started when that one ends. */
interface Waiting {
  result: Promise<PassResult>;
  start(): void;
  cancel(): void;
}

/** What a trigger that was waiting gets when the scheduler stops before its pass could start. */
const NOT_RUN: PassResult = { status: 'busy', applied: 0, message: 'the loader stopped before this pass started' };

/**
 * Runs load passes in the background: one poll timer per BU, plus passes asked for through
 * `trigger` (the triggerLoad mutation, a replay). A BU never has two passes in flight in this
 * process, and triggers never pile up: a trigger joins the pass in flight while that pass has not
 * started listing the source yet (it will see whatever the trigger announces); after that, it
 * asks for one more pass after it, which every later trigger joins until it starts listing in turn.
 * So any number of triggers make at most one running and one waiting pass per BU, and a file
 * that arrives while a pass is past its listing is still picked up without waiting for the poll.
 */
export class LoadScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, Pass>();
  private readonly waiting = new Map<string, Waiting>();
  private stopped = false;

  constructor(
    private readonly loader: Pick<BusinessUnitLoader, 'loadOnce' | 'isRunning'> & Partial<Pick<BusinessUnitLoader, 'stopAfterCurrentFile'>>,
    private readonly units: readonly BusinessUnit[],
    private readonly log: Logger,
  ) {}

  start(intervalMs: number): void {
    for (const bu of this.units) {
      void this.trigger(bu);
      if (intervalMs > 0) this.timers.set(bu.code, setInterval(() => void this.trigger(bu), intervalMs));
    }
  }

  /** Asks for a pass (see the class) and returns at once the outcome of the pass that will serve it. */
  trigger(bu: BusinessUnit): Promise<PassResult> | undefined {
    if (this.stopped) return undefined;
    const queued = this.waiting.get(bu.code);
    if (queued) return queued.result;
    const current = this.inFlight.get(bu.code);
    if (!current) return this.run(bu);
    if (!current.scanned) return current.result;
    let settle!: (result: Promise<PassResult> | PassResult) => void;
    const result = new Promise<PassResult>((resolve) => { settle = resolve; });
    this.waiting.set(bu.code, { result, start: () => settle(this.run(bu)), cancel: () => settle(NOT_RUN) });
    return result;
  }

  private run(bu: BusinessUnit): Promise<PassResult> {
    const pass = { scanned: false } as Pass;
    pass.result = this.loader.loadOnce(bu, () => { pass.scanned = true; })
      .catch((err: Error): PassResult => {
        this.log.error({ bu: bu.code, err }, 'load pass failed');
        return { status: 'failed', applied: 0, message: err.message };
      })
      .finally(() => {
        this.inFlight.delete(bu.code);
        const next = this.waiting.get(bu.code);
        this.waiting.delete(bu.code);
        if (next && !this.stopped) next.start();
        else next?.cancel();
      });
    this.inFlight.set(bu.code, pass);
    return pass.result;
  }

  /** Resolves once the BU has no pass in flight or waiting in this process. */
  async idle(bu: BusinessUnit): Promise<void> {
    for (;;) {
      const pending = this.waiting.get(bu.code)?.result ?? this.inFlight.get(bu.code)?.result;
      if (!pending) return;
      await pending;
    }
  }

  isRunning(bu: BusinessUnit): boolean {
    return this.inFlight.has(bu.code) || this.loader.isRunning(bu);
  }

  /**
   * Stops polling and waits for passes in flight to end after the file each is applying (it commits or
   * rolls back whole); a waiting pass does not start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.loader.stopAfterCurrentFile?.();
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    for (const w of this.waiting.values()) w.cancel();
    this.waiting.clear();
    await Promise.allSettled([...this.inFlight.values()].map((p) => p.result));
  }
}
