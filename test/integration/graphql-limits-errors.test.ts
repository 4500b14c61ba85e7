import { Writable } from 'node:stream';
import { TempBucket, productLine } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';
import { createLogger } from '../../src/logger';

const KEY = 'limits-reader-key';

describe('query limits and error codes over HTTP', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();
  const logLines: Record<string, any>[] = [];

  beforeAll(async () => {
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 1, items: [{ id: 11 }] })]);
    t = await createTestDatabase(['bak']);
    const sink = new Writable({ write(chunk, _enc, done) { logLines.push(JSON.parse(String(chunk))); done(); } });
    s = await startTestServer(t, { bucketDir: bucket.root, apiKeys: `${KEY}:reader`, log: createLogger('error', sink) });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done' });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  it('rejects a query deeper than 10 levels with BAD_USER_INPUT before running it', async () => {
    // products › nodes › (items › product) × 4 › items › entityId: 12 levels.
    const nest = (fields: string[]): string => (fields.length === 1 ? fields[0] : `${fields[0]} { ${nest(fields.slice(1))} }`);
    const deep = `{ ${nest(['products(businessUnit: "bak")', 'nodes', 'items', 'product', 'items', 'product', 'items', 'product', 'items', 'product', 'items', 'entityId'])} }`;
    const r = await s.gql(deep, {}, KEY);
    expect(r.status).toBe(400);
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].message).toBe('the query is 12 levels deep; at most 10 are allowed');
    expect(r.body.data).toBeUndefined();
    // One product: the nested items lists (10 expected each) multiply the cost, not the depth.
    const fine = await s.gql(`{ ${nest(['products(businessUnit: "bak", first: 1)', 'nodes', 'items', 'product', 'items', 'product', 'items', 'product', 'items', 'entityId'])} }`, {}, KEY);
    expect(fine.body.errors).toBeUndefined();
  });

  it('rejects nested pages that multiply past the complexity limit, counting variables', async () => {
    const query = `query($nodes: Int, $products: Int) { channelNodes(businessUnit: "bak", first: $nodes) {
      nodes { products(first: $products) { nodes { entityId productId } } } } }`;
    const r = await s.gql(query, { nodes: 1000, products: 1000 }, KEY);
    expect(r.status).toBe(400);
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    // channelNodes 1 + 1000 × (nodes 1 + products (1 + 1000 × (nodes 1 + 2 fields))) = 3,002,001.
    expect(r.body.errors![0].message).toMatch(/^the query would cost 3002001 \(values it may return: fields × page sizes × expected list sizes\); at most 100000 is allowed/);
    const small = await s.gql(query, { nodes: 100, products: 100 }, KEY);
    expect(small.body.errors).toBeUndefined();
    // Lists and attribute documents cost their expected size: a page of 100 products with every
    // attribute of products and items is allowed (1 + 100 × (1 + 50 + (1 + 10 × (1 + 50 + 6)) + 4) = 62,701);
    // the same page of 1,000 is not.
    const fullPage = (first: number) => `{ products(businessUnit: "bak", first: ${first}) { nodes { entityId attributes items { entityId attributes resources { entityId } } channelNodes { name } } } }`;
    expect((await s.gql(fullPage(100), {}, KEY)).body.errors).toBeUndefined();
    const bigPage = await s.gql(fullPage(1000), {}, KEY);
    expect(errorCodes(bigPage)).toEqual(['BAD_USER_INPUT']);
    expect(bigPage.body.errors![0].message).toMatch(/^the query would cost 627001 /);
  });

  it('judges each operation of a document on its own, the same way every time it is sent', async () => {
    const doc = `query Small { products(businessUnit: "bak", first: 10) { nodes { entityId } } }
      query Big { channelNodes(businessUnit: "bak", first: 1000) { nodes { products(first: 1000) { nodes { entityId } } } } }`;
    for (let round = 0; round < 2; round++) {
      const small = await s.gql(doc, {}, KEY, 'Small');
      expect(small.body.errors).toBeUndefined();
      const big = await s.gql(doc, {}, KEY, 'Big');
      expect(big.status).toBe(400);
      expect(big.body.errors![0].message).toMatch(/^the query would cost 2002001 /);
    }
  });

  it('keeps its codes: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_USER_INPUT', async () => {
    expect(errorCodes(await s.gql('{ businessUnits { code } }'))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await s.gql('mutation { triggerLoad(businessUnit: "bak") { running } }', {}, KEY))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await s.gql('{ loadStatus(businessUnit: "nope") { running } }', {}, KEY))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await s.gql('{ product(businessUnit: "bak") { entityId } }', {}, KEY))).toEqual(['BAD_USER_INPUT']);
  });

  it('hides an internal error from the client and logs it with its context', async () => {
    // Break the schema under the running service: every read of item now fails in SQL.
    await t.owner.query('ALTER TABLE inriver_bak.item RENAME COLUMN sort_order TO sort_order_broken');
    try {
      const r = await s.gql('query ItemsOfOne { product(businessUnit: "bak", entityId: "1") { entityId items { entityId } } }', {}, KEY);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        data: { product: null },
        // The product's items are read in the product's own statement, which fails as a whole.
        errors: [{ message: 'Internal server error', path: ['product'], locations: [{ line: 1, column: 20 }], extensions: { code: 'INTERNAL' } }],
      });
      expect(JSON.stringify(r.body)).not.toMatch(/sort_order|does not exist|SELECT|QueryFailed|stack|\.ts:/);
      const entry = logLines.find((l) => l.msg === 'unexpected error while serving GraphQL');
      expect(entry).toMatchObject({
        level: 50, operationName: 'ItemsOfOne', apiKey: 'key#1(reader)', path: ['product'],
        err: { message: expect.stringMatching(/sort_order/) },
      });
      expect(logLines.filter((l) => l.msg === 'unexpected error while serving GraphQL')).toHaveLength(1);
    } finally {
      await t.owner.query('ALTER TABLE inriver_bak.item RENAME COLUMN sort_order_broken TO sort_order');
    }
  });

  it('keeps the start of large variables in the log of an internal error, not all of them', async () => {
    await t.owner.query('ALTER TABLE inriver_bak.item RENAME COLUMN sort_order TO sort_order_broken');
    try {
      // 1,000 product ids of 400 characters: every value within its limits, 0.4 MB in all.
      const productIds = Array.from({ length: 1000 }, (_, i) => `${i}`.padEnd(400, 'x'));
      const r = await s.gql('query Big($ids: [String!]) { products(businessUnit: "bak", first: 1, filter: { productIds: $ids }) { nodes { items { entityId } } } product(businessUnit: "bak", entityId: "1") { items { entityId } } }',
        { ids: productIds }, KEY);
      // Both fields fail; whether the nullable one's error is in before the other ends the operation depends on which answers first.
      expect(errorCodes(r).length).toBeGreaterThanOrEqual(1);
      expect(new Set(errorCodes(r))).toEqual(new Set(['INTERNAL']));
      const entry = logLines.filter((l) => l.msg === 'unexpected error while serving GraphQL' && l.operationName === 'Big')[0];
      expect(entry.variables).toEqual({ cut: true, chars: JSON.stringify({ ids: productIds }).length, start: expect.any(String) });
      expect(entry.variables.start).toHaveLength(2000);
      expect(JSON.stringify(entry).length).toBeLessThan(12_000);
    } finally {
      await t.owner.query('ALTER TABLE inriver_bak.item RENAME COLUMN sort_order_broken TO sort_order');
    }
  });
});
