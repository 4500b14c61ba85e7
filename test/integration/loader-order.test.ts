import { jsonl, nodeLine, productLine } from '../support/bucket-factory';
import { LoaderHarness, attributeFile, loaderHarness, productKey, productName } from '../support/loader-harness';

/** docs/input-format.md "Which file first" and "Is a file new?": timestamp token, then part; overwritten files; late arrivals. */

const stage = (id: number, value: string) => productLine({ id, attrs: { Stage: value } });

describe('order of product files', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('applies both naming styles by timestamp, then part, never by key; the later state wins', async () => {
    // Written in an order unrelated to the expected one; key order would put the 2026-04-15 files first.
    const k15b = h.product(productName('20260415122159450', 2), [stage(1, '15-part2'), stage(3, '15-part2')]);
    const k13a = h.product(productName('20260413221143', 1, { job: '629037' }), [stage(1, '13-part1'), stage(2, '13-part1'), stage(3, '13-part1')]);
    const k14 = h.product(productName('20260414080000', 1, { job: '912345' }), [stage(1, '14'), stage(2, '14')]);
    const k15a = h.product(productName('20260415122159450', 1), [stage(1, '15-part1'), stage(2, '15-part1')]);
    const k13b = h.product(productName('20260413221143', 2, { job: '629037' }), [stage(1, '13-part2'), stage(3, '13-part2')]);
    const expected = [k13a, k13b, k14, k15a, k15b];
    expect([...expected].sort()).not.toEqual(expected); // the test means something only if key order differs

    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 5 });

    expect(await h.completed()).toEqual(expected);
    const events = await h.events();
    // Each file: its start, then its complete (pointing at that start), before the next file starts.
    expect(events.map((e) => [e.event_type, e.source_key])).toEqual(expected.flatMap((k) => [['file_start', k], ['file_complete', k]]));
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1].start_event_id).toBe(events[i].id);

    const products = await h.q(`SELECT p.entity_id, p.attributes->>'Stage' AS stage, e.source_key
      FROM product p JOIN load_event e ON e.id = p.event_id ORDER BY p.entity_id`);
    expect(products).toEqual([
      { entity_id: '1', stage: '15-part2', source_key: k15b },
      { entity_id: '2', stage: '15-part1', source_key: k15a },
      { entity_id: '3', stage: '15-part2', source_key: k15b },
    ]);
  });

  it('accepts a later file of the other naming style in a later pass (14- vs 17-digit timestamps compare as times)', async () => {
    const k1 = h.product(productName('20260415122159450', 1), [stage(1, 'a')]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    // 12:22:00 is after 12:21:59.450, although it has fewer digits.
    const k2 = h.product(productName('20260415122200', 1, { job: '629037' }), [stage(1, 'b')]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await h.completed()).toEqual([k1, k2]);
    expect((await h.q(`SELECT attributes->>'Stage' AS s FROM product`))[0].s).toBe('b');
  });
});

describe('channel file and AttributeFile overwritten in place', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  const channelKey = 'BAK/CHANNEL/ChannelStructure_001.jsonl';
  const writeChannel = (name: string, children: number[] = []) =>
    h.bucket.write(channelKey, JSON.stringify(nodeLine(50703, name, { children })) + '\n');
  const nodeName = async () => (await h.q(`SELECT attributes->'ChannelNodeName'->>'en' AS n FROM channel_node WHERE entity_id = 50703`))[0]?.n;
  const attributeIds = async () => (await h.q(`SELECT attribute_id FROM attribute_definition WHERE entity_type_id = 'Product' ORDER BY attribute_id`))
    .map((r) => r.attribute_id);

  it('loads a new version (new ETag) again on the next pass, before that pass\'s product files', async () => {
    h.bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String' }));
    writeChannel('HVAC');
    const p1 = h.product(productName('20260413221143', 1, { job: '629037' }), [productLine({ id: 1 })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 3 });
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 0 });

    h.bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String', ProductColor: 'String' }));
    writeChannel('HVAC & Refrigeration');
    const p2 = h.product(productName('20260415122159450', 1), [productLine({ id: 2 })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 3 });

    expect(await h.completed()).toEqual(['SHARED/AttributeFile.json', channelKey, p1, 'SHARED/AttributeFile.json', channelKey, p2]);
    const completes = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(completes[3].source_etag).not.toBe(completes[0].source_etag);
    expect(completes[4].source_etag).not.toBe(completes[1].source_etag);
    expect(completes[3]).toMatchObject({ records_inserted: 1, records_unchanged: 2 });
    expect(await nodeName()).toBe('HVAC & Refrigeration');
    expect(await attributeIds()).toEqual(['ProductColor', 'ProductId']);
    expect((await h.events()).filter((e) => e.event_type === 'file_error')).toEqual([]);
  });

  it('does not reload a file rewritten with the same content', async () => {
    writeChannel('HVAC');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    writeChannel('HVAC'); // same bytes, new mtime
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 0 });
  });

  it('loads the file again when it goes back to an earlier version (A → B → A)', async () => {
    h.bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String' }));
    writeChannel('HVAC');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    h.bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String', ProductColor: 'String' }));
    writeChannel('Heating');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    expect(await nodeName()).toBe('Heating');

    // Yesterday's content again: the source now holds A, so the state must be A's.
    h.bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String' }));
    writeChannel('HVAC');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    expect(await nodeName()).toBe('HVAC');
    expect(await attributeIds()).toEqual(['ProductId']);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 0 });
  });
  it('removes the nodes a new version of the channel file no longer carries, and nothing of other files', async () => {
    const channel = (lines: unknown[]) => h.bucket.write(channelKey, jsonl(lines));
    channel([nodeLine(1, 'Root', { children: [2, 3] }), nodeLine(2, 'Heating'), nodeLine(3, 'Cooling')]);
    h.bucket.write('BAK/CHANNEL/ChannelStructure_002.jsonl', jsonl([nodeLine(9, 'Other part')]));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    channel([nodeLine(1, 'Root', { children: [2] }), nodeLine(2, 'Heating')]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const nodes = await h.q('SELECT entity_id FROM channel_node ORDER BY entity_id');
    expect(nodes.map((n) => n.entity_id)).toEqual(['1', '2', '9']);
    const [last] = (await h.events()).filter((e) => e.event_type === 'file_complete').slice(-1);
    expect(last).toMatchObject({ records_processed: 2, records_deleted: 0, records_updated: 1, records_unchanged: 1, metadata: { removedAbsent: 1 } });
    const links = await h.q(`SELECT owner_entity_id FROM entity_link WHERE owner_type = 'ChannelNode' AND owner_entity_id = 3`);
    expect(links).toEqual([]);
  });
});

describe('late arrivals and overwritten product files stop the BU', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('records a late file as a blocking error naming the file and the event to replay from, and applies nothing after it', async () => {
    const k14 = h.product(productName('20260414000000', 1, { job: '1' }), [stage(1, '14')]);
    const k16 = h.product(productName('20260416000000000', 1), [stage(1, '16')]);
    const k17 = h.product(productName('20260417000000000', 1), [stage(1, '17')]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 3 });
    const before = await h.dump();
    const [start16] = (await h.events()).filter((e) => e.event_type === 'file_start' && e.source_key === k16);

    const late = h.product(productName('20260415000000', 1, { job: '2' }), [stage(1, 'late'), stage(99, 'late')]);
    const result = await h.pass();
    expect(result.status).toBe('blocked');
    expect(result.applied).toBe(0);

    const errors = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(result.errorEventId).toBe(error.id);
    expect(error).toMatchObject({ source_key: late, source_file: h.uri(late), metadata: { errorCode: 'late_arrival', blocking: true } });
    expect(error.error_message).toContain(h.uri(late));
    expect(error.error_message).toContain(h.uri(k17)); // the last applied file it sorts before
    // Replaying from the start of the first applied file after it re-applies everything in order.
    expect(error.error_message).toContain(`Replay from event ${start16.id} `);
    expect(await h.dump()).toEqual(before);
    expect((await h.events()).filter((e) => e.source_key === late).map((e) => e.event_type)).toEqual(['file_error']);

    // Later files wait; the pass stays blocked on the same event and records nothing new.
    const k18 = h.product(productName('20260418000000000', 1), [stage(1, '18')]);
    const eventsBefore = (await h.events()).length;
    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked', applied: 0, errorEventId: error.id });
    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked', applied: 0, errorEventId: error.id });
    expect(await h.events()).toHaveLength(eventsBefore);
    expect(await h.dump()).toEqual(before);
    expect(await h.completed()).toEqual([k14, k16, k17]);
    expect(await h.completed()).not.toContain(k18);
  });

  it('records an applied product file whose content changed as "overwritten", applies nothing, and stays blocked', async () => {
    const k1 = h.product(productName('20260414000000000', 1), [stage(1, 'v1')]);
    const k2 = h.product(productName('20260415000000000', 1), [stage(2, 'v1')]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    const before = await h.dump();
    const [start1] = (await h.events()).filter((e) => e.event_type === 'file_start' && e.source_key === k1);
    const [complete1] = (await h.events()).filter((e) => e.event_type === 'file_complete' && e.source_key === k1);

    h.product(productName('20260414000000000', 1), [stage(1, 'v2'), stage(3, 'v2')]); // same key, new content
    const k3 = h.product(productName('20260416000000000', 1), [stage(4, 'v1')]);
    const result = await h.pass();
    expect(result).toMatchObject({ status: 'blocked', applied: 0 });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(result.errorEventId).toBe(error.id);
    expect(error).toMatchObject({ source_key: k1, metadata: { errorCode: 'overwritten', blocking: true } });
    expect(error.source_etag).not.toBe(complete1.source_etag);
    expect(error.error_message).toContain(h.uri(k1));
    expect(error.error_message).toContain(`Replay from event ${start1.id} `);
    expect(await h.dump()).toEqual(before);

    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked', errorEventId: error.id });
    expect(await h.completed()).toEqual([k1, k2]);
    expect(await h.completed()).not.toContain(k3);
    expect(await h.dump()).toEqual(before);
  });
});
