import { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../db/business-unit';
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
    try {
      return { locked: true, value: await fn(runner) };
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [loaderLockKey(bu)]);
    }
  } finally {
    await runner.release();
  }
}
