import pino from 'pino';

export type Logger = pino.Logger;

/** Characters of a failed statement's SQL kept in a log line. */
const MAX_QUERY_CHARS = 2000;

/**
 * Errors as pino logs them, minus what can be megabytes: a failed statement's bind parameters
 * (TypeORM puts them on QueryFailedError: for a load, a whole batch of a file) and most of a long
 * SQL text. The message, code and stack stay.
 */
export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (!out || typeof out !== 'object') return out;
  if (Array.isArray(out.parameters)) out.parameters = `${out.parameters.length} parameter(s), not logged`;
  if (typeof out.query === 'string' && out.query.length > MAX_QUERY_CHARS) out.query = `${out.query.slice(0, MAX_QUERY_CHARS)}…`;
  return out;
}

/**
 * Structured JSON logs on stderr (stdout carries only a command's result, so `> result.json` works);
 * every line about a BU, file or event carries those ids as fields.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level, base: { service: 'pim-accumulator' }, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: serializeError },
  };
  return pino(options, destination ?? pino.destination({ dest: 2, sync: true }));
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
