import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; every line about a BU, file or event carries those ids as fields. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'pim-accumulator' }, timestamp: pino.stdTimeFunctions.isoTime });
}
