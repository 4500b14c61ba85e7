import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { jsonl, nodeLine, productLine } from '../support/bucket-factory';
import { LoaderHarness, attributeFile, loaderHarness, productKey, productName } from '../support/loader-harness';

/** docs/input-format.md "Bad input" and docs/loading-and-replay.md "Applying one file, all or nothing". */

const F1 = productName('20260414000000000');
const F2 = productName('20260415000000000');
const F3 = productName('20260416000000000');

const products = (from: number, count: number) => Array.from({ length: count }, (_, i) => productLine({ id: from + i, items: [{ id: (from + i) * 10 }] }));
const ids = async (h: LoaderHarness, table = 'product') => (await h.q(`SELECT entity_id FROM ${table} ORDER BY entity_id`)).map((r) => Number(r.entity_id));

describe('bad lines under the limit are quarantined and the rest applies', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness({ limits: { maxLineBytes: 2048 } }); });
  afterEach(() => h.close());

  it('quarantines each kind of bad line verbatim with its line number and reason, and counts them', async () => {
    const long = JSON.stringify(productLine({ id: 7, attrs: { Blob: 'x'.repeat(3000) } }));
    const lines = [
      productLine({ id: 1 }), //                                                       1
      '{"EntityId": 2, "EntityTypeId": "Product", "Attributes": {', //                2 not JSON
      { EntityTypeId: 'Product', Attributes: {} }, //                                 3 no EntityId
      { EntityId: '3', EntityTypeId: 'Product' }, //                                  4 EntityId a string
      { EntityId: 4, EntityTypeId: 17 }, //                                           5 EntityTypeId a number
      [{ EntityId: 5, EntityTypeId: 'Product' }], //                                  6 a JSON array
      long, //                                                                        7 over maxLineBytes
      { EntityId: 6, EntityTypeId: 'ChannelNode' }, //                                8 wrong type for a product file
      productLine({ id: 8 }), //                                                      9
      { EntityId: 9.5, EntityTypeId: 'Product' }, //                                 10 not an integer
    ];
    const key = h.product(F1, lines);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });

    expect(await ids(h)).toEqual([1, 8]);
    const [complete] = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(complete).toMatchObject({ records_processed: 10, records_inserted: 2, records_quarantined: 8 });
    expect(complete.metadata.lines).toBe(10);

    const q = await h.q('SELECT source_file, line_number, reason, raw_line, event_id FROM quarantined_line ORDER BY line_number');
    expect(q.map((r) => r.line_number)).toEqual([2, 3, 4, 5, 6, 7, 8, 10]);
    expect(new Set(q.map((r) => r.event_id))).toEqual(new Set([complete.id]));
    expect(new Set(q.map((r) => r.source_file))).toEqual(new Set([h.uri(key)]));
    const reason = (n: number) => q.find((r) => r.line_number === n).reason;
    expect(reason(2)).toMatch(/not valid JSON/);
    expect(reason(3)).toMatch(/EntityId is missing/);
    expect(reason(4)).toMatch(/EntityId must be a non-negative integer, got "3"/);
    expect(reason(5)).toMatch(/EntityTypeId must be a non-empty string, got 17/);
    expect(reason(6)).toMatch(/must be a JSON object, got an array/);
    expect(reason(7)).toMatch(/over the 2048-byte limit/);
    expect(reason(8)).toMatch(/"ChannelNode" does not belong in a product file/);
    expect(reason(10)).toMatch(/EntityId must be a non-negative integer, got 9.5/);
    // Kept verbatim (the over-long one: its first bytes only).
    expect(q.find((r) => r.line_number === 2).raw_line).toBe(lines[1]);
    expect(q.find((r) => r.line_number === 6).raw_line).toBe(JSON.stringify(lines[5]));
    expect(q.find((r) => r.line_number === 7).raw_line).toBe(long.slice(0, 1024));
  });

  it('applies a file with exactly the maximum of bad lines, and one with more bad lines that stay under 1%', async () => {
    const bad = (n: number) => Array.from({ length: n }, (_, i) => `not json ${i}`);
    h.product(F1, [...bad(10), productLine({ id: 1 })]); // 10 bad of 11: not more than 10
    h.product(F2, [...products(100, 1140), ...bad(11)]); // 11 bad of 1151: not more than 1%
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    const completes = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(completes.map((e) => [e.records_processed, e.records_quarantined])).toEqual([[11, 10], [1151, 11]]);
    expect((await h.q('SELECT count(*)::int AS n FROM product'))[0].n).toBe(1141);
  });
});

describe('a file over the bad-line limit fails as a whole', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('applies nothing of it, records too_many_bad_lines with the first bad lines, and later files wait', async () => {
    h.product(F1, [productLine({ id: 1, attrs: { V: 1 } })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const before = await h.dump();

    // 11 bad lines out of 16 (> 10 and > 1%); the good lines come first, so they were written before the check.
    const good = [productLine({ id: 1, attrs: { V: 2 } }), ...products(2, 4)];
    const badLines = Array.from({ length: 11 }, (_, i) => (i % 2 ? `{"broken": ${i}` : { EntityId: -i - 1, EntityTypeId: 'Product' }));
    const key = h.product(F2, [...good, ...badLines]);
    const later = h.product(F3, [productLine({ id: 50 })]);

    const result = await h.pass();
    expect(result.status).toBe('failed');
    expect(result.applied).toBe(0);
    expect(await h.dump()).toEqual(before);

    const errors = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(result.errorEventId).toBe(error.id);
    expect(error).toMatchObject({
      source_key: key, records_quarantined: 11, metadata: { errorCode: 'too_many_bad_lines', blocking: true, lines: 16 },
    });
    expect(error.error_message).toContain(h.uri(key));
    expect(error.error_message).toMatch(/11 bad lines out of 16/);
    // The examples survive the rollback, linked to the error event (and no other).
    const q = await h.q('SELECT line_number, event_id, raw_line FROM quarantined_line ORDER BY line_number');
    expect(q.map((r) => r.line_number)).toEqual(Array.from({ length: 11 }, (_, i) => i + 6));
    expect(new Set(q.map((r) => r.event_id))).toEqual(new Set([error.id]));
    expect(q[1].raw_line).toBe('{"broken": 1');

    expect(await h.completed()).toEqual([productKey('BAK', F1)]);
    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked', applied: 0, errorEventId: error.id });
    expect(await h.completed()).not.toContain(later);
    expect(await h.dump()).toEqual(before);
  });
});

describe('an unreadable file fails as a whole', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('records a truncated .jsonl.gz as unreadable and leaves the state unchanged', async () => {
    h.product(F1, products(1, 3));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const before = await h.dump();

    // Enough lines that whole batches are decoded and written before the cut is reached.
    const lines = products(1000, 1500).map((l, i) => ({ ...l, Attributes: { ProductId: `P${i}`, Noise: (i * 7919).toString(36).repeat(5) } }));
    const gz = gzipSync(jsonl(lines));
    const key = h.bucket.write(productKey('BAK', productName('20260415000000000', 1, { gzip: true })), gz.subarray(0, Math.floor(gz.length * 0.8)));
    const later = h.product(F3, [productLine({ id: 99 })]);

    const result = await h.pass();
    expect(result).toMatchObject({ status: 'failed', applied: 0 });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(error).toMatchObject({ id: result.errorEventId, source_key: key, metadata: { errorCode: 'unreadable', blocking: true } });
    expect(error.error_message).toContain(h.uri(key));
    expect(error.error_message).toMatch(/gzip/);
    expect(error.metadata.lines).toBeGreaterThan(500); // it did read (and write) past a batch before failing
    expect(await h.dump()).toEqual(before);
    expect(await h.completed()).not.toContain(later);
    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked', errorEventId: error.id });
  });
});

describe('a file named .gz that is not gzip', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('fails as unreadable instead of loading as text, and leaves the state unchanged', async () => {
    h.product(F1, products(1, 3));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const before = await h.dump();

    // Plain, well-formed lines: read as text they would apply.
    const key = h.bucket.write(productKey('BAK', productName('20260415000000000', 1, { gzip: true })), jsonl(products(100, 5)));
    const result = await h.pass();
    expect(result).toMatchObject({ status: 'failed', applied: 0 });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(error).toMatchObject({ id: result.errorEventId, source_key: key, metadata: { errorCode: 'unreadable', blocking: true } });
    expect(error.error_message).toBe(`cannot read ${h.uri(key)}: gzip: the file is named .gz but is not gzip `
      + '(it starts with "{\\"EntityId\\":100,\\"EntityT"). Nothing of it was applied.');
    expect(await h.dump()).toEqual(before);
    expect(await ids(h)).toEqual([1, 2, 3]);
  });

  it('fails an AttributeFile.json.gz that is plain JSON the same way', async () => {
    const key = h.bucket.write('SHARED/AttributeFile.json.gz', attributeFile());
    const result = await h.pass();
    expect(result).toMatchObject({ status: 'failed', applied: 0 });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(error).toMatchObject({ source_key: key, metadata: { errorCode: 'unreadable' } });
    expect(error.error_message).toMatch(/^cannot read .*AttributeFile\.json\.gz: gzip: the file is named \.gz but is not gzip \(it starts with "\[/);
    expect(await h.q('SELECT count(*)::int AS n FROM attribute_definition')).toEqual([{ n: 0 }]);
  });
});

describe('a failure in the middle of a file', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('leaves every state table exactly as it was before the file', async () => {
    h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', jsonl([{ EntityId: 500, EntityTypeId: 'ChannelNode', Attributes: { ChannelNodeName: { en: 'A' } } }]));
    h.product(F1, [
      productLine({ id: 1, items: [{ id: 11, resources: [901] }, { id: 12 }], resources: [801, 802], nodes: [500] }),
      productLine({ id: 2, items: [{ id: 21 }], nodes: [500, 501] }),
    ]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    const before = await h.dump();

    // A write the database refuses, deep in the file: after the product rows, links, resources and
    // membership of its batch were written, and after an earlier batch was written in full.
    await h.ownerQ(`CREATE FUNCTION refuse_item_666() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.entity_id = 666 THEN RAISE EXCEPTION 'item 666 refused by test trigger'; END IF; RETURN NEW; END $$`);
    await h.ownerQ(`CREATE TRIGGER refuse_item_666 BEFORE INSERT OR UPDATE ON item FOR EACH ROW EXECUTE FUNCTION refuse_item_666()`);
    const key = h.product(F2, [
      productLine({ id: 1, items: [{ id: 12, attrs: { Changed: true } }], resources: [803], nodes: [501] }),
      { EntityTypeId: 'Product', EntityId: 2, Deleted: true },
      'garbage line',
      productLine({ id: 3, items: [{ id: 31 }], nodes: [500] }),
      productLine({ id: 1, items: [{ id: 11 }, { id: 13 }], nodes: [502] }), // repeated id: starts batch 2
      productLine({ id: 4, items: [{ id: 666 }], resources: [804], nodes: [500] }),
      productLine({ id: 5, items: [{ id: 51 }] }),
    ]);
    const later = h.product(F3, [productLine({ id: 70 })]);

    const result = await h.pass();
    expect(result).toMatchObject({ status: 'failed', applied: 0 });
    expect(await h.dump()).toEqual(before);

    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(error).toMatchObject({ id: result.errorEventId, source_key: key, metadata: { errorCode: 'apply_failed', blocking: true } });
    expect(error.error_message).toContain(h.uri(key));
    expect(error.error_message).toMatch(/nothing of it was applied/);
    expect(error.error_message).toMatch(/item 666 refused by test trigger/);
    expect(error.start_event_id).not.toBeNull();
    expect((await h.events()).filter((e) => e.source_key === key).map((e) => e.event_type)).toEqual(['file_start', 'file_error']);
    // No event id was left on any row by the rolled-back transaction.
    expect(await h.q(`SELECT entity_id FROM product WHERE event_id NOT IN (SELECT id FROM load_event WHERE event_type = 'file_complete')`)).toEqual([]);

    // Later files wait, even once the cause is gone: the operator replays.
    await h.ownerQ('DROP TRIGGER refuse_item_666 ON item');
    await expect(h.pass()).resolves.toMatchObject({ status: 'blocked', errorEventId: error.id });
    expect(await h.completed()).not.toContain(later);
    expect(await h.dump()).toEqual(before);
  });

  it('quarantines a line PostgreSQL cannot store (a lone UTF-16 surrogate) instead of failing the whole file', async () => {
    // Valid JSON that JSON.parse accepts, but jsonb refuses "\ud800" without its pair (like \u0000).
    const lone = '{"EntityId": 2, "EntityTypeId": "Product", "Attributes": {"ProductId": "P2", "Name": "bad \\ud800 text"}}';
    const pair = '{"EntityId": 3, "EntityTypeId": "Product", "Attributes": {"ProductId": "P3", "Name": "ok \\ud83d\\ude00"}}';
    h.product(F1, [productLine({ id: 1 }), lone, pair]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await ids(h)).toEqual([1, 3]);
    expect((await h.q(`SELECT attributes->>'Name' AS n FROM product WHERE entity_id = 3`))[0].n).toBe('ok \u{1f600}');
    const q = await h.q('SELECT line_number, reason, raw_line FROM quarantined_line');
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ line_number: 2, raw_line: lone });
    expect(q[0].reason).toMatch(/surrogate/);
  });
});

describe('a line the parser accepts but PostgreSQL or the loader could not take is quarantined, never a failed file', () => {
  let h: LoaderHarness;
  afterEach(() => h.close());

  /** A product line whose attribute Deep nests `levels` arrays: the line is `levels + 2` deep. */
  const deepLine = (id: number, levels: number) =>
    `{"EntityId": ${id}, "EntityTypeId": "Product", "Attributes": {"ProductId": "P${id}", "Deep": ${'['.repeat(levels)}"x"${']'.repeat(levels)}}}`;

  it('quarantines a line nested 8,000 levels deep, applies the rest, and leaves the BU unblocked', async () => {
    h = await loaderHarness();
    const deep = deepLine(2, 7998);
    expect(deep.length).toBeGreaterThan(16_000);
    const atLimit = deepLine(3, 62); // 64 levels, the default limit
    h.product(F1, [productLine({ id: 1 }), deep, atLimit, productLine({ id: 4 })]);
    h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', jsonl([
      { EntityId: 500, EntityTypeId: 'ChannelNode', Attributes: { ChannelNodeName: { en: 'A' } } },
      `{"EntityId": 501, "EntityTypeId": "ChannelNode", "Attributes": {"Deep": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`,
    ]));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });

    expect(await ids(h)).toEqual([1, 3, 4]);
    expect(await ids(h, 'channel_node')).toEqual([500]);
    const stored = (await h.q(`SELECT attributes->'Deep' AS deep FROM product WHERE entity_id = 3`))[0].deep;
    expect(JSON.stringify(stored)).toBe(`${'['.repeat(62)}"x"${']'.repeat(62)}`);
    const q = await h.q('SELECT source_file, line_number, reason, raw_line FROM quarantined_line ORDER BY source_file, line_number');
    expect(q.map((r) => [r.line_number, r.reason])).toEqual([
      [2, 'nested deeper than 64 levels (LOAD_MAX_NESTING_DEPTH)'],
      [2, 'nested deeper than 64 levels (LOAD_MAX_NESTING_DEPTH)'],
    ]);
    expect(q.find((r) => r.source_file.includes('PRODUCT')).raw_line).toBe(deep);
    const completes = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(completes.map((e) => [e.source_key.split('/')[1], e.records_processed, e.records_quarantined])).toEqual([['CHANNEL', 2, 1], ['PRODUCT', 4, 1]]);

    // Not blocked: the next file applies.
    h.product(F2, [productLine({ id: 5 })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await ids(h)).toEqual([1, 3, 4, 5]);
  });

  it('stores a line at the highest LOAD_MAX_NESTING_DEPTH (1000) through every step: hash, jsonb, history, an unchanged reload', async () => {
    h = await loaderHarness({ limits: { maxNestingDepth: 1000 } });
    h.product(F1, [deepLine(1, 998), deepLine(2, 999)]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await ids(h)).toEqual([1]);
    expect((await h.q('SELECT reason FROM quarantined_line'))).toEqual([{ reason: 'nested deeper than 1000 levels (LOAD_MAX_NESTING_DEPTH)' }]);
    h.product(F2, [deepLine(1, 998)]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const [second] = (await h.events()).filter((e) => e.event_type === 'file_complete').slice(-1);
    expect(second).toMatchObject({ records_unchanged: 1, records_quarantined: 0 });
    // An update keeps the image from before it in the history (the insert kept none): the deep value.
    h.product(F3, [deepLine(1, 998).replace('"EntityTypeId"', '"FieldSetId": "changed", "EntityTypeId"')]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const history = await h.q(`SELECT operation, jsonb_typeof(content->'attributes'->'Deep') AS t FROM entity_history WHERE entity_key = '1' ORDER BY id`);
    expect(history).toEqual([{ operation: 'INSERT', t: null }, { operation: 'UPDATE', t: 'array' }]);
  });

  it('quarantines a ProductId or link text longer than PostgreSQL can index (it would fail the whole batch)', async () => {
    h = await loaderHarness();
    const longId = { ...productLine({ id: 2 }), Attributes: { ProductId: 'P'.repeat(3000) } };
    const longLink = { ...productLine({ id: 3 }), OutboundLinks: [{ LinkTypeId: 'ProductX', TargetEntityTypeId: 'T'.repeat(3000), TargetEntityId: 9 }] };
    h.product(F1, [productLine({ id: 1 }), longId, longLink, productLine({ id: 4 })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await ids(h)).toEqual([1, 4]);
    expect((await h.q('SELECT line_number, reason FROM quarantined_line ORDER BY line_number')).map((r) => [r.line_number, r.reason])).toEqual([
      [2, 'Attributes.ProductId is 3000 bytes; PostgreSQL indexes it, so at most 1024 bytes are accepted'],
      [3, 'OutboundLinks[0].TargetEntityTypeId is 3000 bytes; PostgreSQL indexes it, so at most 1024 bytes are accepted'],
    ]);
  });

  it('fails a too-deep AttributeFile as unreadable, saying so (it is one document), and quarantines a definition PostgreSQL would refuse', async () => {
    h = await loaderHarness();
    const deep = JSON.stringify([{ EntityTypeId: 'Product', Attributes: [{ AttributeId: 'ProductId', DataType: 'String', Deep: JSON.parse(`${'['.repeat(100)}1${']'.repeat(100)}`) }] }]);
    const key = h.bucket.write('SHARED/AttributeFile.json', deep);
    const failed = await h.pass();
    expect(failed).toMatchObject({ status: 'failed', applied: 0 });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(error).toMatchObject({ source_key: key, metadata: { errorCode: 'unreadable' } });
    // The document's array, the entry, Attributes and the definition are four levels: Deep's 61st bracket is the 65th.
    const at = deep.indexOf('"Deep":') + '"Deep":'.length + 60;
    expect(error.error_message).toBe(`cannot read ${h.uri(key)}: json: nested deeper than 64 levels (LOAD_MAX_NESTING_DEPTH), at character ${at}. Nothing of it was applied.`);

    // A corrected file, with two definitions jsonb or the index would refuse: those two are quarantined, the rest applies.
    const fixed = [{ EntityTypeId: 'Product', Attributes: [
      { AttributeId: 'ProductId', DataType: 'String' },
      { AttributeId: 'Nul', DataType: 'String', Name: { stringMap: { en: 'a\u0000b' } } },
      { AttributeId: 'L'.repeat(2000), DataType: 'String' },
      { AttributeId: 'Lone', DataType: 'String', Name: { stringMap: { en: '\ud800' } } },
      { AttributeId: 'ProductName', DataType: 'LocaleString' },
    ] }];
    h.bucket.write('SHARED/AttributeFile.json', JSON.stringify(fixed));
    await h.replay(error.id, 'fixed AttributeFile');
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await h.q('SELECT attribute_id FROM attribute_definition ORDER BY attribute_id')).map((r) => r.attribute_id)).toEqual(['ProductId', 'ProductName']);
    const q = await h.q('SELECT line_number, reason FROM quarantined_line WHERE event_id <> $1 ORDER BY line_number', [error.id]);
    expect(q.map((r) => [r.line_number, r.reason])).toEqual([
      [2, 'Product: contains \\u0000, which PostgreSQL cannot store in text or JSONB'],
      [3, 'Product: AttributeId is 2000 bytes; PostgreSQL indexes it, so at most 1024 bytes are accepted'],
      [4, 'Product: contains a lone UTF-16 surrogate (e.g. \\ud800 without its pair), which PostgreSQL cannot store in JSONB'],
    ]);
  });
});

describe('a line that is not UTF-8 is quarantined, never loaded mangled', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  /** A product line whose ProductId is `SEC-F2-` followed by the given bytes. */
  const withBytes = (id: number, bad: number[]) => Buffer.concat([
    Buffer.from(`{"EntityId": ${id}, "EntityTypeId": "Product", "Attributes": {"ProductId": "SEC-F2-`),
    Buffer.from(bad),
    Buffer.from('"}}'),
  ]);
  const at = Buffer.from('{"EntityId": 2, "EntityTypeId": "Product", "Attributes": {"ProductId": "SEC-F2-').length;

  it('quarantines overlong, lone continuation, truncated and surrogate bytes with their offsets, and applies the good lines', async () => {
    const line6 = '{"EntityId": 6, "EntityTypeId": "Product", "Attributes": {"ProductId": "P6"}} ';
    const good = (id: number, productId: string) => Buffer.from(JSON.stringify({ ...productLine({ id }), Attributes: { ProductId: productId } }));
    const lines = [
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good(1, 'SEC-F2-Ω')]), // a BOM first: accepted and stripped
      withBytes(2, [0xc0, 0xa8]), //                          overlong "("
      withBytes(3, [0x80, 0x28, 0xbf]), //                    lone continuation bytes
      good(4, 'SEC-F2-€😀'),
      withBytes(5, [0xed, 0xa0, 0x80]), //                    a surrogate encoded in UTF-8
      Buffer.concat([Buffer.from(line6), Buffer.from([0xe2, 0x82])]), // a 3-byte sequence cut short by the line end (CRLF)
      good(7, 'P7'),
    ];
    const key = h.bucket.write(productKey('BAK', F1), Buffer.concat(lines.flatMap((l, i) => [l, Buffer.from(i === 5 ? '\r\n' : '\n')])));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });

    expect(await h.q('SELECT entity_id, product_id FROM product ORDER BY entity_id')).toEqual([
      { entity_id: '1', product_id: 'SEC-F2-Ω' }, { entity_id: '4', product_id: 'SEC-F2-€😀' }, { entity_id: '7', product_id: 'P7' },
    ]);
    const [complete] = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(complete).toMatchObject({ source_key: key, records_processed: 7, records_inserted: 3, records_quarantined: 4, metadata: { lines: 7 } });
    const q = await h.q('SELECT line_number, reason, raw_line FROM quarantined_line ORDER BY line_number');
    const prefix = '{"EntityId": %, "EntityTypeId": "Product", "Attributes": {"ProductId": "SEC-F2-';
    expect(q).toEqual([
      { line_number: 2, reason: `invalid UTF-8 at byte ${at}: 0xC0 0xA8, an overlong encoding; 2 invalid bytes in the line; raw_line shows each invalid byte as \\xNN`,
        raw_line: `${prefix.replace('%', '2')}\\xC0\\xA8"}}` },
      { line_number: 3, reason: `invalid UTF-8 at byte ${at}: 0x80, a continuation byte without a lead byte; 2 invalid bytes in the line; raw_line shows each invalid byte as \\xNN`,
        raw_line: `${prefix.replace('%', '3')}\\x80(\\xBF"}}` },
      { line_number: 5, reason: `invalid UTF-8 at byte ${at}: 0xED 0xA0 0x80, a UTF-16 surrogate (U+D800 to U+DFFF) encoded in UTF-8; 3 invalid bytes in the line; raw_line shows each invalid byte as \\xNN`,
        raw_line: `${prefix.replace('%', '5')}\\xED\\xA0\\x80"}}` },
      { line_number: 6, reason: `invalid UTF-8 at byte ${line6.length}: 0xE2 0x82, a 3-byte sequence cut short by the end of the line; 2 invalid bytes in the line; raw_line shows each invalid byte as \\xNN`,
        raw_line: `${line6}\\xE2\\x82` },
    ]);
  });

  it('fails an AttributeFile that is not UTF-8 as unreadable, naming the byte', async () => {
    const before = '[{"EntityTypeId": "Product", "Attributes": [{"AttributeId": "Name';
    const key = h.bucket.write('SHARED/AttributeFile.json', Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from('", "DataType": "String"}]}]')]));
    await expect(h.pass()).resolves.toMatchObject({ status: 'failed', applied: 0 });
    const [error] = (await h.events()).filter((e) => e.event_type === 'file_error');
    expect(error).toMatchObject({ source_key: key, metadata: { errorCode: 'unreadable' } });
    expect(error.error_message).toBe(`cannot read ${h.uri(key)}: utf8: invalid UTF-8 at byte ${before.length}: 0xFF, a byte that never occurs in UTF-8 (line 1); `
      + 'the file must be UTF-8. Nothing of it was applied.');
  });
});

describe('NUL: the \\u0000 escape PostgreSQL cannot store, and a NUL byte', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('quarantines a \\u0000 escape anywhere in a line (a value, a key, an item), stores a backslash followed by "u0000", and keeps a NUL byte visible in raw_line', async () => {
    const nulValue = '{"EntityId": 2, "EntityTypeId": "Product", "Attributes": {"ProductId": "P2", "Name": "a\\u0000b"}}';
    const nulKey = '{"EntityId": 3, "EntityTypeId": "Product", "Attributes": {"ProductId": "P3", "x\\u0000": 1}}';
    const nulInItem = '{"EntityId": 4, "EntityTypeId": "Product", "Attributes": {"ProductId": "P4"}, "Items": [{"EntityId": 41, "EntityTypeId": "Item", "Attributes": {"Note": "\\u0000"}}]}';
    // An escaped backslash, then "u0000": the value is the six characters \u0000, which PostgreSQL stores.
    const backslashU = '{"EntityId": 5, "EntityTypeId": "Product", "Attributes": {"ProductId": "P5", "Path": "C:\\\\u0000dir"}}';
    // An escaped backslash, then a \u0000 escape: a backslash and a NUL.
    const backslashNul = '{"EntityId": 6, "EntityTypeId": "Product", "Attributes": {"ProductId": "P6", "Path": "C:\\\\\\u0000"}}';
    const nulByte = '{"EntityId": 7, "EntityTypeId": "Product", "Attributes": {"ProductId": "P7\u0000"}}';
    h.product(F1, [productLine({ id: 1 }), nulValue, nulKey, nulInItem, backslashU, backslashNul, nulByte, productLine({ id: 8 })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });

    expect(await ids(h)).toEqual([1, 5, 8]);
    expect(await h.q(`SELECT attributes->>'Path' AS path FROM product WHERE entity_id = 5`)).toEqual([{ path: 'C:\\u0000dir' }]);
    const nul = 'contains \\u0000, which PostgreSQL cannot store in text or JSONB';
    expect(await h.q('SELECT line_number, reason, raw_line FROM quarantined_line ORDER BY line_number')).toEqual([
      { line_number: 2, reason: nul, raw_line: nulValue },
      { line_number: 3, reason: nul, raw_line: nulKey },
      { line_number: 4, reason: nul, raw_line: nulInItem },
      { line_number: 6, reason: nul, raw_line: backslashNul },
      // Not JSON (a control character inside a string); text cannot hold the byte, so raw_line shows it as \u0000.
      { line_number: 7, reason: expect.stringMatching(/^not valid JSON: /), raw_line: nulByte.replace('\u0000', '\\u0000') },
    ]);
    const [complete] = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(complete).toMatchObject({ records_processed: 8, records_inserted: 3, records_quarantined: 5 });
  });

  it('quarantines an AttributeFile definition with a \\u0000 escape, and keeps one whose text is a backslash followed by "u0000"', async () => {
    h.bucket.write('SHARED/AttributeFile.json', JSON.stringify([{ EntityTypeId: 'Product', Attributes: [
      { AttributeId: 'ProductId', DataType: 'String' },
      { AttributeId: 'Nul', DataType: 'String', Name: { stringMap: { en: 'a\u0000b' } } },
      { AttributeId: 'Windows', DataType: 'String', Name: { stringMap: { en: 'C:\\u0000dir' } } },
    ] }]));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await h.q(`SELECT attribute_id, names->>'en' AS en FROM attribute_definition ORDER BY attribute_id`))
      .toEqual([{ attribute_id: 'ProductId', en: null }, { attribute_id: 'Windows', en: 'C:\\u0000dir' }]);
    expect(await h.q('SELECT line_number, reason FROM quarantined_line')).toEqual([
      { line_number: 2, reason: 'Product: contains \\u0000, which PostgreSQL cannot store in text or JSONB' },
    ]);
  });
});

describe('a byte order mark (BOM) on the first line', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());
  const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('is dropped from the first line of product, gzipped product, channel and attribute files; the file is hashed as delivered', async () => {
    const line1 = JSON.stringify(productLine({ id: 1, attrs: { Name: 'first' }, items: [{ id: 11 }] }));
    const plain = Buffer.concat([BOM, Buffer.from(`${line1}\n${JSON.stringify(productLine({ id: 2 }))}\n`)]);
    const plainKey = h.bucket.write(productKey('BAK', F1), plain);
    const gz = gzipSync(Buffer.concat([BOM, Buffer.from(`${JSON.stringify(productLine({ id: 3 }))}\n`)]));
    h.bucket.write(productKey('BAK', productName('20260414000000001', 1, { gzip: true })), gz);
    h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', Buffer.concat([BOM, Buffer.from(jsonl([nodeLine(500, 'Root')]))]));
    h.bucket.write('SHARED/AttributeFile.json', Buffer.concat([BOM, Buffer.from(attributeFile({ ProductId: 'String', Name: 'String' }))]));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 4 });

    expect(await ids(h)).toEqual([1, 2, 3]);
    expect(await ids(h, 'channel_node')).toEqual([500]);
    expect(await h.q(`SELECT count(*)::int AS n FROM attribute_definition WHERE entity_type_id = 'Product'`)).toEqual([{ n: 2 }]);
    expect(await h.q('SELECT count(*)::int AS n FROM quarantined_line')).toEqual([{ n: 0 }]);
    const completes = (await h.events()).filter((e) => e.event_type === 'file_complete');
    const plainComplete = completes.find((e) => e.source_key === plainKey)!;
    expect(plainComplete).toMatchObject({ source_etag: sha256(plain), records_processed: 2, records_inserted: 2, metadata: { bytes: plain.length } });
    expect((plainComplete as unknown as { source_sha256: string }).source_sha256).toBe(sha256(plain));

    // The line without its BOM is the same content: unchanged, not an update.
    h.product(F2, [line1]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await h.events()).filter((e) => e.event_type === 'file_complete').at(-1)).toMatchObject({ records_unchanged: 1, records_updated: 0 });
  });

  it('is not one anywhere else: a line that starts with U+FEFF after the first is not JSON; a bad first line is kept without its BOM', async () => {
    const bad = '{"EntityId": 1, "EntityTypeId": "Prod';
    const second = JSON.stringify(productLine({ id: 2 }));
    h.bucket.write(productKey('BAK', F1), Buffer.concat([BOM, Buffer.from(`${bad}\n`), BOM, Buffer.from(`${second}\n${JSON.stringify(productLine({ id: 3 }))}\n`)]));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await ids(h)).toEqual([3]);
    expect(await h.q('SELECT line_number, raw_line, reason FROM quarantined_line ORDER BY line_number')).toEqual([
      { line_number: 1, raw_line: bad, reason: expect.stringMatching(/^not valid JSON/) },
      { line_number: 2, raw_line: `\ufeff${second}`, reason: expect.stringMatching(/^not valid JSON/) },
    ]);
  });
});

describe('lines of several MB near LOAD_MAX_LINE_BYTES', () => {
  const LIMIT = 4 * 1024 * 1024;
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness({ limits: { maxLineBytes: LIMIT } }); });
  afterEach(() => h.close());

  /** A product line of exactly `bytes` bytes of UTF-8 (its Blob padded with `fill`, a character of 1 or 2 bytes). */
  function lineOf(id: number, bytes: number, fill = 'x'): string {
    const base = Buffer.byteLength(JSON.stringify(productLine({ id, attrs: { Blob: '' } })));
    const width = Buffer.byteLength(fill);
    const padding = fill.repeat(Math.floor((bytes - base) / width)) + 'x'.repeat((bytes - base) % width);
    const line = JSON.stringify(productLine({ id, attrs: { Blob: padding } }));
    expect(Buffer.byteLength(line)).toBe(bytes);
    return line;
  }
  const blobLengths = async () => (await h.q(`SELECT entity_id, length(attributes->>'Blob') AS n FROM product ORDER BY entity_id`))
    .map((r) => [Number(r.entity_id), r.n]);

  it('applies a line of exactly the limit (LF, CRLF, multi-byte text, gzip), quarantines one a byte over, and reads on', async () => {
    const exact = lineOf(1, LIMIT);
    const exactCrlf = lineOf(2, LIMIT);
    const exactWide = lineOf(3, LIMIT, 'é');
    const over = lineOf(4, LIMIT + 1);
    const key = h.bucket.write(productKey('BAK', F1),
      `${exact}\n${exactCrlf}\r\n${exactWide}\n${over}\n${JSON.stringify(productLine({ id: 5 }))}\n`);
    h.bucket.write(productKey('BAK', productName('20260414000000001', 1, { gzip: true })), gzipSync(`${lineOf(6, LIMIT)}\n${lineOf(7, LIMIT + 1)}\n`));
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });

    const blob = (line: string) => (JSON.parse(line) as { Attributes: { Blob: string } }).Attributes.Blob.length;
    expect(await blobLengths()).toEqual([[1, blob(exact)], [2, blob(exactCrlf)], [3, blob(exactWide)], [5, null], [6, blob(lineOf(6, LIMIT))]]);
    expect(await h.q('SELECT source_file, line_number, reason, length(raw_line) AS kept FROM quarantined_line ORDER BY id')).toEqual([
      { source_file: h.uri(key), line_number: 4, reason: `line is ${LIMIT + 1} bytes, over the ${LIMIT}-byte limit (LOAD_MAX_LINE_BYTES); only its first bytes are kept`, kept: 1024 },
      { source_file: expect.stringMatching(/\.jsonl\.gz$/), line_number: 2, reason: expect.stringMatching(new RegExp(`^line is ${LIMIT + 1} bytes`)), kept: 1024 },
    ]);
  });

  it('applies lines of 3 MB whose batch goes over 8 MiB in file order, with every count right', async () => {
    // Three 3 MB lines: the third starts a new batch (8 MiB a batch); product 1 appears twice, the later line wins.
    const lines = [lineOf(1, 3_000_000), lineOf(2, 3_000_000), lineOf(3, 3_000_000), JSON.stringify(productLine({ id: 1, attrs: { Blob: 'last' } }))];
    h.product(F1, lines);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await blobLengths()).toEqual([[1, 4], [2, (JSON.parse(lines[1]) as { Attributes: { Blob: string } }).Attributes.Blob.length],
      [3, (JSON.parse(lines[2]) as { Attributes: { Blob: string } }).Attributes.Blob.length]]);
    const [complete] = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(complete).toMatchObject({ records_processed: 4, records_inserted: 3, records_updated: 1, records_quarantined: 0 });
  });
});
