import { AttributeDefinitionService } from '../../src/services/attribute-definition.service';
import { TempBucket, productLine } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

/** Issue 11, "Alias amplification inside the cost limit": every request of a reader, bounded. */

const READER = 'amplifying-reader-key';
const OTHER = 'another-reader-key';
const IN_FLIGHT = 3;

/** An AttributeFile as large as a real one: 1,000 item attributes with names in three locales. */
const attributeFile = () => JSON.stringify([{
  EntityTypeId: 'Item',
  Attributes: Array.from({ length: 1000 }, (_, i) => ({
    AttributeId: `ItemAttr${String(i).padStart(4, '0')}`,
    Name: { stringMap: { en: `Attribute ${i}`, es: `Atributo ${i}`, 'fr-CA': `Attribut ${i}` } },
    SortOrder: i, DataType: 'String', AvailableFieldsets: [],
  })),
}]);

describe('alias amplification and what one key may hold', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  beforeAll(async () => {
    bucket.write('SHARED/AttributeFile.json', attributeFile());
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', Array.from({ length: 20 }, (_, i) => productLine({ id: i + 1, items: [{ id: (i + 1) * 10 }, { id: (i + 1) * 10 + 1 }] })));
    t = await createTestDatabase(['bak']);
    s = await startTestServer(t, {
      bucketDir: bucket.root, apiKeys: `${READER}:reader,${OTHER}:reader`,
      env: { GRAPHQL_MAX_IN_FLIGHT_PER_KEY: String(IN_FLIGHT) },
    });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done' });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
  const gcRss = () => {
    (global as { gc?: () => void }).gc?.();
    return process.memoryUsage().rss;
  };

  it('refuses 4,900 aliases of attributeDefinitions (0.26 MB) quickly, without running them', async () => {
    const query = aliases(4900, 'attributeDefinitions(businessUnit: "bak") { names }');
    expect(query.length).toBeGreaterThan(250_000);
    const rss = gcRss();
    const definitions = jest.spyOn(AttributeDefinitionService.prototype, 'list');
    let r: Awaited<ReturnType<typeof s.gql>>;
    try {
      r = await s.gql(query, {}, READER);
      // Refused before anything runs: not one list of definitions is read (a time limit would say this only on an idle machine).
      expect(definitions).not.toHaveBeenCalled();
    } finally {
      definitions.mockRestore();
    }
    expect(r.status).toBe(400);
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].message).toBe('the query has more than 10000 tokens (names, values, punctuation); at most 10000 are allowed: ask for fewer fields or aliases');
    expect(r.body.data).toBeUndefined();
    // It used to take 4.4 s and +470 MB (4.9 million definitions built, then serialized).
    expect(gcRss() - rss).toBeLessThan(60 * 1024 * 1024);
  });

  it('refuses more than 100 aliases, and as many aliases of a list as its expected size allows', async () => {
    const many = await s.gql(aliases(500, 'businessUnits { code }'), {}, READER);
    expect(errorCodes(many)).toEqual(['BAD_USER_INPUT']);
    expect(many.body.errors![0].message).toBe('the query uses 500 aliases; at most 100 are allowed: ask each field once, or send several requests');
    // attributeDefinitions is expected to hold 2,000 rows, names 5 values: 60 × (1 + 2,000 × 5) = 600,060.
    const lists = await s.gql(aliases(60, 'attributeDefinitions(businessUnit: "bak") { names }'), {}, READER);
    expect(errorCodes(lists)).toEqual(['BAD_USER_INPUT']);
    expect(lists.body.errors![0].message).toMatch(/^the query would cost 600060 \(values it may return/);
    const fine = await s.gql(aliases(3, 'attributeDefinitions(businessUnit: "bak") { attributeId }'), {}, READER);
    expect(fine.body.errors).toBeUndefined();
    expect(fine.body.data.a2).toHaveLength(1000);
  });

  it('still serves a normal page: products(first: 100) with items and categories', async () => {
    const r = await s.gql(`{ products(businessUnit: "bak", first: 100) { pageInfo { hasNextPage endCursor } nodes {
      entityId productId updatedAt description: attribute(id: "ProductShortDescription", locale: "fr-CA")
      items { entityId sortOrder itemNo: attribute(id: "ItemWatscoItemNo") resources { entityId } }
      channelNodes { entityId name(locale: "en") } } } }`, {}, READER);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.products.nodes).toHaveLength(20);
    expect(r.body.data.products.nodes[0].items).toHaveLength(2);
  });

  it('lists the source once for 50 aliased loadStatus', async () => {
    const list = jest.spyOn(s.app.source, 'list');
    try {
      await s.gql('{ loadStatus(businessUnit: "bak") { productCount } }', {}, READER);
      // One listing of the BU: SHARED/, its CHANNEL/ and its PRODUCT/ folder.
      const once = list.mock.calls.length;
      expect(once).toBe(3);
      list.mockClear();
      const r = await s.gql(aliases(50, 'loadStatus(businessUnit: "bak") { productCount pendingFiles warnings }'), {}, READER);
      expect(r.body.errors).toBeUndefined();
      expect(Object.keys(r.body.data)).toHaveLength(50);
      expect(r.body.data.a49).toEqual({ productCount: 20, pendingFiles: [], warnings: [] });
      expect(list).toHaveBeenCalledTimes(once);
    } finally {
      list.mockRestore();
    }
  });

  it(`answers a key's request beyond ${IN_FLIGHT} in flight with HTTP 429 and Retry-After; another key still works`, async () => {
    // Each loadStatus lists the source: held at its first listing, the key's requests stay in flight until released.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const list = jest.spyOn(s.app.source, 'list').mockImplementation(async function* held() {
      await gate;
      yield* [];
    });
    const held: Promise<Awaited<ReturnType<typeof s.gql>>>[] = [];
    try {
      for (let i = 0; i < IN_FLIGHT; i++) held.push(s.gql('{ loadStatus(businessUnit: "bak") { productCount } }', {}, READER));
      const giveUp = Date.now() + 15_000;
      while (list.mock.calls.length < IN_FLIGHT) {
        if (Date.now() > giveUp) throw new Error(`only ${list.mock.calls.length} of the key's ${IN_FLIGHT} requests reached the source`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const res = await fetch(s.app.server.url, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${READER}` },
        body: JSON.stringify({ query: '{ businessUnits { code } }' }),
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ errors: [{
        message: `too many requests in flight for the API key key#1(reader): at most ${IN_FLIGHT} at a time (GRAPHQL_MAX_IN_FLIGHT_PER_KEY); retry when one has been answered`,
        extensions: { code: 'TOO_MANY_REQUESTS' },
      }] });
      const other = await s.gql('{ businessUnits { code } }', {}, OTHER);
      expect(other).toEqual({ status: 200, body: { data: { businessUnits: [{ code: 'bak' }] } } });
    } finally {
      release();
      await Promise.allSettled(held);
      list.mockRestore();
    }
    for (const r of await Promise.all(held)) expect(r.body.errors).toBeUndefined();
    // Its slots are free again.
    expect((await s.gql('{ businessUnits { code } }', {}, READER)).status).toBe(200);
  });
});

describe('the work one key may have the service do (GRAPHQL_COST_PER_KEY_PER_SECOND)', () => {
  it('refuses a key its next query once its budget is spent, with HTTP 429 and Retry-After; another key still works', async () => {
    const bucket = new TempBucket();
    bucket.write('SHARED/AttributeFile.json', attributeFile());
    const t = await createTestDatabase(['bak']);
    // 1,000 a second: counted over 100 s, so the largest allowed query (100,000) still fits once.
    const s = await startTestServer(t, { bucketDir: bucket.root, apiKeys: `${READER}:reader,${OTHER}:reader`, env: { GRAPHQL_COST_PER_KEY_PER_SECOND: '1000' } });
    try {
      await s.load('bak');
      // 30 × (1 + 2,000 expected definitions) = 60,030 each.
      const query = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: attributeDefinitions(businessUnit: "bak") { attributeId }`).join(' ')} }`;
      const first = await s.gql(query, {}, READER);
      expect(first.body.errors).toBeUndefined();
      const res = await fetch(s.app.server.url, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${READER}` }, body: JSON.stringify({ query }),
      });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = await res.json() as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors).toEqual([{
        message: expect.stringMatching(/^the API key key#1\(reader\) has used its share of the service's work for now \(GRAPHQL_COST_PER_KEY_PER_SECOND: 1000 cost units a second, counted over 100 s\); retry in \d+ s/),
        extensions: { code: 'TOO_MANY_REQUESTS' },
      }]);
      // Spent: even a small request waits now, refused before its body is read.
      const small = await s.gql('{ businessUnits { code } }', {}, READER);
      expect(small.status).toBe(429);
      expect(errorCodes(small)).toEqual(['TOO_MANY_REQUESTS']);
      expect((await s.gql(query, {}, OTHER)).body.errors).toBeUndefined();
    } finally {
      await s.stop();
      await t.close();
      bucket.remove();
    }
  });
});

describe('the size of a response', () => {
  it('is bounded: a larger answer is one BAD_USER_INPUT error, not the data', async () => {
    const bucket = new TempBucket();
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', Array.from({ length: 30 }, (_, i) => productLine({ id: i + 1 })));
    const t = await createTestDatabase(['bak']);
    const s = await startTestServer(t, { bucketDir: bucket.root, env: { GRAPHQL_MAX_RESPONSE_BYTES: '4096' } });
    try {
      await s.load('bak');
      const small = await s.gql('{ products(businessUnit: "bak", first: 3) { nodes { entityId } } }');
      expect(small.body.errors).toBeUndefined();
      const big = await s.gql('{ products(businessUnit: "bak", first: 30) { nodes { entityId attributes sourceFile } } }');
      expect(big.body.data).toBeUndefined();
      expect(big.body.errors).toEqual([{
        message: expect.stringMatching(/^the response would be \d+\.\d MB; at most 0\.0 MB is sent: ask for smaller pages \(first\) or fewer fields/),
        extensions: { code: 'BAD_USER_INPUT', details: { responseBytes: expect.any(Number), maxResponseBytes: 4096 } },
      }]);
    } finally {
      await s.stop();
      await t.close();
      bucket.remove();
    }
  });
});
