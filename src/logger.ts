import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; every line about a BU, file or event carries those ids as fields. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'pim-accumulator' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** How often long loads and exports log a progress line. */
export const PROGRESS_INTERVAL_MS = 10_000;

/**
 * A progress reporter for long work: call it with the count done so far as often as you like; it
 * calls `emit` at most once per interval, with that count and the rate since it was created.
 */
export function progressEvery(intervalMs: number, emit: (done: number, perSecond: number) => void): (done: number) => void {
  const started = Date.now();
  let last = started;
  return (done) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    emit(done, Math.round(done / ((now - started) / 1000)));
  };
}
