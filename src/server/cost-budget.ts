import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * How much work each caller (API key, or address without a valid key) may have the service do
 * per second, in the units of the query cost (query-limits.ts: values a query may return). The
 * in-flight bound keeps one key from holding memory; this keeps it from holding the CPU: on one
 * Node thread, a key that sends the largest allowed request again as soon as the last one is
 * answered would otherwise take most of the event loop, and every other client waits behind it.
 *
 * A rate limiter from a well-kept library (rate-limiter-flexible), counting cost points rather
 * than requests: a fixed window just long enough for the largest allowed query to fit in it, so
 * any query the cost limit accepts can run, and a key's work over any window stays within its
 * rate. Each request also pays for its body (1 point a KB) before the body is parsed, so a flood
 * of large requests that are then refused costs its sender too.
 */
export class CostBudget {
  readonly windowSeconds: number;
  private readonly limiter: RateLimiterMemory;

  constructor(readonly perSecond: number, largestQuery: number) {
    this.windowSeconds = Math.max(1, Math.ceil(largestQuery / perSecond));
    this.limiter = new RateLimiterMemory({ keyPrefix: 'graphql-cost', points: perSecond * this.windowSeconds, duration: this.windowSeconds });
  }

  /** Takes `points` from the caller's budget: null when it had them, else the seconds until it has again. */
  async spend(caller: string, points: number): Promise<number | null> {
    try {
      await this.limiter.consume(caller, Math.max(1, Math.ceil(points)));
      return null;
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return Math.max(1, Math.ceil(refused.msBeforeNext / 1000));
      throw refused;
    }
  }

  /** Points a request body costs before it is parsed: 1, and 1 per KB. */
  static bodyPoints(contentLength: string | undefined): number {
    const bytes = Number(contentLength);
    return 1 + (Number.isFinite(bytes) && bytes > 0 ? Math.ceil(bytes / 1024) : 0);
  }
}

/** Why a caller must wait: its budget, and the setting that sets it. */
export function budgetSpent(caller: { name: string }, budget: CostBudget, retryAfterSeconds: number): string {
  return `${caller.name} has used its share of the service's work for now (GRAPHQL_COST_PER_KEY_PER_SECOND: ${budget.perSecond} cost units a second, `
    + `counted over ${budget.windowSeconds} s); retry in ${retryAfterSeconds} s, or ask for less at a time`;
}
