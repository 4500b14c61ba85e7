import { Client } from 'pg';

/** Advisory locks of the two-int key space (pg_locks objsubid 2): apart from the service's bigint keys (objsubid 1). */
const GATE_CLASS = 15_015;

/** Polls `check` until it holds: the tests synchronize on what PostgreSQL shows, not on time; `what` names a wait that never ends. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still waiting after ${timeoutMs / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A gate the code under test stops at until the test opens it. The test's own session holds an
 * advisory lock; SQL run by the service (a trigger the owner installs, `waitSql`) asks for it and
 * waits. `waiting()` returns once PostgreSQL shows that many sessions waiting at the gate
 * (pg_locks, a request not granted), so a test knows the service is there, mid-transaction and
 * holding whatever it holds, however slow the machine is.
 */
export async function lockGate(url: string, key = 1) {
  const holder = new Client({ connectionString: url });
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock($1, $2)', [GATE_CLASS, key]);
  let open = false;
  const waiters = async () => (await holder.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND NOT granted`,
    [GATE_CLASS, key])).rows[0].n;
  return {
    /** PL/pgSQL: waits at the gate (a shared lock, so every waiter passes once it opens; released when the transaction ends). */
    waitSql: `PERFORM pg_advisory_xact_lock_shared(${GATE_CLASS}, ${key})`,
    /** A statement of its own that waits at the gate (a transaction-level lock: released when the statement ends). */
    waitStatement: `SELECT pg_advisory_xact_lock_shared(${GATE_CLASS}, ${key})`,
    /** Until `n` sessions wait at the gate. */
    waiting: (n = 1) => until(`${n} session(s) to wait at lock gate ${key}`, async () => (await waiters()) >= n),
    waiters,
    async open(): Promise<void> {
      if (open) return;
      open = true;
      await holder.query('SELECT pg_advisory_unlock($1, $2)', [GATE_CLASS, key]);
    },
    async close(): Promise<void> {
      await holder.end();
    },
  };
}

export type LockGate = Awaited<ReturnType<typeof lockGate>>;
