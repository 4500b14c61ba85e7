import { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';

/**
 * The per-BU PostgreSQL advisory lock that keeps loads and replays of one BU from running over
 * each other, across every running copy of the service. Session-level, on one pooled
 * connection, which the work inside then uses for everything (one connection per BU at a time).
 */
export function loaderLockKey(bu: BusinessUnit): string {
  return `pim-accumulator:load:${bu.schema}`;
}

export type LockResult<T> = { locked: true; value: T } | { locked: false };

export async function withBuLock<T>(
  db: Database, bu: BusinessUnit, fn: (runner: QueryRunner) => Promise<T>, options: { waitMs?: number } = {},
): Promise<LockResult<T>> {
  const runner = db.dataSource.createQueryRunner();
  await runner.connect();
  try {
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [loaderLockKey(bu)]);
      if (locked) break;
      if (Date.now() >= deadline) return { locked: false };
      await new Promise((r) => setTimeout(r, 200));
    }
    // Whoever looks at the lock (loadStatus of any copy, pg_stat_activity) sees who holds it since when.
    await runner.query(`SELECT set_config('application_name', $1, false)`, [`pim-accumulator: ${bu.code} loader since ${new Date().toISOString()}`]);
    try {
      return { locked: true, value: await fn(runner) };
    } finally {
      // After a lost connection these fail too: the original error is the one that matters.
      await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0)), set_config('application_name', 'pim-accumulator', false)`,
        [loaderLockKey(bu)]).catch(() => undefined);
    }
  } finally {
    if (!runner.isReleased) await runner.release().catch(() => undefined);
  }
}

/** Who holds a BU's loader lock, as PostgreSQL sees that session. */
export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddress: string | null;
  state: string;
  transactionStartedAt: Date | null;
  /** When the current (state active) or last statement started. */
  statementStartedAt: Date | null;
  /** Since when the session has been in its current state (a long `active` or `idle in transaction`: a stall). */
  stateSince: Date | null;
  /** The first 300 characters of the current or last statement. */
  query: string;
  /** Seconds in the current state, measured by the server. */
  secondsInState: number;
}

/**
 * The session holding the BU's loader lock, from pg_locks and pg_stat_activity: seen by every copy
 * of the service, also when the holder is another copy, a replay, or a session whose process died.
 */
export async function loaderLockHolder(db: Pick<Database, 'query'>, bu: BusinessUnit): Promise<LockHolder | null> {
  const [row] = await db.query<Omit<LockHolder, 'secondsInState'> & { secondsInState: string }>(
    `SELECT a.pid, coalesce(a.application_name, '') AS "applicationName", host(a.client_addr) AS "clientAddress",
       coalesce(a.state, 'unknown') AS state, a.xact_start AS "transactionStartedAt", a.query_start AS "statementStartedAt",
       a.state_change AS "stateSince", left(coalesce(a.query, ''), 300) AS query,
       extract(epoch FROM now() - coalesce(a.state_change, a.backend_start)) AS "secondsInState"
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
    [loaderLockKey(bu)]);
  return row ? { ...row, secondsInState: Number(row.secondsInState) } : null;
}
