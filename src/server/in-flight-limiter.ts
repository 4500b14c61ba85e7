import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ErrorCode } from '../errors/domain-error';
import type { Caller } from '../resolvers/request-context';
import { httpErrorBody } from './error-formatter';

/** The longest a refusal is held back before it is sent. */
export const MAX_REFUSAL_DELAY_MS = 1000;

/**
 * HTTP 429 in GraphQL's error shape, saying when to retry, sent after a pause of up to
 * Retry-After (at most MAX_REFUSAL_DELAY_MS). A client that honours Retry-After loses nothing: it
 * would wait anyway. One that does not cannot make the service answer it any faster than its
 * connections allow: sent at once, refusals came back as fast as they were asked for (2,400 a
 * second from 16 connections of one key), and answering them took the CPU the limits had saved.
 * The pause holds no slot and reads nothing of the body.
 */
export function tooManyRequests(res: Response, message: string, retryAfterSeconds: number): void {
  const send = () => {
    if (!res.headersSent && !res.writableEnded) res.status(429).set('Retry-After', String(retryAfterSeconds)).json(httpErrorBody(message, ErrorCode.TooManyRequests));
  };
  const timer = setTimeout(send, Math.min(retryAfterSeconds * 1000, MAX_REFUSAL_DELAY_MS));
  res.once('close', () => clearTimeout(timer));
}

/**
 * At most `max` requests of one caller (an API key, or an address when there is no valid key)
 * are served at a time; one more is answered at once with HTTP 429 and Retry-After, and other
 * callers are not affected. This bounds what one key can hold of the process (memory, database
 * connections, CPU) however cheap its requests are to send: four large requests at once used to
 * take 1.5 GB.
 *
 * A count per caller rather than a library: the well-kept ones either limit a rate (requests per
 * window: express-rate-limit, rate-limiter-flexible), which lets slow, heavy requests pile up
 * within the rate, or queue the excess (p-limit, bottleneck, async-sema), which keeps the excess
 * requests and their bodies in memory and answers them late instead of saying no. The slot is
 * held until the handler's work ends, not until the client hangs up, so closing connections does
 * not let work pile up behind them.
 */
export class InFlightLimiter {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly max: number, private readonly setting: string) {}

  /** Requests of this caller being served now. */
  count(caller: string): number {
    return this.inFlight.get(caller) ?? 0;
  }

  /**
   * `handler` (the body parser and the API) runs within the caller's slot; `callerOf` says whose
   * slot (`id`) and how to name it in the refusal (`name`: never the key itself).
   */
  wrap(callerOf: (req: Request) => Caller, handler: (req: Request, res: Response, caller: Caller) => Promise<void>): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction) => {
      const caller = callerOf(req);
      const held = this.count(caller.id);
      if (held >= this.max) {
        tooManyRequests(res, `too many requests in flight for ${caller.name}: at most ${this.max} at a time (${this.setting}); retry when one has been answered`, 1);
        return;
      }
      this.inFlight.set(caller.id, held + 1);
      try {
        await handler(req, res, caller);
      } catch (err) {
        next(err);
      } finally {
        const left = this.count(caller.id) - 1;
        if (left > 0) this.inFlight.set(caller.id, left);
        else this.inFlight.delete(caller.id);
      }
    };
  }
}
