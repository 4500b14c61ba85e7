import { TempBucket, productLine } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

const KEYS = {
  reader: 'reader-key-0001',
  operator: 'operator-key-0001',
  admin: 'admin-key-00001',
  gemOnly: 'gem-reader-0001',
};

describe('API keys, roles and business-unit scoping over HTTP', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  beforeAll(async () => {
    // Same EntityIds in both BUs, different content: nothing of one may show through the other.
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 100, productId: 'BAK-100', items: [{ id: 1 }] })]);
    bucket.product('gemaire', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 100, productId: 'GEM-100', items: [{ id: 1 }, { id: 2 }] })]);
    t = await createTestDatabase(['bak', 'gem']);
    s = await startTestServer(t, {
      bucketDir: bucket.root,
      units: 'bak,gem=gemaire',
      apiKeys: `${KEYS.reader}:reader,${KEYS.operator}:operator,${KEYS.admin}:admin,${KEYS.gemOnly}:reader:gem`,
    });
    await s.load('bak');
    await s.load('gem');
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  it('answers 401 without a key or with a wrong one', async () => {
    const none = await s.gql('{ businessUnits { code } }');
    expect(none.status).toBe(401);
    expect(errorCodes(none)).toEqual(['UNAUTHENTICATED']);
    const wrong = await s.gql('{ businessUnits { code } }', {}, 'not-a-key-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors![0].message).toMatch(/unknown API key/);
  });

  it('lets a reader query but not trigger loads', async () => {
    const q = await s.gql('{ products(businessUnit: "bak") { totalCount } }', {}, KEYS.reader);
    expect(q.body.data.products.totalCount).toBe(1);
    const m = await s.gql('mutation { triggerLoad(businessUnit: "bak") { businessUnit } }', {}, KEYS.reader);
    expect(errorCodes(m)).toEqual(['FORBIDDEN']);
    expect(m.body.errors![0].message).toMatch(/needs the operator role/);
  });

  it('lets operators and admins trigger loads', async () => {
    for (const key of [KEYS.operator, KEYS.admin]) {
      const m = await s.gql('mutation { triggerLoad(businessUnit: "gem") { businessUnit productCount } }', {}, key);
      expect(m.body.errors).toBeUndefined();
      expect(m.body.data.triggerLoad).toEqual({ businessUnit: 'gem', productCount: 1 });
    }
  });

  it('keeps a scoped key to its business units, on every root field', async () => {
    const fields = [
      '{ product(businessUnit: "bak", entityId: "100") { entityId } }',
      '{ products(businessUnit: "bak") { totalCount } }',
      '{ item(businessUnit: "bak", entityId: "1") { entityId } }',
      '{ items(businessUnit: "bak") { totalCount } }',
      '{ loadEvents(businessUnit: "bak") { totalCount } }',
      '{ loadStatus(businessUnit: "bak") { productCount } }',
      '{ quarantinedLines(businessUnit: "bak") { totalCount } }',
    ];
    for (const query of fields) {
      const r = await s.gql(query, {}, KEYS.gemOnly);
      expect({ query, codes: errorCodes(r) }).toEqual({ query, codes: ['FORBIDDEN'] });
      expect(r.body.errors![0].message).toMatch(/not allowed to use business unit "bak"/);
    }
    const own = await s.gql('{ businessUnits { code sourcePrefix } products(businessUnit: "GEM") { nodes { productId } } }', {}, KEYS.gemOnly);
    expect(own.body.data).toEqual({ businessUnits: [{ code: 'gem', sourcePrefix: 'gemaire' }], products: { nodes: [{ productId: 'GEM-100' }] } });
  });

  it('never shows one business unit the data of another', async () => {
    const r = await s.gql(`{
      bak: product(businessUnit: "bak", entityId: "100") { productId items { entityId } }
      gem: product(businessUnit: "gem", entityId: "100") { productId items { entityId } }
      bakItems: items(businessUnit: "bak") { totalCount }
      gemItems: items(businessUnit: "gem") { totalCount } }`, {}, KEYS.admin);
    expect(r.body.data).toEqual({
      bak: { productId: 'BAK-100', items: [{ entityId: '1' }] },
      gem: { productId: 'GEM-100', items: [{ entityId: '1' }, { entityId: '2' }] },
      bakItems: { totalCount: 1 },
      gemItems: { totalCount: 2 },
    });
  });
});
