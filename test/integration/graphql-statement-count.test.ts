import { Client } from 'pg';
import { TempBucket, jsonl, nodeLine, productLine } from '../support/bucket-factory';
import { serveBucket, ServedBucket, startTestServer } from '../support/test-server';

/**
 * No N+1: the SQL statements of a nested query are counted on the client side, by wrapping
 * node-postgres' Client#query (the driver under TypeORM), and must not grow with the page size.
 */
const PRODUCTS = 120;
const NODES = 110;

let recording: string[] | null = null;
const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const originalQuery = proto.query;

async function statementsOf(run: () => Promise<void>): Promise<{ all: string[]; data: string[] }> {
  recording = [];
  try {
    await run();
    const all = recording;
    return { all, data: all.filter((sql) => !/^\s*(BEGIN|COMMIT|ROLLBACK|SELECT set_config)/i.test(sql)) };
  } finally {
    recording = null;
  }
}

describe('no N+1: statements per query do not depend on the page size', () => {
  let served: ServedBucket;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  beforeAll(async () => {
    proto.query = function counted(this: unknown, ...args: unknown[]) {
      // A text, or a config object (prepared statements: { name, text, values }).
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: unknown } | null)?.text;
      if (recording && typeof text === 'string') recording.push(text);
      return originalQuery.apply(this, args);
    };
    // Node 1 is the root of nodes 2..NODES; product p is in nodes 2 + p % 100 and 2 + (p * 7) % 100.
    const nodeIds = Array.from({ length: NODES }, (_, i) => i + 1);
    bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', jsonl(nodeIds.map((id) => nodeLine(id, `Node ${id}`, { children: id === 1 ? nodeIds.slice(1) : [] }))));
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', Array.from({ length: PRODUCTS }, (_, i) => {
      const id = 1000 + i;
      return productLine({
        id,
        items: [{ id: 10_000 + 2 * i, resources: [500_000 + 2 * i] }, { id: 10_001 + 2 * i, resources: [500_001 + 2 * i] }],
        resources: [600_000 + i],
        nodes: [...new Set([2 + (i % 100), 2 + ((i * 7) % 100)])],
      });
    }));
    served = await serveBucket(bucket);
    s = served.s;
    expect(served.loads).toEqual([expect.objectContaining({ status: 'done' })]);
  });
  afterAll(async () => {
    proto.query = originalQuery;
    await served.close();
  });

  it('products(first) { items { resources } channelNodes } costs one statement per level', async () => {
    const query = `query($first: Int) { products(businessUnit: "bak", first: $first) {
      nodes { entityId items { entityId resources { entityId } } channelNodes { entityId } } } }`;
    const measure = async (first: number) => statementsOf(async () => {
      const r = await s.gql(query, { first });
      expect(r.body.errors).toBeUndefined();
      const nodes = r.body.data.products.nodes;
      // The data is really there at every level, so every loader really ran.
      expect(nodes).toHaveLength(first);
      for (const p of nodes) {
        expect(p.items).toHaveLength(2);
        for (const item of p.items) expect(item.resources).toHaveLength(1);
        expect(p.channelNodes.length).toBeGreaterThanOrEqual(1);
      }
    });
    await measure(1); // warm-up: the BU's read pool opens its connections on first use
    const small = await measure(10);
    const large = await measure(100);
    expect(large.all.length).toBe(small.all.length);
    // The page of products with their items and nodes (one statement); the items' resources.
    expect(large.data).toHaveLength(2);
    expect(large.data[0]).toMatch(/FROM item i .*FROM channel_node_product .*FROM "product"/s);
    expect(large.data[1]).toMatch(/FROM "?resource"? /);
    expect(large.all.length).toBeLessThanOrEqual(8);
  });

  it('product(entityId) with its items and categories is one statement, and they read as the entities read on their own', async () => {
    const FIELDS = 'entityId entityTypeId fieldSetId attributes deleted updatedAt sourceFile eventId';
    const query = `{ product(businessUnit: "bak", entityId: "1007") { ${FIELDS} items { ${FIELDS} sortOrder } channelNodes { ${FIELDS} name } } }`;
    await statementsOf(async () => { await s.gql(query); }); // warm-up: the read pool opens
    let product: any;
    const counted = await statementsOf(async () => {
      const r = await s.gql(query);
      expect(r.body.errors).toBeUndefined();
      product = r.body.data.product;
    });
    expect(counted.all).toHaveLength(1);
    expect(counted.all[0]).toMatch(/FROM item i .*FROM channel_node_product .*FROM product p/s);
    expect(product.items.map((i: { entityId: string }) => i.entityId)).toEqual(['10014', '10015']);
    expect(product.channelNodes.map((n: { entityId: string }) => n.entityId)).toEqual(['9', '51']);
    // The same entities read one by one (item, channelNode: their own statements and hydration): field for field equal.
    for (const item of product.items) {
      const r = await s.gql(`{ item(businessUnit: "bak", entityId: "${item.entityId}") { ${FIELDS} sortOrder } }`);
      expect(r.body.data.item).toEqual(item);
    }
    for (const node of product.channelNodes) {
      const r = await s.gql(`{ channelNode(businessUnit: "bak", entityId: "${node.entityId}") { ${FIELDS} name } }`);
      expect(r.body.data.channelNode).toEqual(node);
    }
  });

  it('a page filtered by attribute, with its count, brings the same items and categories as each product read alone', async () => {
    const FIELDS = 'entityId items { entityId sortOrder attributes updatedAt eventId } channelNodes { entityId name updatedAt }';
    const r = await s.gql(`{ products(businessUnit: "bak", first: 5, filter: { attributeEquals: [{ attributeId: "ProductId", value: "P1042" }] }) {
      totalCount nodes { ${FIELDS} } } }`);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.products.totalCount).toBe(1);
    const [page] = r.body.data.products.nodes;
    expect(page.items.map((i: { entityId: string }) => i.entityId)).toEqual(['10084', '10085']);
    const alone = await s.gql(`{ product(businessUnit: "bak", entityId: "1042") { ${FIELDS} } }`);
    expect(alone.body.data.product).toEqual(page);
  });

  it('a product reached through its item (DataLoaders) answers its items and categories as the product read with them does', async () => {
    const FIELDS = 'entityId items { entityId sortOrder name: attribute(id: "ItemNo") } channelNodes { entityId name(locale: "fr-CA") }';
    const direct = await s.gql(`{ product(businessUnit: "bak", entityId: "1042") { ${FIELDS} } }`);
    const viaItem = await s.gql(`{ item(businessUnit: "bak", entityId: "10084") { product { ${FIELDS} } } }`);
    expect(direct.body.errors).toBeUndefined();
    expect(viaItem.body.errors).toBeUndefined();
    expect(direct.body.data.product.items.map((i: { entityId: string }) => i.entityId)).toEqual(['10084', '10085']);
    expect(direct.body.data.product.channelNodes.length).toBeGreaterThanOrEqual(1);
    expect(viaItem.body.data.item.product).toEqual(direct.body.data.product);
  });

  it('the category tree with each node\'s products costs the same for 10 or 100 nodes', async () => {
    const query = `query($first: Int) { channelNodes(businessUnit: "bak", first: $first) { totalCount nodes {
      entityId sortOrder parent { name } children { entityId }
      products(first: 3) { totalCount nodes { entityId items { entityId } } } } } }`;
    const measure = async (first: number) => statementsOf(async () => {
      const r = await s.gql(query, { first });
      expect(r.body.errors).toBeUndefined();
      const nodes = r.body.data.channelNodes.nodes;
      expect(nodes).toHaveLength(first);
      expect(nodes.filter((n: { products: { nodes: unknown[] } }) => n.products.nodes.length > 0).length).toBeGreaterThan(first / 2);
    });
    const small = await measure(10);
    const large = await measure(100);
    expect(large.all.length).toBe(small.all.length);
    expect(large.data.length).toBeLessThanOrEqual(9);
  });
});
