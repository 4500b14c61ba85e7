import fs from 'node:fs';
import path from 'node:path';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';
import { loaderLockHolder } from '../../src/loaders/bu-lock';
import { LocalSource } from '../../src/loaders/source/local-source';
import { deleteLine, jsonl, nodeLine, productLine } from '../support/bucket-factory';
import { LoaderHarness, attributeFile, loaderHarness, productKey, productName } from '../support/loader-harness';
import { loaderLimits } from '../support/loader-limits';
import { lockGate, until } from '../support/lock-gate';
import { silentLogger } from '../support/silent-logger';

/** docs/loading-and-replay.md "Replay": named scenarios; each ends equal to a fresh load of the source. */

const p = (id: number, stage: string, extra: Partial<Parameters<typeof productLine>[0]> = {}) =>
  productLine({ id, attrs: { Stage: stage }, items: [{ id: id * 10, attrs: { Stage: stage } }], nodes: [1], ...extra });

async function seed(h: LoaderHarness) {
  h.bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String', Stage: 'String' }));
  h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', jsonl([nodeLine(1, 'Root', { children: [2] }), nodeLine(2, 'Child')]));
  h.product(productName('20260401000000'), [p(1, 'a'), p(2, 'a'), p(3, 'a')]);
  h.product(productName('20260402000000'), [p(1, 'b'), deleteLine(2), p(4, 'b', { items: [{ id: 30 }] })]);
  h.product(productName('20260403000000'), [p(2, 'c'), p(3, 'c', { items: [] }), p(5, 'c')]);
  await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 5 });
}

async function expectEqualToFreshLoad(h: LoaderHarness) {
  const fresh = await h.freshState();
  expect(fresh.result.status).toBe('done');
  expect(await h.state()).toEqual(fresh.state);
}

const completes = async (h: LoaderHarness) =>
  (await h.q(`SELECT id, start_event_id, source_key FROM load_event WHERE event_type = 'file_complete' AND replay_date IS NULL ORDER BY id`));

describe('replay scenarios', () => {
  let h: LoaderHarness;
  beforeEach(async () => {
    h = await loaderHarness();
    await seed(h);
  });
  afterEach(() => h.close());

  it('a dry run reports what would be marked and re-applied, and changes nothing', async () => {
    const before = { state: await h.state(), events: await h.events() };
    const [, , third] = await completes(h);
    const out = await h.replay(third.start_event_id, 'preview', true);
    expect(out.dryRun).toBe(true);
    expect(out.fromEvent.id).toBe(String(third.start_event_id));
    expect(out.markedEvents).toBe(6); // starts and completes of the last three files
    expect(out.filesToReplay.map((f) => f.split('/').slice(-1)[0])).toEqual([
      productName('20260401000000'), productName('20260402000000'), productName('20260403000000'),
    ]);
    expect({ state: await h.state(), events: await h.events() }).toEqual(before);
  });

  it('replays from the first event: everything re-applied, nothing deleted, state equal to a fresh load', async () => {
    const eventsBefore = await h.events();
    const out = await h.replay(eventsBefore[0].id, 'from the start');
    expect(out.markedEvents).toBe(eventsBefore.length);
    expect(await h.q('SELECT count(*)::int AS n FROM product')).toEqual([{ n: 0 }]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 5 });
    const events = await h.events();
    expect(events.slice(0, eventsBefore.length).every((e) => e.metadata && (e as any).replay_date)).toBe(true); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(events.filter((e) => e.event_type === 'replay' as string)).toHaveLength(1);
    await expectEqualToFreshLoad(h);
  });

  it('replays from the last file: only what it changed is put back, then it applies again', async () => {
    const last = (await completes(h)).slice(-1)[0];
    const out = await h.replay(last.start_event_id, 'last file again');
    expect(out.markedEvents).toBe(2);
    expect(out.restored).toMatchObject({ Product: { restored: 2, removed: 1 } }); // 2 and 3 back to before; 5 gone
    const stage = async (id: number) => (await h.q('SELECT attributes->>\'Stage\' AS s, deleted FROM product WHERE entity_id = $1', [id]))[0];
    expect(await stage(2)).toEqual({ s: 'a', deleted: true });
    expect(await stage(5)).toBeUndefined();
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    await expectEqualToFreshLoad(h);
  });

  it('replays from a file_error after the bad file was fixed', async () => {
    const bad = h.product(productName('20260404000000'), Array.from({ length: 12 }, () => '{ not json'));
    await expect(h.pass()).resolves.toMatchObject({ status: 'failed' });
    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked' });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    h.bucket.write(bad, jsonl([p(6, 'd'), p(1, 'd')]));
    await h.replay(error.id, 'fixed file 4');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await h.q('SELECT attributes->>\'Stage\' AS s FROM product WHERE entity_id = 1'))[0].s).toBe('d');
    await expectEqualToFreshLoad(h);
  });

  it('replays an overwritten file from the event the error names', async () => {
    const first = h.product(productName('20260401000000'), [p(1, 'fixed'), p(2, 'fixed'), p(3, 'fixed')]);
    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked' });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(error.source_key).toBe(first);
    const from = /Replay from event (\d+)/.exec(error.error_message!)![1];
    await h.replay(from, 'inRiver resent file 1');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 3 });
    await expectEqualToFreshLoad(h);
  });

  it('replays twice in a row (the second from an earlier point than the first)', async () => {
    const [, , , second, third] = await completes(h);
    await h.replay(third.start_event_id, 'one');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    await expectEqualToFreshLoad(h);
    await h.replay(second.start_event_id, 'two');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    await expectEqualToFreshLoad(h);
    // and once more from a point after the second replay's own event
    const latest = (await completes(h)).slice(-1)[0];
    await h.replay(latest.id, 'three');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    await expectEqualToFreshLoad(h);
  });

  it('a crash in the middle of a replay leaves nothing half-done; after restart the state is right', async () => {
    const [, , third] = await completes(h);
    const before = { state: await h.state(), events: await h.events() };
    // The replay's connection dies mid-transaction, as if the process were killed.
    await h.ownerQ(`CREATE FUNCTION crash() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$`);
    await h.ownerQ(`CREATE TRIGGER crash BEFORE INSERT ON entity_history FOR EACH ROW WHEN (NEW.entity_key = '3') EXECUTE FUNCTION crash()`);
    await expect(h.replay(third.start_event_id, 'crashes')).rejects.toThrow();
    await h.ownerQ('DROP TRIGGER crash ON entity_history');
    expect({ state: await h.state(), events: await h.events() }).toEqual(before);
    // A crash while re-applying the files after a replay: the file's transaction rolls back.
    await h.ownerQ(`CREATE TRIGGER crash BEFORE INSERT ON product FOR EACH ROW WHEN (NEW.entity_id = 5) EXECUTE FUNCTION crash()`);
    await h.replay(third.start_event_id, 'replay, then crash while reloading');
    // The database went away mid-file: interrupted, not failed (the BU is not blocked).
    await expect(h.pass()).resolves.toMatchObject({ status: 'interrupted', applied: 2, message: expect.stringMatching(/terminating connection/) });
    await h.ownerQ('DROP TRIGGER crash ON product');
    // Restart: a new loader closes the interrupted start and applies the file.
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await h.events()).some((e) => e.metadata?.errorCode === 'interrupted')).toBe(true);
    await expectEqualToFreshLoad(h);
  });

  it('refuses a non-existent event, an event already replayed, and keeps everything as it was', async () => {
    const [, , third] = await completes(h);
    await h.replay(third.start_event_id, 'first');
    const before = { state: await h.state(), events: await h.events() };
    await expect(h.replay('99999', 'nope')).rejects.toThrow(/there is no load event 99999 in business unit bak/);
    await expect(h.replay(third.start_event_id, 'again')).rejects.toThrow(/already replayed/);
    await expect(h.replay('abc', 'x')).rejects.toThrow(/must be a load event id/);
    await expect(h.replay(third.start_event_id, '  ')).rejects.toThrow(/needs a reason/);
    expect({ state: await h.state(), events: await h.events() }).toEqual(before);
  });
});

describe('a replay requested while a load runs', () => {
  it('waits for the lock while the load holds it, then proceeds and replays what the load committed', async () => {
    const h = await loaderHarness();
    const gate = await lockGate(h.t.url);
    try {
      h.product(productName('20260401000000'), [p(1, 'a'), p(2, 'a')]);
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
      const [first] = await completes(h);
      h.product(productName('20260402000000'), [p(1, 'b'), p(3, 'b')]);
      // The load stops mid-file at a gate the test opens: it holds the BU's lock as long as the test needs.
      await h.ownerQ(`CREATE FUNCTION held() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${gate.waitSql}; RETURN NULL; END $$`);
      await h.ownerQ(`CREATE TRIGGER held AFTER INSERT OR UPDATE ON product FOR EACH STATEMENT EXECUTE FUNCTION held()`);
      const load = h.pass();
      await gate.waiting();
      const holder = await loaderLockHolder(h.t.db, h.bu());
      expect(holder).toMatchObject({ applicationName: expect.stringMatching(/^pim-accumulator: bak loader since /) });

      let settled = false;
      const replay = h.replay(first.start_event_id, 'while a load runs');
      void replay.then(() => { settled = true; }, () => { settled = true; });
      // It asks for the lock again and again (pg_try_advisory_lock, every 200 ms): seen from pg_stat_activity, not assumed after a while.
      const asked = new Set<string>();
      await until('the replay to ask for the lock three times', async () => {
        const rows = await h.t.db.query<{ query_start: Date }>(
          `SELECT query_start FROM pg_stat_activity WHERE pid <> $1 AND datname = current_database() AND query LIKE 'SELECT pg_try_advisory_lock(%'`,
          [holder!.pid]);
        for (const r of rows) asked.add(r.query_start.toISOString());
        return asked.size >= 3;
      });
      expect(settled).toBe(false);

      await gate.open();
      await expect(load).resolves.toEqual({ status: 'done', applied: 1 });
      const out = await replay;
      // After the load committed: the second file's start and complete are marked too, and the replay's event comes after them.
      expect(out.markedEvents).toBe(4);
      const [, second] = (await h.events()).filter((e) => e.event_type === 'file_complete');
      expect(Number(out.replayEventId)).toBeGreaterThan(Number(second.id));
      expect(await h.q('SELECT count(*)::int AS n FROM product')).toEqual([{ n: 0 }]);
      await h.ownerQ('DROP TRIGGER held ON product');
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
      await expectEqualToFreshLoad(h);
    } finally {
      await gate.open();
      await gate.close();
      await h.close();
    }
  });
});

describe('a file deleted from the source after it was applied (docs/loading-and-replay.md "A file deleted from the source")', () => {
  it('changes nothing until a replay from before it, which rebuilds without it; a replay from after it keeps it', async () => {
    const h = await loaderHarness();
    try {
      await seed(h);
      const [, , , second, third] = await completes(h);
      const secondKey = productKey('BAK', productName('20260402000000'));
      expect(second.source_key).toBe(secondKey);
      const before = { state: await h.state(), events: await h.events() };
      fs.rmSync(path.join(h.bucket.root, secondKey));
      // Nothing pending, nothing undone, no event: the state keeps what the file applied.
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 0 });
      expect({ state: await h.state(), events: await h.events() }).toEqual(before);
      expect(await h.q('SELECT deleted FROM product WHERE entity_id = 4')).toEqual([{ deleted: false }]); // the product only it brought stays
      // A replay from after it: the file is still applied.
      await h.replay(third.start_event_id, 'after the deleted file');
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
      expect(await h.state()).toEqual(before.state);
      expect(await h.completed()).toContain(secondKey);
      // A replay from before it: the files the source holds now are applied, without it; as a fresh load of the source.
      await h.replay(second.start_event_id, 'before the deleted file');
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
      expect(await h.completed()).not.toContain(secondKey);
      expect(await h.q('SELECT deleted FROM product WHERE entity_id = 4')).toEqual([]);
      await expectEqualToFreshLoad(h);
    } finally {
      await h.close();
    }
  });
});

describe('restoring from history', () => {
  it('puts the state back exactly as it was after the last file before the event (before anything is re-applied)', async () => {
    const h = await loaderHarness();
    try {
      h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', jsonl([nodeLine(1, 'Root', { children: [2] }), nodeLine(2, 'Child')]));
      h.product(productName('20260401000000'), [p(1, 'a', { resources: [7, 8] }), p(2, 'a'), p(3, 'a', { nodes: [1, 2] })]);
      await h.pass();
      const after1 = await h.state();
      const rawAfter1 = await h.dump();
      h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', jsonl([nodeLine(1, 'Root v2')]));
      h.product(productName('20260402000000'), [
        p(1, 'b', { resources: [8] }), deleteLine(2), p(3, 'b', { nodes: [2], items: [{ id: 30, attrs: { Stage: 'b' } }, { id: 99 }] }), p(4, 'b'),
      ]);
      await h.pass();
      expect(await h.state()).not.toEqual(after1);
      const [, , secondChannel] = (await h.q(`SELECT id, start_event_id FROM load_event WHERE event_type = 'file_complete' ORDER BY id`));
      await h.replay(secondChannel.start_event_id, 'back to day one');
      expect(await h.state()).toEqual(after1);
      // Even event ids and times come back: the rows are the same rows.
      expect(await h.dump()).toEqual(rawAfter1);
    } finally {
      await h.close();
    }
  });
});

describe('replay across business units', () => {
  it('a replay of one BU never touches another, and an event id of another BU is refused', async () => {
    const h = await loaderHarness({ codes: ['bak', 'gem'] });
    try {
      h.product(productName('20260401000000'), [p(1, 'bak')]);
      h.product(productName('20260401000000'), [p(1, 'gem')], { folder: 'GEM' });
      h.product(productName('20260402000000'), [p(2, 'gem')], { folder: 'GEM' });
      await h.pass('bak');
      await h.pass('gem');
      const gemBefore = await h.state('gem');
      const gemEvents = await h.events('gem');
      const bakEvents = await h.events('bak');
      expect(gemEvents.length).toBeGreaterThan(bakEvents.length);
      await expect(h.replay(gemEvents[gemEvents.length - 1].id, 'wrong BU', false, 'bak')).rejects.toThrow(/no load event \d+ in business unit bak/);
      await h.replay(bakEvents[0].id, 'bak only', false, 'bak');
      expect(await h.state('gem')).toEqual(gemBefore);
      expect(await h.events('gem')).toEqual(gemEvents);
    } finally {
      await h.close();
    }
  });
});

describe('full snapshots', () => {
  it('apply as upserts; products absent from every part are counted and listed, never deleted', async () => {
    const h = await loaderHarness();
    try {
      h.product(productName('20260401000000'), [p(1, 'a'), p(2, 'a'), p(3, 'a'), p(4, 'a')]);
      await h.pass();
      h.product('ecommerce_full_20260405000000_001.jsonl', [p(1, 'full')]);
      h.product('ecommerce_full_20260405000000_002.jsonl', [p(3, 'full'), p(9, 'full')]);
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
      const [part1, part2] = (await h.events()).filter((e) => e.event_type === 'file_complete').slice(-2);
      expect(part1.metadata.absentFromSnapshot).toMatchObject({ count: 3, ids: ['2', '3', '4'] });
      expect(part2.metadata.absentFromSnapshot).toMatchObject({ count: 2, ids: ['2', '4'], productsInSnapshot: 3 });
      expect(part2).toMatchObject({ records_inserted: 1, records_updated: 1, records_deleted: 0 });
      const live = await h.q('SELECT entity_id FROM product WHERE NOT deleted ORDER BY entity_id');
      expect(live.map((r) => r.entity_id)).toEqual(['1', '2', '3', '4', '9']);
    } finally {
      await h.close();
    }
  });

  it('count the parts before them whoever applied those: a restart between parts, a replay that undid a part', async () => {
    const h = await loaderHarness();
    try {
      h.product(productName('20260401000000'), [1, 2, 3, 4, 5].map((id) => p(id, 'a')));
      h.product('ecommerce_full_20260405000000_001.jsonl', [p(1, 'full'), p(2, 'full')]);
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
      // Part 2 comes after a restart: a new process, with nothing of the first one in memory.
      h.product('ecommerce_full_20260405000000_002.jsonl', [p(3, 'full')]);
      const restarted = new BusinessUnitLoader(h.t.db, new LocalSource(h.bucket.root), { loader: loaderLimits() }, silentLogger());
      await expect(restarted.loadOnce(h.bu())).resolves.toEqual({ status: 'done', applied: 1 });
      const lastPart = async () => (await h.events()).filter((e) => e.event_type === 'file_complete').at(-1)!.metadata.absentFromSnapshot;
      expect(await lastPart()).toMatchObject({ count: 2, ids: ['4', '5'], productsInSnapshot: 3 });

      // inRiver resends part 1 without product 2; the replay re-applies both parts: the undone version of part 1 no longer counts.
      h.product('ecommerce_full_20260405000000_001.jsonl', [p(1, 'again')]);
      const blocked = await restarted.loadOnce(h.bu());
      expect(blocked).toMatchObject({ status: 'blocked' });
      await h.replay(/Replay from event (\d+)/.exec(blocked.message!)![1], 'part 1 resent');
      await expect(restarted.loadOnce(h.bu())).resolves.toEqual({ status: 'done', applied: 2 });
      expect(await lastPart()).toMatchObject({ count: 3, ids: ['2', '4', '5'], productsInSnapshot: 2 });
    } finally {
      await h.close();
    }
  });

  it("keep each business unit's snapshot parts apart when another BU loads a full file in between", async () => {
    const h = await loaderHarness({ codes: ['bak', 'gem'] });
    try {
      h.product(productName('20260401000000'), [p(1, 'a'), p(2, 'a'), p(3, 'a'), p(4, 'a')]);
      await h.pass();
      h.product('ecommerce_full_20260405000000_001.jsonl', [p(1, 'full')]);
      await h.pass();
      h.product('ecommerce_full_20260406000000_001.jsonl', [p(50, 'gem')], { folder: 'GEM' });
      await h.pass('gem');
      h.product('ecommerce_full_20260405000000_002.jsonl', [p(3, 'full'), p(9, 'full')]);
      await h.pass();
      const part2 = (await h.events()).filter((e) => e.event_type === 'file_complete').at(-1)!;
      expect(part2.metadata.absentFromSnapshot).toMatchObject({ count: 2, ids: ['2', '4'], productsInSnapshot: 3 });
    } finally {
      await h.close();
    }
  });
});
