/**
 * Errors that say a service the work needs went away or refused for now (a database restart or
 * failover, a lost connection, an unreachable S3 endpoint), not that the work is wrong: the same
 * work is simply done again later. A load that meets one is interrupted, not failed, so the
 * business unit is not blocked for a person to replay.
 */
const TRANSIENT_CODES = new Set([
  '57P01', // admin_shutdown: the server is shutting down (a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * Node's socket errors: the other end went away mid-exchange (a response cut part-way arrives as
 * `aborted` with ECONNRESET) or cannot be reached right now.
 */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

// "truncated read": an S3 body that ended short of its Content-Length (s3-source.ts checkLength),
// which only a cut connection does: S3 stores an object whole or not at all.
const TRANSIENT_MESSAGES = /truncated read of|Connection terminated|connection terminated unexpectedly|Client has encountered a connection error|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up|timeout exceeded when trying to connect|Query runner already released|the database system is (starting up|shutting down)/i;

export function isTransientError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || NETWORK_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.test(message)) return true;
    e = (e as { cause?: unknown; driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}
