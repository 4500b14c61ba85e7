import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { Database, sessionOptions } from '../../src/db/database';
import { loaderLockKey } from '../../src/loaders/bu-lock';
import { LoadWatchdog } from '../../src/loaders/load-watchdog';
import { registry } from '../../src/metrics/metrics';
import { TempBucket } from '../support/bucket-factory';
import { lockGate, until } from '../support/lock-gate';
import { capturingLogger } from '../support/silent-logger';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/**
 * A business unit's loader lock is visible from any copy: loadStatus names the session holding it,
 * a holder that stays in one state too long is reported as stalled (log, metric, loadStatus), and
 * the session of a killed process does not keep the lock for long.
 */
let t: TestDatabase;
let bucket: TempBucket;
let s: Awaited<ReturnType<typeof startTestServer>>;
const STATUS = '{ loadStatus(businessUnit: "bak") { lock { pid applicationName state secondsInState query stalled } } }';

beforeAll(async () => {
  t = await createTestDatabase(['bak']);
  bucket = new TempBucket();
  s = await startTestServer(t, { bucketDir: bucket.root, env: { LOAD_STALL_SECONDS: '1' } });
});
afterAll(async () => {
  await s.stop();
  await t.close();
  bucket.remove();
});

async function holdLock(applicationName: string): Promise<Client> {
  const holder = new Client({ connectionString: t.url, application_name: applicationName });
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [loaderLockKey(t.bu('bak'))]);
  return holder;
}

it('loadStatus is null while the lock is free, and names the holder of another session', async () => {
  expect((await s.gql(STATUS)).body.data.loadStatus.lock).toBeNull();
  const holder = await holdLock('another copy');
  try {
    const { rows: [{ pid }] } = await holder.query('SELECT pg_backend_pid() AS pid');
    const { lock } = (await s.gql(STATUS)).body.data.loadStatus;
    expect(lock).toMatchObject({ pid, applicationName: 'another copy', state: 'idle', stalled: false });
  } finally {
    await holder.end();
  }
  expect((await s.gql(STATUS)).body.data.loadStatus.lock).toBeNull();
});

it('a holder that stays in one statement longer than LOAD_STALL_SECONDS is stalled: loadStatus, a log line and the metric say so', async () => {
  const holder = await holdLock('stuck loader');
  const { log, lines } = capturingLogger('info');
  const watchdog = new LoadWatchdog(t.db, t.units, 1, log);
  // The holder's statement waits at a gate the test opens: it stays active as long as the test needs, however slow the machine.
  const gate = await lockGate(t.url, 2);
  try {
    const stuck = holder.query(gate.waitStatement);
    await gate.waiting();
    // Stalled once the server has seen the statement running for more than LOAD_STALL_SECONDS (1 s).
    let lock: Record<string, unknown> = {};
    await until('loadStatus to call the holder stalled', async () => {
      lock = (await s.gql(STATUS)).body.data.loadStatus.lock;
      return lock?.stalled === true;
    });
    expect(lock).toMatchObject({ state: 'active', stalled: true, query: gate.waitStatement });
    expect(lock.secondsInState).toBeGreaterThan(1);
    // The service's own watchdog (every second here) puts it in /readyz, which stays ready.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const readyz = async (): Promise<any> => (await fetch(s.app.server.url.replace(/\/graphql$/, '/readyz'))).json();
    let ready = await readyz();
    await until('/readyz to call the BU stalled', async () => (ready = await readyz()).businessUnits[0].loading?.stalled === true);
    expect(ready).toMatchObject({
      status: 'ready', warnings: expect.arrayContaining([expect.stringMatching(/^bak: loading makes no progress: the session holding its loader lock \(pid \d+, stuck loader\) has been active for \d+ s$/)]),
      businessUnits: [{ code: 'bak', loading: { stalled: true, lock: { applicationName: 'stuck loader', state: 'active' } } }],
    });
    await watchdog.check();
    expect(lines).toContainEqual(expect.objectContaining({ bu: 'bak', pid: expect.any(Number), state: 'active',
      msg: expect.stringMatching(/makes no progress/) }));
    expect(await registry.getSingleMetricAsString('pim_load_stalled')).toMatch(/pim_load_stalled\{bu="bak"\} 1/);
    await gate.open();
    await stuck;
    await holder.query('SELECT 1'); // moves again: a new statement
    await watchdog.check();
    expect(await registry.getSingleMetricAsString('pim_load_stalled')).toMatch(/pim_load_stalled\{bu="bak"\} 0/);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'loading of this business unit moves again' }));
  } finally {
    await gate.open();
    await gate.close();
    await holder.end();
  }
});

it("the service's sessions carry the statement timeout and the client check of DATABASE_* settings", async () => {
  const db = await Database.connect(t.url, { poolSize: 1, limits: { statementTimeoutMs: 1234, clientCheckIntervalMs: 2000 } });
  try {
    expect(await db.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '1234ms' }]);
    expect(await db.query('SHOW client_connection_check_interval')).toEqual([{ client_connection_check_interval: '2s' }]);
    await expect(db.query('SELECT pg_sleep(3)')).rejects.toThrow(/canceling statement due to statement timeout/);
    const readPool = await db.withBu(t.bu('bak'), (m) => m.query('SHOW statement_timeout'), { readOnly: true });
    expect(readPool).toEqual([{ statement_timeout: '1234ms' }]);
  } finally {
    await db.close();
  }
});

it("a killed process's session that holds the lock mid-statement is gone within seconds, and named meanwhile", async () => {
  // As the service's own sessions are: the same session settings (DATABASE_CLIENT_CHECK_INTERVAL_MS 1 s here).
  const options = sessionOptions({ statementTimeoutMs: 0, clientCheckIntervalMs: 1000 });
  const child = spawn(process.execPath, ['-e', `
    const { Client } = require('pg');
    const c = new Client({ connectionString: process.env.URL, options: process.env.OPTIONS, application_name: 'doomed loader' });
    c.connect().then(() => c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [process.env.KEY]))
      .then(() => { console.log('LOCKED'); return c.query('SELECT pg_sleep(600)'); });`], {
    env: { ...process.env, URL: t.url, OPTIONS: options, KEY: loaderLockKey(t.bu('bak')), NODE_PATH: `${process.cwd()}/node_modules` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d) => { if (String(d).includes('LOCKED')) resolve(); }));
  const exited = new Promise((r) => child.once('exit', r));
  // Until the pg_sleep statement has reached the server (the lock is named from the start; its statement from then).
  let named: Record<string, unknown> = {};
  await until('the doomed session to run pg_sleep', async () => {
    named = (await s.gql(STATUS)).body.data.loadStatus.lock;
    return named?.query === 'SELECT pg_sleep(600)';
  });
  expect(named).toMatchObject({ applicationName: 'doomed loader', state: 'active', query: 'SELECT pg_sleep(600)' });

  child.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  while ((await s.gql(STATUS)).body.data.loadStatus.lock !== null) {
    if (Date.now() - killedAt > 15_000) throw new Error('the dead session still holds the lock after 15 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(Date.now() - killedAt).toBeLessThan(5_000);
}, 30_000);
