import fs from 'node:fs';
import path from 'node:path';
import { TempBucket, deleteLine, jsonl, nodeLine, productLine } from '../support/bucket-factory';
import { PROJECT_ROOT } from '../support/test-database';
import { errorCodes, GraphQLResponse, serveBucket, ServedBucket, startTestServer } from '../support/test-server';

const CHANNEL_KEY = 'BAK/CHANNEL/ChannelStructure_001.jsonl';
const ids = (nodes: { entityId: string }[]) => nodes.map((n) => n.entityId);

/*
 * The tree of the channel file (children in the order the parent lists them):
 *   10 HVAC ─┬─ 12 Capacitors        20 Tools
 *            └─ 11 Supplies ── 13 Filters ── 14 Old ── 15 Orphan
 * Later the channel file marks 14 deleted: 15 becomes a root.
 * Membership comes from the product lines: 100 in 11 and 12; 101 and 102 (later deleted) in 11;
 * 103 in 13; 200–204 in 20. Node 11's own product links (listing 999) do not count.
 */
const channelFile = (opts: { deleteOld: boolean }) => jsonl([
  nodeLine(10, 'HVAC', { children: [12, 11] }),
  nodeLine(11, 'Supplies', { children: [13], products: [999] }),
  { ...nodeLine(12, 'Capacitors'), Attributes: { ChannelNodeID: 'N12', ChannelNodeName: { en: 'Capacitors', es: 'Condensadores', 'fr-CA': 'Condensateurs' } } },
  nodeLine(13, 'Filters', { children: [14] }),
  opts.deleteOld ? deleteLine(14, 'ChannelNode') : nodeLine(14, 'Old', { children: [15] }),
  nodeLine(15, 'Orphan'),
  nodeLine(20, 'Tools'),
]);

describe('GraphQL over HTTP: the channel tree, its products and the attribute schema', () => {
  let served: ServedBucket;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  beforeAll(async () => {
    bucket.write('SHARED/AttributeFile.json', fs.readFileSync(path.join(PROJECT_ROOT, 'samples/bucket/SHARED/AttributeFile.json')));
    bucket.write(CHANNEL_KEY, channelFile({ deleteOld: false }));
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', [
      productLine({ id: 100, nodes: [11, 12] }),
      productLine({ id: 101, nodes: [11] }),
      productLine({ id: 102, nodes: [11] }),
      productLine({ id: 103, nodes: [13] }),
      ...[200, 201, 202, 203, 204].map((id) => productLine({ id, nodes: [20] })),
    ]);
    bucket.product('BAK', 'ecommerce_20260402000000_001.jsonl', [deleteLine(102)]);
    served = await serveBucket(bucket);
    s = served.s;
    expect(served.loads).toEqual([expect.objectContaining({ status: 'done' })]);
  });
  afterAll(async () => {
    await served.close();
  });

  it('serves one node with its name, parent, children, position and products', async () => {
    const r = await s.gql(`{ channelNode(businessUnit: "bak", entityId: "11") {
      entityId entityTypeId deleted name fr: name(locale: "fr-CA") sortOrder
      parent { entityId name sortOrder parent { entityId } }
      children { entityId name sortOrder }
      products { totalCount pageInfo { hasNextPage } nodes { entityId productId } } } }`);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.channelNode).toEqual({
      entityId: '11', entityTypeId: 'ChannelNode', deleted: false, name: 'Supplies', fr: 'Supplies', sortOrder: 1,
      parent: { entityId: '10', name: 'HVAC', sortOrder: 0, parent: null },
      children: [{ entityId: '13', name: 'Filters', sortOrder: 0 }],
      products: { totalCount: 2, pageInfo: { hasNextPage: false }, nodes: [{ entityId: '100', productId: 'P100' }, { entityId: '101', productId: 'P101' }] },
    });
    const cap = await s.gql('{ channelNode(businessUnit: "bak", entityId: "12") { name(locale: "fr-CA") es: name(locale: "es-MX") sortOrder } }');
    expect(cap.body.data.channelNode).toEqual({ name: 'Condensateurs', es: 'Condensadores', sortOrder: 0 });
  });

  it('keeps children in the order the parent lists them, not in id order', async () => {
    const r = await s.gql('{ channelNode(businessUnit: "bak", entityId: "10") { children { entityId sortOrder } } }');
    expect(r.body.data.channelNode.children).toEqual([{ entityId: '12', sortOrder: 0 }, { entityId: '11', sortOrder: 1 }]);
  });

  it('lists roots and all nodes with cursor pages and counts', async () => {
    const roots = await s.gql('{ channelNodes(businessUnit: "bak", rootsOnly: true) { totalCount nodes { entityId sortOrder parent { entityId } } } }');
    expect(roots.body.data.channelNodes).toEqual({
      totalCount: 2, nodes: [{ entityId: '10', sortOrder: 0, parent: null }, { entityId: '20', sortOrder: 0, parent: null }],
    });
    const q = 'query($after: String) { channelNodes(businessUnit: "bak", first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { entityId } } }';
    const first = await s.gql(q);
    expect(first.body.data.channelNodes).toMatchObject({ totalCount: 7, pageInfo: { hasNextPage: true } });
    expect(ids(first.body.data.channelNodes.nodes)).toEqual(['10', '11', '12', '13']);
    const second = await s.gql(q, { after: first.body.data.channelNodes.pageInfo.endCursor });
    expect(second.body.data.channelNodes).toMatchObject({ totalCount: 7, pageInfo: { hasNextPage: false } });
    expect(ids(second.body.data.channelNodes.nodes)).toEqual(['14', '15', '20']);
  });

  it("pages a node's products and gives each node of a list its own page", async () => {
    const q = 'query($after: String) { channelNode(businessUnit: "bak", entityId: "20") { products(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { entityId } } } }';
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const r: GraphQLResponse = await s.gql(q, { after });
      const products: { totalCount: number; nodes: { entityId: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = r.body.data.channelNode.products;
      expect(products.totalCount).toBe(5);
      seen.push(...ids(products.nodes));
      after = products.pageInfo.endCursor;
      expect(products.pageInfo.hasNextPage).toBe(page < 2);
    }
    expect(seen).toEqual(['200', '201', '202', '203', '204']);

    const all = await s.gql('{ channelNodes(businessUnit: "bak") { nodes { entityId products(first: 1) { totalCount nodes { entityId } } } } }');
    const byNode = Object.fromEntries(all.body.data.channelNodes.nodes.map((n: { entityId: string; products: unknown }) => [n.entityId, n.products]));
    expect(byNode).toEqual({
      10: { totalCount: 0, nodes: [] },
      11: { totalCount: 2, nodes: [{ entityId: '100' }] },
      12: { totalCount: 1, nodes: [{ entityId: '100' }] },
      13: { totalCount: 1, nodes: [{ entityId: '103' }] },
      14: { totalCount: 0, nodes: [] },
      15: { totalCount: 0, nodes: [] },
      20: { totalCount: 5, nodes: [{ entityId: '200' }] },
    });
  });

  it('reaches the tree from a product and back', async () => {
    const r = await s.gql('{ product(businessUnit: "bak", entityId: "103") { channelNodes { entityId parent { entityId parent { entityId } } } } }');
    expect(r.body.data.product.channelNodes).toEqual([{ entityId: '13', parent: { entityId: '11', parent: { entityId: '10' } } }]);
  });

  it('hides a deleted node; its child becomes a root', async () => {
    bucket.write(CHANNEL_KEY, channelFile({ deleteOld: true }));
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done' });
    const r = await s.gql(`{ old: channelNode(businessUnit: "bak", entityId: "14") { entityId }
      filters: channelNode(businessUnit: "bak", entityId: "13") { children { entityId } }
      orphan: channelNode(businessUnit: "bak", entityId: "15") { parent { entityId } sortOrder }
      roots: channelNodes(businessUnit: "bak", rootsOnly: true) { nodes { entityId } }
      all: channelNodes(businessUnit: "bak") { totalCount } }`);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({
      old: null,
      filters: { children: [] },
      orphan: { parent: null, sortOrder: 0 },
      roots: { nodes: [{ entityId: '10' }, { entityId: '15' }, { entityId: '20' }] },
      all: { totalCount: 6 },
    });
  });

  it('answers unknown nodes with null and bad arguments with BAD_USER_INPUT', async () => {
    const r = await s.gql('{ channelNode(businessUnit: "bak", entityId: "424242") { entityId } }');
    expect(r.body).toEqual({ data: { channelNode: null } });
    for (const query of [
      '{ channelNode(businessUnit: "bak", entityId: "x1") { entityId } }',
      '{ channelNodes(businessUnit: "bak", first: 1001) { totalCount } }',
      '{ channelNodes(businessUnit: "bak", after: "nope") { totalCount } }',
      '{ channelNode(businessUnit: "bak", entityId: "20") { products(first: 5000) { totalCount } } }',
    ]) {
      const bad = await s.gql(query);
      expect({ query, codes: errorCodes(bad) }).toEqual({ query, codes: ['BAD_USER_INPUT'] });
    }
  });

  it('serves the attribute schema with localized names', async () => {
    const r = await s.gql(`{ attributeDefinitions(businessUnit: "bak", entityTypeId: "Product") {
      entityTypeId attributeId dataType name fr: name(locale: "fr-CA") frFr: name(locale: "fr") es: name(locale: "es-MX")
      names sortOrder isMultiValue allowedValues fieldsets } }`);
    expect(r.body.errors).toBeUndefined();
    const defs = r.body.data.attributeDefinitions;
    expect(defs.map((d: { attributeId: string }) => d.attributeId)).toEqual(['ProductId', 'ProductShortDescription', 'ProductProductFamily', 'ProductMainSupplier']);
    expect(defs[1]).toEqual({
      entityTypeId: 'Product', attributeId: 'ProductShortDescription', dataType: 'LocaleString', name: 'Short Description',
      fr: 'Description courte', frFr: 'Short Description', es: 'Descripción corta',
      names: { en: 'Short Description', es: 'Descripción corta', 'fr-CA': 'Description courte' },
      sortOrder: 2, isMultiValue: false, allowedValues: null, fieldsets: [],
    });
    expect(defs[3]).toMatchObject({ dataType: 'CVLString', isMultiValue: false, allowedValues: { 'SUP-0042': 'Acme Electric', 'SUP-0077': 'Northwind HVAC' } });

    const all = await s.gql('{ attributeDefinitions(businessUnit: "bak") { entityTypeId attributeId isMultiValue fieldsets } }');
    const list = all.body.data.attributeDefinitions;
    expect(list).toHaveLength(24);
    expect([...new Set(list.map((d: { entityTypeId: string }) => d.entityTypeId))]).toEqual(['Channel', 'ChannelNode', 'Item', 'Product', 'Resource']);
    expect(list.find((d: { attributeId: string }) => d.attributeId === 'ItemANSIStandards')).toEqual({
      entityTypeId: 'Item', attributeId: 'ItemANSIStandards', isMultiValue: true,
      fieldsets: [{ Id: 'ItemLaddersandAccessories', Name: { stringMap: { en: 'Ladders and Accessories' } } }],
    });
    const none = await s.gql('{ attributeDefinitions(businessUnit: "bak", entityTypeId: "Nope") { attributeId } }');
    expect(none.body.data.attributeDefinitions).toEqual([]);
  });
});
