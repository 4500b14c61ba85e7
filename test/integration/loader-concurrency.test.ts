import { Readable } from 'node:stream';
import { Client, Pool } from 'pg';
import { Database } from '../../src/db/database';
import { BusinessUnitLoader, PassResult } from '../../src/loaders/business-unit-loader';
import { loaderLockHolder, loaderLockKey } from '../../src/loaders/bu-lock';
import { LocalSource } from '../../src/loaders/source/local-source';
import { Source } from '../../src/loaders/source/source';
import { productLine } from '../support/bucket-factory';
import { LoaderHarness, loaderHarness, productKey, productName } from '../support/loader-harness';
import { loaderLimits } from '../support/loader-limits';
import { lockGate } from '../support/lock-gate';
import { capturingLogger, silentLogger } from '../support/silent-logger';

/** docs/loading-and-replay.md "Concurrency": restart after a crash, and one loader per BU at a time. */

const F = (day: number, part = 1) => productName(`202604${String(day).padStart(2, '0')}000000000`, part);
const products = (from: number, count: number) => Array.from({ length: count }, (_, i) => productLine({ id: from + i, items: [{ id: (from + i) * 10 }] }));

async function etagOf(h: LoaderHarness, key: string): Promise<string> {
  for await (const o of h.source.list(key)) if (o.key === key) return o.etag;
  throw new Error(`no ${key} in the source`);
}

describe('a file_start left without outcome (the loader died mid-file)', () => {
  let h: LoaderHarness;
  let logged: Record<string, unknown>[];
  beforeEach(async () => {
    const capture = capturingLogger('warn');
    logged = capture.lines;
    h = await loaderHarness({ log: capture.log });
  });
  afterEach(() => h.close());

  it('is closed as a non-blocking "interrupted" error on the next pass, and the file is applied', async () => {
    const key = h.product(F(14), [productLine({ id: 1 }), productLine({ id: 2 })]);
    const [{ id: startId }] = await h.q(
      `INSERT INTO load_event (event_type, source_file, source_key, source_etag, entity_type)
       VALUES ('file_start', $1, $2, $3, 'Product') RETURNING id`, [h.uri(key), key, await etagOf(h, key)]);

    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const events = await h.events();
    expect(events.map((e) => [e.event_type, e.source_key])).toEqual([
      ['file_start', key], ['file_error', key], ['file_start', key], ['file_complete', key],
    ]);
    expect(events[1]).toMatchObject({ start_event_id: startId, metadata: { errorCode: 'interrupted', blocking: false } });
    expect(events[1].error_message).toMatch(/interrupted/);
    expect(events[3]).toMatchObject({ start_event_id: events[2].id, records_inserted: 2 });
    expect((await h.q('SELECT count(*)::int AS n FROM product'))[0].n).toBe(2);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'closed file_start events left by an interrupted loader', closed: 1 }));

    // Closed once; later passes go on normally.
    h.product(F(15), [productLine({ id: 3 })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await h.events()).filter((e) => e.event_type === 'file_error')).toHaveLength(1);
  });
});

describe('two loaders on the same BU', () => {
  let h: LoaderHarness;
  let other: Database;
  let second: BusinessUnitLoader;
  beforeEach(async () => {
    h = await loaderHarness();
    other = await Database.connect(h.t.url, { poolSize: 3 }); // another copy of the service: its own pool
    second = new BusinessUnitLoader(other, h.source, { loader: loaderLimits() }, silentLogger());
  });
  afterEach(async () => {
    await other.close();
    await h.close();
  });

  const completesPerKey = async () => h.q(
    `SELECT source_key, count(*)::int AS n FROM load_event WHERE event_type = 'file_complete' GROUP BY 1 ORDER BY 1`);

  it('reports busy while another one holds the BU\'s advisory lock, and writes nothing', async () => {
    h.product(F(14), [productLine({ id: 1 })]);
    const holder = new Client({ connectionString: h.t.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [loaderLockKey(h.bu())]);
      await expect(h.pass()).resolves.toMatchObject({ status: 'busy', applied: 0 });
      expect(await h.events()).toEqual([]);
      await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [loaderLockKey(h.bu())]);
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    } finally {
      await holder.end();
    }
  });

  it('a second loader started while the first is mid-file gets busy', async () => {
    h.product(F(14), products(1, 5));
    // The first loader stops mid-file at a gate the test opens: the second surely starts during it, however slow the machine.
    const gate = await lockGate(h.t.url);
    try {
      await h.ownerQ(`CREATE FUNCTION held() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${gate.waitSql}; RETURN NULL; END $$`);
      await h.ownerQ(`CREATE TRIGGER held AFTER INSERT ON product FOR EACH STATEMENT EXECUTE FUNCTION held()`);
      const first = h.pass();
      await gate.waiting();
      // pg_locks: the first loader's session holds the BU's lock while it waits mid-file.
      expect(await loaderLockHolder(h.t.db, h.bu())).toMatchObject({ applicationName: expect.stringMatching(/^pim-accumulator: bak loader since /) });
      await expect(second.loadOnce(h.bu())).resolves.toMatchObject({ status: 'busy', applied: 0 });
      expect(h.loader.isRunning(h.bu())).toBe(true);
      await gate.open();
      await expect(first).resolves.toEqual({ status: 'done', applied: 1 });
    } finally {
      await gate.open();
      await gate.close();
    }
    await expect(second.loadOnce(h.bu())).resolves.toEqual({ status: 'done', applied: 0 });
    expect(await completesPerKey()).toEqual([{ source_key: productKey('BAK', F(14)), n: 1 }]);
  });

  it('started together, never both apply a file: exactly one file_complete per file', async () => {
    let day = 10;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) h.product(F(day++), products(round * 1000 + i * 100, 50));
      const results: PassResult[] = await Promise.all([h.pass(), second.loadOnce(h.bu())]);
      for (const r of results) expect(['done', 'busy']).toContain(r.status);
      expect(results.reduce((n, r) => n + r.applied, 0)).toBe(3);
    }
    const counts = await completesPerKey();
    expect(counts).toHaveLength(9);
    expect(counts.every((c) => c.n === 1)).toBe(true);
    expect((await h.events()).filter((e) => e.event_type !== 'file_complete' && e.event_type !== 'file_start')).toEqual([]);
    expect((await h.q('SELECT count(*)::int AS n FROM product'))[0].n).toBe(450);
  });
});

describe('connections a pass needs', () => {
  let h: LoaderHarness;
  afterEach(() => h.close());

  /**
   * Rejects the moment a connection request of the pool has to wait: every connection is out and
   * someone asks for one more. With one pass per connection, that is a pass asking for a second
   * one, which deadlocks once every pass does it. Seen when it happens, not after a time limit.
   */
  function failOnPoolWait(db: Database) {
    const pool = (db.dataSource.driver as unknown as { master: Pool }).master;
    const connect = pool.connect;
    let fail!: (err: Error) => void;
    const failed = new Promise<never>((_, reject) => { fail = reject; });
    pool.connect = function (this: Pool, ...args: unknown[]) {
      if (pool.idleCount === 0 && pool.totalCount >= pool.options.max!) {
        fail(new Error(`a connection was asked for while all ${pool.totalCount} were out: a pass needs more than the one it holds`));
      }
      return (connect as (...a: unknown[]) => unknown).apply(this, args);
    } as Pool['connect'];
    return { failed, restore: () => { pool.connect = connect; } };
  }

  it('passes of several BUs at once, and a failing file, do not exhaust a small pool', async () => {
    h = await loaderHarness({ codes: ['bak', 'cefl', 'ecm'], poolSize: 3 });
    for (const folder of ['BAK', 'CEFL', 'ECM']) h.product(F(14), products(1, 3), { folder });
    h.product(F(15), ['bad'], { folder: 'ECM' }); // not over the limit: applies
    h.bucket.write(productKey('CEFL', productName('20260415000000000', 1, { gzip: true })), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    const guard = failOnPoolWait(h.t.db);
    try {
      const results = await Promise.race([Promise.all(['bak', 'cefl', 'ecm'].map((c) => h.pass(c))), guard.failed]);
      expect(results).toMatchObject([
        { status: 'done', applied: 1 }, { status: 'failed', applied: 1 }, { status: 'done', applied: 2 },
      ]);
    } finally {
      guard.restore();
    }
  });
});

describe('a pass that cannot go on', () => {
  let h: LoaderHarness;
  afterEach(() => h.close());

  it('stops after the file it is applying when the service stops (SIGTERM), and the next pass applies the rest', async () => {
    h = await loaderHarness();
    for (const day of [14, 15, 16]) h.product(F(day), products(day * 100, 3));
    const gate = await lockGate(h.t.url);
    try {
      await h.ownerQ(`CREATE FUNCTION held() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${gate.waitSql}; RETURN NULL; END $$`);
      await h.ownerQ(`CREATE TRIGGER held AFTER INSERT ON product FOR EACH STATEMENT EXECUTE FUNCTION held()`);
      const pass = h.pass();
      // Synchronized on the database, not on time: the first file is being written, uncommitted.
      await gate.waiting();
      h.loader.stopAfterCurrentFile();
      await gate.open();
      await expect(pass).resolves.toMatchObject({ status: 'interrupted', applied: 1, message: expect.stringMatching(/stopping/) });
    } finally {
      await gate.open();
      await gate.close();
    }
    expect((await h.events()).map((e) => e.event_type)).toEqual(['file_start', 'file_complete']);
    await h.ownerQ('DROP TRIGGER held ON product');
    const restarted = new BusinessUnitLoader(h.t.db, h.source, { loader: loaderLimits() }, silentLogger());
    await expect(restarted.loadOnce(h.bu())).resolves.toEqual({ status: 'done', applied: 2 });
  });

  it('is interrupted, not failed, when the database drops its connection mid-file: the BU is not blocked and nothing is half-applied', async () => {
    h = await loaderHarness();
    h.product(F(14), products(1, 3));
    h.product(F(15), products(100, 3));
    await h.ownerQ(`CREATE FUNCTION drop_connection() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$`);
    await h.ownerQ(`CREATE TRIGGER drop_connection BEFORE INSERT ON product FOR EACH ROW WHEN (NEW.entity_id = 101) EXECUTE FUNCTION drop_connection()`);
    await expect(h.pass()).resolves.toMatchObject({ status: 'interrupted', applied: 1 });
    expect(await h.q('SELECT entity_id FROM product ORDER BY 1')).toEqual([{ entity_id: '1' }, { entity_id: '2' }, { entity_id: '3' }]);
    await h.ownerQ('DROP TRIGGER drop_connection ON product');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const errors = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(errors.map((e) => e.metadata)).toEqual([expect.objectContaining({ errorCode: 'interrupted', blocking: false })]);
  });

  it('closes the file it was reading when applying it fails', async () => {
    const opened: Readable[] = [];
    let inner!: LocalSource;
    const source: Source = {
      get url() { return inner.url; },
      list: (prefix) => inner.list(prefix),
      folders: () => inner.folders(),
      uriFor: (key) => inner.uriFor(key),
      open: async (key) => { const s = await inner.open(key); opened.push(s); return s; },
    };
    h = await loaderHarness({ source });
    inner = new LocalSource(h.bucket.root);
    h.product(F(14), products(1, 20_000)); // far longer than what is read before the first batch fails
    await h.ownerQ(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
    await h.ownerQ(`CREATE TRIGGER refuse BEFORE INSERT ON product FOR EACH ROW WHEN (NEW.entity_id = 10) EXECUTE FUNCTION refuse()`);
    await expect(h.pass()).resolves.toMatchObject({ status: 'failed' });
    expect(opened).toHaveLength(1);
    expect(opened[0].destroyed).toBe(true);
  });
});
