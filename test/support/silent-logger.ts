import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';

export const silentLogger = () => createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** A logger whose lines are kept (parsed) for assertions. */
export function capturingLogger(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(level, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
  return { log, lines };
}
