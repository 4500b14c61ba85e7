import path from 'node:path';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

describe('GraphQL over HTTP: products, items and the load log of the sample bucket', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    s = await startTestServer(t, { bucketDir: path.join(PROJECT_ROOT, 'samples', 'bucket') });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 4 });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
  });

  it('serves a product by entityId with items, resources, categories and localized attributes', async () => {
    const r = await s.gql(`{ product(businessUnit: "BAK", entityId: "19456") {
      entityId entityTypeId productId deleted sourceFile eventId updatedAt
      desc: attribute(id: "ProductShortDescription", locale: "es")
      supplier: attribute(id: "ProductMainSupplier")
      items { entityId sortOrder weight: attribute(id: "ItemItemImperialWeightinPounds") resources { entityId } product { entityId } }
      resources { entityId sortOrder attributes }
      channelNodes { entityId name(locale: "fr-CA") }
      links { linkTypeId direction otherEntityTypeId otherEntityId sortOrder } } }`);
    expect(r.body.errors).toBeUndefined();
    const p = r.body.data.product;
    expect(p).toMatchObject({ entityId: '19456', entityTypeId: 'Product', productId: 'P100982724', deleted: false });
    expect(p.desc).toBe('Condensador 45/5 MFD 440V');
    expect(p.supplier).toEqual({ key: 'SUP-0042', value: 'Acme Electric' });
    expect(p.items).toEqual([{ entityId: '3424', sortOrder: 0, weight: 0.9, resources: [{ entityId: '88011' }], product: { entityId: '19456' } }]);
    expect(p.resources.map((x: { entityId: string }) => x.entityId)).toEqual(['88001', '88002']);
    expect(p.resources[1].attributes.ResourceFilename).toBe('C45-5R_spec.pdf');
    expect(p.channelNodes).toEqual([{ entityId: '50714', name: 'Fournitures' }]);
    expect(p.links).toEqual([{ linkTypeId: 'ChannelNodeProduct', direction: 'INBOUND', otherEntityTypeId: 'ChannelNode', otherEntityId: '50714', sortOrder: 0 }]);
    expect(p.sourceFile).toMatch(/ecommerce_20260415122159450_001\.jsonl$/);
    expect(new Date(p.updatedAt).getTime()).not.toBeNaN();
  });

  it('finds a product by productId and hides deleted ones unless asked', async () => {
    const byKey = await s.gql(`{ product(businessUnit: "bak", productId: "P100982731") { entityId } }`);
    expect(byKey.body.data.product).toEqual({ entityId: '19457' });
    const hidden = await s.gql(`{ product(businessUnit: "bak", entityId: "19458") { entityId } }`);
    expect(hidden.body.data.product).toBeNull();
    const shown = await s.gql(`{ product(businessUnit: "bak", entityId: "19458", includeDeleted: true) { entityId deleted items(includeDeleted: true) { entityId deleted } } }`);
    expect(shown.body.data.product).toEqual({ entityId: '19458', deleted: true, items: [{ entityId: '3440', deleted: true }] });
  });

  it('rejects product() with both or neither key', async () => {
    for (const args of ['', 'entityId: "19456", productId: "P100982724"']) {
      const r = await s.gql(`{ product(businessUnit: "bak"${args ? `, ${args}` : ''}) { entityId } }`);
      expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.body.errors![0].message).toMatch(/exactly one of entityId and productId/);
    }
  });

  it('pages products with opaque cursors and a total count', async () => {
    const q = `query($after: String) { products(businessUnit: "bak", first: 2, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { entityId } } }`;
    const first = await s.gql(q);
    expect(first.body.data.products).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true }, nodes: [{ entityId: '19456' }, { entityId: '19457' }] });
    const second = await s.gql(q, { after: first.body.data.products.pageInfo.endCursor });
    expect(second.body.data.products).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: false }, nodes: [{ entityId: '19460' }] });
  });

  it('filters products by category, attributes, product ids and deleted flag', async () => {
    const ids = async (filter: string) => {
      const r = await s.gql(`{ products(businessUnit: "bak", filter: ${filter}) { totalCount nodes { entityId } } }`);
      expect(r.body.errors).toBeUndefined();
      return r.body.data.products.nodes.map((n: { entityId: string }) => n.entityId);
    };
    expect(await ids('{ channelNodeId: "50715" }')).toEqual(['19460']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductMainSupplier", value: "SUP-0077" }] }')).toEqual(['19457', '19460']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductShortDescription", value: "Filtre déshydrateur 3/8 SAE", locale: "fr-CA" }] }')).toEqual(['19460']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductMainSupplier", value: "SUP-0077" }, { attributeId: "ProductProductFamily", value: "FD100" }] }')).toEqual(['19460']);
    expect(await ids('{ productIds: ["P100982724", "nope"] }')).toEqual(['19456']);
    expect(await ids('{ includeDeleted: true }')).toEqual(['19456', '19457', '19458', '19460']);
  });

  it('serves items with filters', async () => {
    const r = await s.gql(`{ items(businessUnit: "bak", filter: { attributeEquals: [{ attributeId: "ItemItemQuantityType", value: "EA" }] }) { totalCount nodes { entityId product { productId } } } }`);
    expect(r.body.data.items.nodes).toEqual([
      { entityId: '3424', product: { productId: 'P100982724' } },
      { entityId: '3430', product: { productId: 'P100982731' } },
      { entityId: '3450', product: { productId: 'P100982790' } },
    ]);
    const one = await s.gql(`{ item(businessUnit: "bak", entityId: "3425") { entityId } gone: item(businessUnit: "bak", entityId: "3425", includeDeleted: true) { entityId deleted } }`);
    expect(one.body.data).toEqual({ item: null, gone: { entityId: '3425', deleted: true } });
  });

  it('answers bad arguments with clear BAD_USER_INPUT errors', async () => {
    const tooMany = await s.gql(`{ products(businessUnit: "bak", first: 1001) { totalCount } }`);
    expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
    expect(tooMany.body.errors![0].message).toMatch(/at most 1000/);
    const badCursor = await s.gql(`{ products(businessUnit: "bak", after: "garbage") { totalCount } }`);
    expect(errorCodes(badCursor)).toEqual(['BAD_USER_INPUT']);
    const badId = await s.gql(`{ product(businessUnit: "bak", entityId: "abc") { entityId } }`);
    expect(errorCodes(badId)).toEqual(['BAD_USER_INPUT']);
    const unknownBu = await s.gql(`{ products(businessUnit: "zzz") { totalCount } }`);
    expect(errorCodes(unknownBu)).toEqual(['NOT_FOUND']);
    expect(unknownBu.body.errors![0].message).toMatch(/unknown business unit "zzz"; configured: bak/);
    const badType = await s.gql(`{ products(businessUnit: "bak", first: "ten") { totalCount } }`);
    expect(badType.status).toBe(400);
    expect(errorCodes(badType)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('shows the event log, newest first, with counts and filters', async () => {
    const r = await s.gql(`{ loadEvents(businessUnit: "bak", filter: { eventTypes: [FILE_COMPLETE] }) {
      totalCount nodes { id eventType sourceFile sourceEtag sourceSha256 entityType recordsProcessed recordsInserted
        recordsUpdated recordsUnchanged recordsDeleted recordsQuarantined metadata replayDate } } }`);
    const events = r.body.data.loadEvents;
    expect(events.totalCount).toBe(4);
    expect(events.nodes[0]).toMatchObject({
      eventType: 'FILE_COMPLETE', entityType: 'Product', recordsProcessed: 4, recordsInserted: 1, recordsUpdated: 1,
      recordsUnchanged: 0, recordsDeleted: 1, recordsQuarantined: 1, replayDate: null,
    });
    expect(events.nodes[0].sourceSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(events.nodes[3].entityType).toBe('Attribute');
    const all = await s.gql(`{ loadEvents(businessUnit: "bak", first: 3) { totalCount pageInfo { hasNextPage } nodes { eventType } } }`);
    expect(all.body.data.loadEvents).toMatchObject({ totalCount: 8, pageInfo: { hasNextPage: true } });
  });

  it('shows load status and the quarantined line', async () => {
    const r = await s.gql(`{ loadStatus(businessUnit: "bak") { businessUnit running pendingFiles productCount itemCount channelNodeCount
        lastCompleted { sourceFile } blockedBy { id } }
      quarantinedLines(businessUnit: "bak") { totalCount nodes { sourceFile lineNumber reason rawLine eventId } } }`);
    expect(r.body.data.loadStatus).toMatchObject({
      businessUnit: 'bak', running: false, pendingFiles: [], productCount: 3, itemCount: 3, channelNodeCount: 3, blockedBy: null,
    });
    const q = r.body.data.quarantinedLines;
    expect(q.totalCount).toBe(1);
    expect(q.nodes[0]).toMatchObject({ lineNumber: 3 });
    expect(q.nodes[0].rawLine).toContain('"EntityId": 19461');
  });
});
