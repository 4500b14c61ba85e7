import { deleteLine, nodeLine, productLine } from '../support/bucket-factory';
import { EventRow, LoaderHarness, loaderHarness, productKey, productName } from '../support/loader-harness';

/** docs/loading-and-replay.md "What a line does": deletes and revivals, whole sets, membership, unchanged lines. */

const F = (day: number) => productName(`202604${String(day).padStart(2, '0')}000000000`);
const complete = async (h: LoaderHarness, key: string): Promise<EventRow> =>
  (await h.events()).find((e) => e.event_type === 'file_complete' && e.source_key === productKey('BAK', key)) as EventRow;

describe('a product deleted and later revived', () => {
  let h: LoaderHarness;
  beforeAll(async () => { h = await loaderHarness(); });
  afterAll(() => h.close());

  const p10 = productLine({ id: 10, items: [{ id: 101 }, { id: 102 }], resources: [801], nodes: [500] });
  const product = async (id: number) => (await h.q('SELECT * FROM product WHERE entity_id = $1', [id]))[0];
  const items = async (productId: number) =>
    h.q('SELECT entity_id, deleted, deleted_at, deleted_by_file, event_id FROM item WHERE product_entity_id = $1 ORDER BY entity_id', [productId]);

  it('marks the product and its items deleted, with the time and the file that deleted them', async () => {
    h.product(F(13), [p10, productLine({ id: 11, items: [{ id: 111 }] })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const k = h.product(F(14), [deleteLine(10), deleteLine(12)]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const event = await complete(h, F(14));

    const p = await product(10);
    expect(p).toMatchObject({ deleted: true, deleted_by_file: h.uri(k), source_file: h.uri(k), event_id: event.id });
    expect(p.deleted_at).toBeInstanceOf(Date);
    expect(p.attributes.ProductId).toBe('P10'); // kept, only marked
    for (const i of await items(10)) expect(i).toMatchObject({ deleted: true, deleted_by_file: h.uri(k), event_id: event.id });
    expect(await items(10)).toHaveLength(2);
    expect(await product(11)).toMatchObject({ deleted: false });
    expect(await items(11)).toMatchObject([{ deleted: false }]);
    expect(await product(12)).toBeUndefined(); // a delete of an unknown entity creates nothing
    expect(event).toMatchObject({ records_processed: 2, records_deleted: 1, records_unchanged: 1 });
    expect(event.metadata).toMatchObject({ deletesOfUnknown: 1, items: { deleted: 2 } });
  });

  it('counts a repeated delete as unchanged', async () => {
    h.product(F(15), [deleteLine(10)]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await complete(h, F(15))).toMatchObject({ records_deleted: 0, records_unchanged: 1 });
    expect((await product(10)).deleted_by_file).toMatch(/20260414000000000/); // still the first delete
  });

  it('revives it, and its items, when a later line has the same EntityId (even with identical content)', async () => {
    // Line 1 revives 10 as it was; lines 2-3 delete 11 and bring it back in the same file.
    const k = h.product(F(16), [p10, deleteLine(11), productLine({ id: 11, items: [{ id: 111 }], attrs: { Back: true } })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const event = await complete(h, F(16));
    expect(await product(10)).toMatchObject({ deleted: false, deleted_at: null, deleted_by_file: null, source_file: h.uri(k), event_id: event.id });
    expect(await items(10)).toEqual([
      { entity_id: '101', deleted: false, deleted_at: null, deleted_by_file: null, event_id: event.id },
      { entity_id: '102', deleted: false, deleted_at: null, deleted_by_file: null, event_id: event.id },
    ]);
    expect(await product(11)).toMatchObject({ deleted: false, deleted_at: null, attributes: { Back: true } });
    expect(await items(11)).toMatchObject([{ entity_id: '111', deleted: false }]);
    expect(event).toMatchObject({ records_processed: 3, records_updated: 2, records_deleted: 1, records_unchanged: 0 });
    expect(event.metadata.items).toMatchObject({ updated: 3, deleted: 1 });
  });
});

describe('whole sets: items, resources and links of a product line', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  const withOutbound = (line: Record<string, unknown>, targets: number[]) => ({
    ...line, OutboundLinks: targets.map((t) => ({ LinkTypeId: 'ProductAccessory', TargetEntityTypeId: 'Product', TargetEntityId: t })),
  });
  const itemRows = () => h.q('SELECT entity_id, product_entity_id, sort_order, deleted, deleted_by_file FROM item ORDER BY entity_id');
  const resources = (ownerType: string, owner: number) => h.q(
    'SELECT resource_entity_id, sort_order FROM resource WHERE owner_type = $1 AND owner_entity_id = $2 ORDER BY sort_order', [ownerType, owner]);
  const links = (owner: number) => h.q(
    `SELECT direction, sort_order, link_type_id, other_entity_id FROM entity_link WHERE owner_type = 'Product' AND owner_entity_id = $1
     ORDER BY direction, sort_order`, [owner]);
  const membership = (product: number) =>
    h.q('SELECT channel_node_id, sort_order FROM channel_node_product WHERE product_entity_id = $1 ORDER BY channel_node_id', [product]);

  it('removes an item missing from the new line, moves an item to the product that now lists it, and replaces resources and links', async () => {
    h.product(F(13), [
      withOutbound(productLine({ id: 20, items: [{ id: 201, resources: [9101] }, { id: 202 }, { id: 203 }], resources: [9001, 9002], nodes: [500, 501] }), [30]),
      productLine({ id: 30, items: [{ id: 301 }] }),
    ]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await resources('Product', 20)).toEqual([{ resource_entity_id: '9001', sort_order: 0 }, { resource_entity_id: '9002', sort_order: 1 }]);
    expect(await links(20)).toHaveLength(3);

    const k = h.product(F(14), [
      productLine({ id: 20, items: [{ id: 201, resources: [9102] }], resources: [9003, 9001], nodes: [501] }),
      productLine({ id: 30, items: [{ id: 301 }, { id: 202 }] }),
    ]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });

    expect(await itemRows()).toEqual([
      { entity_id: '201', product_entity_id: '20', sort_order: 0, deleted: false, deleted_by_file: null },
      { entity_id: '202', product_entity_id: '30', sort_order: 1, deleted: false, deleted_by_file: null },
      { entity_id: '203', product_entity_id: '20', sort_order: 2, deleted: true, deleted_by_file: h.uri(k) },
      { entity_id: '301', product_entity_id: '30', sort_order: 0, deleted: false, deleted_by_file: null },
    ]);
    expect(await resources('Product', 20)).toEqual([{ resource_entity_id: '9003', sort_order: 0 }, { resource_entity_id: '9001', sort_order: 1 }]);
    expect(await resources('Item', 201)).toEqual([{ resource_entity_id: '9102', sort_order: 0 }]);
    expect(await links(20)).toEqual([{ direction: 'INBOUND', sort_order: 0, link_type_id: 'ChannelNodeProduct', other_entity_id: '501' }]);
    expect(await membership(20)).toEqual([{ channel_node_id: '501', sort_order: 0 }]);
    expect((await complete(h, F(14))).metadata.items).toEqual({ inserted: 0, updated: 2, unchanged: 1, removed: 1, deleted: 0 });
  });

  it('moves an item across files, in both directions, and the latest line that lists it wins', async () => {
    const p20 = productLine({ id: 20, items: [{ id: 201 }, { id: 202 }] });
    h.product(F(13), [p20, productLine({ id: 30, items: [{ id: 301 }] })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });

    h.product(F(14), [productLine({ id: 30, items: [{ id: 301 }, { id: 202 }] })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await itemRows()).find((i) => i.entity_id === '202')).toMatchObject({ product_entity_id: '30', deleted: false });

    // Product 20 delivered again exactly as before: its line lists 202, and it is the latest word on 202.
    h.product(F(15), [p20]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await itemRows()).find((i) => i.entity_id === '202')).toMatchObject({ product_entity_id: '20', sort_order: 1, deleted: false });

    // Product 30 drops it again (it is no longer 30's: nothing to remove), then 20 drops it: removed.
    h.product(F(16), [productLine({ id: 30, items: [{ id: 301 }] })]);
    h.product(F(17), [productLine({ id: 20, items: [{ id: 201 }] })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 2 });
    expect(await itemRows()).toMatchObject([
      { entity_id: '201', product_entity_id: '20', deleted: false },
      { entity_id: '202', product_entity_id: '20', deleted: true, deleted_by_file: h.uri(productKey('BAK', F(17))) },
      { entity_id: '301', product_entity_id: '30', deleted: false },
    ]);

    // In one file: 30 (changed) takes 201, then 20 (unchanged since F17) lists it again: the later line wins.
    h.product(F(18), [productLine({ id: 30, attrs: { X: 1 }, items: [{ id: 301 }, { id: 201 }] }), productLine({ id: 20, items: [{ id: 201 }] })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await complete(h, F(18))).toMatchObject({ records_updated: 1, records_unchanged: 1 });
    expect((await itemRows()).find((i) => i.entity_id === '201')).toMatchObject({ product_entity_id: '20', sort_order: 0, deleted: false });
  });
});

describe('category membership comes from the product side, whenever the channel file arrives', () => {
  let h: LoaderHarness;
  beforeAll(async () => { h = await loaderHarness({ codes: ['bak', 'cefl'] }); });
  afterAll(() => h.close());

  // Node 500 claims products 10 and 11; the products say 10 and 12 are in 500, 11 in 501.
  const channel = [
    nodeLine(400, 'Root', { children: [500, 501] }),
    nodeLine(500, 'Supplies', { products: [10, 11] }),
    nodeLine(501, 'Capacitors'),
  ];
  const productLines = [productLine({ id: 10, nodes: [500] }), productLine({ id: 11, nodes: [501] }), productLine({ id: 12, nodes: [500] })];
  const channelKey = (folder: string) => `${folder}/CHANNEL/ChannelStructure_001.jsonl`;
  const membership = (code: string) => h.q('SELECT channel_node_id, product_entity_id, sort_order FROM channel_node_product ORDER BY 1, 2', [], code);
  const nodeLinks = (code: string) => h.q(
    `SELECT owner_entity_id, direction, sort_order, link_type_id, other_entity_id FROM entity_link WHERE owner_type = 'ChannelNode' ORDER BY 1, 2, 3`, [], code);

  beforeAll(async () => {
    // bak: channel file first (same pass, before products); cefl: products first, channel file in a later pass.
    h.bucket.write(channelKey('BAK'), channel.map((l) => JSON.stringify(l)).join('\n'));
    h.product(F(13), productLines, { folder: 'BAK' });
    await expect(h.pass('bak')).resolves.toEqual({ status: 'done', applied: 2 });
    h.product(F(13), productLines, { folder: 'CEFL' });
    await expect(h.pass('cefl')).resolves.toEqual({ status: 'done', applied: 1 });
    h.bucket.write(channelKey('CEFL'), channel.map((l) => JSON.stringify(l)).join('\n'));
    await expect(h.pass('cefl')).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await h.completed('cefl')).toEqual([productKey('CEFL', F(13)), channelKey('CEFL')]);
  });

  it('holds exactly the product lines\' ChannelNodeProduct InboundLinks', async () => {
    expect(await membership('bak')).toEqual([
      { channel_node_id: '500', product_entity_id: '10', sort_order: 0 },
      { channel_node_id: '500', product_entity_id: '12', sort_order: 0 },
      { channel_node_id: '501', product_entity_id: '11', sort_order: 0 },
    ]);
  });

  it('is the same whether the channel file applied before or after the product files', async () => {
    expect(await membership('cefl')).toEqual(await membership('bak'));
    expect(await nodeLinks('cefl')).toEqual(await nodeLinks('bak'));
  });

  it('keeps the node side as delivered links', async () => {
    expect((await nodeLinks('bak')).filter((l) => l.link_type_id === 'ChannelNodeProduct')).toEqual([
      { owner_entity_id: '500', direction: 'OUTBOUND', sort_order: 0, link_type_id: 'ChannelNodeProduct', other_entity_id: '10' },
      { owner_entity_id: '500', direction: 'OUTBOUND', sort_order: 1, link_type_id: 'ChannelNodeProduct', other_entity_id: '11' },
    ]);
  });

  it('counts the disagreement in the metadata of the event that applied last, in both orders', async () => {
    for (const code of ['bak', 'cefl']) {
      const last = (await h.events(code)).filter((e) => e.event_type === 'file_complete').pop() as EventRow;
      // 500 → 11 only on the node side; 500 → 12 only on the product side.
      expect(last.metadata).toMatchObject({ membershipDisagreements: 1, membershipOnlyOnProductSide: 1 });
    }
  });
});

describe('unchanged lines', () => {
  let h: LoaderHarness;
  beforeEach(async () => { h = await loaderHarness(); });
  afterEach(() => h.close());

  it('are counted and not rewritten when the same content comes in a new file', async () => {
    const p1 = productLine({ id: 1, items: [{ id: 11, resources: [901] }, { id: 12 }], resources: [801], nodes: [500] });
    h.product(F(13), [p1, productLine({ id: 2, items: [{ id: 21 }] })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const first = await complete(h, F(13));
    const rows = () => h.q(`
      SELECT 'product' AS t, entity_id::text AS id, xmin::text, event_id, updated_at, source_file FROM product
      UNION ALL SELECT 'item', entity_id::text, xmin::text, event_id, updated_at, source_file FROM item
      UNION ALL SELECT 'resource', owner_entity_id || '/' || resource_entity_id, xmin::text, NULL, NULL, NULL FROM resource
      UNION ALL SELECT 'link', owner_entity_id || '/' || sort_order, xmin::text, NULL, NULL, NULL FROM entity_link
      UNION ALL SELECT 'member', channel_node_id || '/' || product_entity_id, xmin::text, NULL, NULL, NULL FROM channel_node_product
      ORDER BY 1, 2`);
    const before = await rows();

    // Product 1 identical; product 2 changes an attribute but not its item; product 3 is new.
    h.product(F(14), [p1, productLine({ id: 2, attrs: { New: 1 }, items: [{ id: 21 }] }), productLine({ id: 3 })]);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    const second = await complete(h, F(14));
    expect(second).toMatchObject({ records_processed: 3, records_unchanged: 1, records_updated: 1, records_inserted: 1 });
    expect(second.metadata.items).toMatchObject({ unchanged: 1, inserted: 0, updated: 0 });

    const after = await rows();
    const untouched = (r: { t: string; id: string }) => !(r.t === 'product' && r.id === '2') && !(r.t === 'product' && r.id === '3')
      && !(r.t === 'link' && r.id.startsWith('2/'));
    // Every row of product 1 (and product 2's item) is the very same tuple: not rewritten at all.
    expect(after.filter(untouched)).toEqual(before.filter(untouched));
    expect(after.find((r) => r.t === 'product' && r.id === '1')).toMatchObject({ event_id: first.id });
    expect(after.find((r) => r.t === 'item' && r.id === '21')).toMatchObject({ event_id: first.id });
    expect(after.find((r) => r.t === 'product' && r.id === '2')).toMatchObject({ event_id: second.id });
  });
});
