import { createHash } from 'node:crypto';
import { graphqlSchema } from '../../src/server/graphql-schema';
import { TempBucket, productLine } from '../support/bucket-factory';
import { ServedBucket, errorCodes, serveBucket, startTestServer } from '../support/test-server';

const KEYS = {
  reader: 'reader-key-0001',
  operator: 'operator-key-0001',
  admin: 'admin-key-00001',
  gemOnly: 'gem-reader-0001',
  gemOperator: 'gem-operator-01',
  gemAdmin: 'gem-admin-00001',
  /** Configured as its SHA-256 digest only. */
  digestReader: 'digest-reader-key-0001',
};
const DIGEST_READER = createHash('sha256').update(KEYS.digestReader).digest('hex');

/** One call per root field that takes a businessUnit, on "bak", and the lowest role that may make it. */
const ROOT_FIELD_CASES: Record<string, { query: string; role: 'reader' | 'operator' | 'admin' }> = {
  product: { role: 'reader', query: '{ product(businessUnit: "bak", entityId: "100") { entityId } }' },
  products: { role: 'reader', query: '{ products(businessUnit: "bak") { totalCount } }' },
  item: { role: 'reader', query: '{ item(businessUnit: "bak", entityId: "1") { entityId } }' },
  items: { role: 'reader', query: '{ items(businessUnit: "bak") { totalCount } }' },
  channelNode: { role: 'reader', query: '{ channelNode(businessUnit: "bak", entityId: "1") { entityId } }' },
  channelNodes: { role: 'reader', query: '{ channelNodes(businessUnit: "bak") { totalCount } }' },
  attributeDefinitions: { role: 'reader', query: '{ attributeDefinitions(businessUnit: "bak") { attributeId } }' },
  changes: { role: 'reader', query: '{ changes(businessUnit: "bak") { pageInfo { hasNextPage } } }' },
  loadEvents: { role: 'reader', query: '{ loadEvents(businessUnit: "bak") { totalCount } }' },
  loadStatus: { role: 'reader', query: '{ loadStatus(businessUnit: "bak") { productCount } }' },
  quarantinedLines: { role: 'reader', query: '{ quarantinedLines(businessUnit: "bak") { totalCount } }' },
  exportJob: { role: 'reader', query: '{ exportJob(businessUnit: "bak", id: "1") { id } }' },
  exportJobs: { role: 'reader', query: '{ exportJobs(businessUnit: "bak") { totalCount } }' },
  csvTemplates: { role: 'reader', query: '{ csvTemplates(businessUnit: "bak") { name } }' },
  fieldMappings: { role: 'reader', query: '{ fieldMappings(businessUnit: "bak") { id } }' },
  decorators: { role: 'reader', query: '{ decorators(businessUnit: "bak") { id } }' },
  triggerLoad: { role: 'operator', query: 'mutation { triggerLoad(businessUnit: "bak") { running } }' },
  requestReplay: { role: 'operator', query: 'mutation { requestReplay(businessUnit: "bak", fromEventId: "1", reason: "access test", dryRun: true) { dryRun } }' },
  requestExport: { role: 'operator', query: 'mutation { requestExport(businessUnit: "bak") { id } }' },
  upsertCsvTemplate: { role: 'admin', query: 'mutation { upsertCsvTemplate(businessUnit: "bak", input: { name: "x.csv", rowSource: PRODUCT, columns: [] }) { name } }' },
  deleteCsvTemplate: { role: 'admin', query: 'mutation { deleteCsvTemplate(businessUnit: "bak", name: "x.csv") }' },
  upsertFieldMapping: {
    role: 'admin',
    query: 'mutation { upsertFieldMapping(businessUnit: "bak", input: { inriverEntity: "Product", inriverField: "ProductId", heilerCsv: "x.csv", heilerColumn: "c" }) { id } }',
  },
  deleteFieldMapping: { role: 'admin', query: 'mutation { deleteFieldMapping(businessUnit: "bak", id: "1") }' },
  upsertDecorator: { role: 'admin', query: 'mutation { upsertDecorator(businessUnit: "bak", input: { entityType: "Product", entityId: "1", decoratorType: "t" }) { id } }' },
  deleteDecorator: { role: 'admin', query: 'mutation { deleteDecorator(businessUnit: "bak", id: "1") }' },
  // Parity runs show the compared files' cells: reads need the operator role too.
  parityRun: { role: 'operator', query: '{ parityRun(businessUnit: "bak", id: "1") { id } }' },
  parityRuns: { role: 'operator', query: '{ parityRuns(businessUnit: "bak") { totalCount } }' },
  startParityRun: {
    role: 'operator',
    query: 'mutation { startParityRun(businessUnit: "bak", input: { legacyUri: "s3://legacy-files/items.csv", template: "items.csv", key: ["item_id"] }) { id } }',
  },
};

describe('API keys, roles and business-unit scoping over HTTP', () => {
  let served: ServedBucket;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  beforeAll(async () => {
    // Same EntityIds in both BUs, different content: nothing of one may show through the other.
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 100, productId: 'BAK-100', items: [{ id: 1 }] })]);
    bucket.product('gemaire', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 100, productId: 'GEM-100', items: [{ id: 1 }, { id: 2 }] })]);
    served = await serveBucket(bucket, ['bak', 'gem'], {
      units: 'bak,gem=gemaire',
      apiKeys: `${KEYS.reader}:reader,${KEYS.operator}:operator,${KEYS.admin}:admin,${KEYS.gemOnly}:reader:gem,${KEYS.gemOperator}:operator:gem,${KEYS.gemAdmin}:admin:gem,sha256:${DIGEST_READER}:reader:gem`,
    });
    s = served.s;
  });
  afterAll(async () => {
    await served.close();
  });

  it('answers 401 without a key or with a wrong one', async () => {
    const none = await s.gql('{ businessUnits { code } }');
    expect(none.status).toBe(401);
    expect(errorCodes(none)).toEqual(['UNAUTHENTICATED']);
    const wrong = await s.gql('{ businessUnits { code } }', {}, 'not-a-key-at-all');
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors![0].message).toMatch(/unknown API key/);
  });

  it('accepts a key configured as its SHA-256 digest, and not the digest itself as a key', async () => {
    const ok = await s.gql('{ businessUnits { code } }', {}, KEYS.digestReader);
    expect(ok.body).toEqual({ data: { businessUnits: [{ code: 'gem' }] } });
    const digestAsKey = await s.gql('{ businessUnits { code } }', {}, DIGEST_READER);
    expect([digestAsKey.status, errorCodes(digestAsKey)]).toEqual([401, ['UNAUTHENTICATED']]);
    const upperCase = await s.gql('{ businessUnits { code } }', {}, KEYS.digestReader.toUpperCase());
    expect(upperCase.status).toBe(401);
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

  it('keeps a scoped key to its business units, on every root field of the served schema', async () => {
    const schema = await graphqlSchema();
    const scoped = [schema.getQueryType()!, schema.getMutationType()!]
      .flatMap((type) => Object.values(type.getFields()))
      .filter((f) => f.args.some((a) => a.name === 'businessUnit'))
      .map((f) => f.name);
    // Both ways, and how many: a new root field needs a case here (scoping is tested for every one, not for a
    // sample), a case whose field is gone (or no longer takes businessUnit) fails, and an empty list cannot pass.
    expect([...scoped].sort()).toEqual(Object.keys(ROOT_FIELD_CASES).sort());
    expect(scoped).toHaveLength(28);
    for (const name of scoped) {
      const { query } = ROOT_FIELD_CASES[name];
      const r = await s.gql(query, {}, KEYS.gemAdmin);
      expect({ name, codes: errorCodes(r) }).toEqual({ name, codes: ['FORBIDDEN'] });
      expect(r.body.errors![0].message).toMatch(/not allowed to use business unit "bak"/);
    }
  });

  it('gives every mutation its role: operator for loads, replays and exports, admin for configuration', async () => {
    const mutations = Object.entries(ROOT_FIELD_CASES).filter(([, c]) => c.role !== 'reader');
    for (const [name, { query, role }] of mutations) {
      const onOwnBu = query.replace('businessUnit: "bak"', 'businessUnit: "gem"');
      const tooLow = role === 'operator' ? [KEYS.gemOnly] : [KEYS.gemOnly, KEYS.gemOperator];
      for (const key of tooLow) {
        const r = await s.gql(onOwnBu, {}, key);
        expect({ name, key, codes: errorCodes(r) }).toEqual({ name, key, codes: ['FORBIDDEN'] });
        expect(r.body.errors![0].message).toMatch(new RegExp(`needs the ${role} role`));
      }
    }
  });

  it('names only the business units a key may use when it asks for an unknown one', async () => {
    const scoped = await s.gql('{ products(businessUnit: "zzz") { totalCount } }', {}, KEYS.gemOnly);
    expect(errorCodes(scoped)).toEqual(['NOT_FOUND']);
    expect(scoped.body.errors![0].message).toBe('unknown business unit "zzz"; the API key key#4(reader) may use: gem');
    const all = await s.gql('{ products(businessUnit: "zzz") { totalCount } }', {}, KEYS.reader);
    expect(all.body.errors![0].message).toBe('unknown business unit "zzz"; configured: bak, gem');
  });

  it('lets a scoped key use its own business unit', async () => {
    const own = await s.gql('{ businessUnits { code sourcePrefix } products(businessUnit: "GEM") { nodes { productId } } }', {}, KEYS.gemOnly);
    expect(own.body.data).toEqual({ businessUnits: [{ code: 'gem', sourcePrefix: 'gemaire' }], products: { nodes: [{ productId: 'GEM-100' }] } });
  });

  it('lets a reader use the catalog queries of its own business unit', async () => {
    const r = await s.gql(`{ channelNode(businessUnit: "gem", entityId: "1") { entityId }
      channelNodes(businessUnit: "gem") { totalCount } attributeDefinitions(businessUnit: "gem") { attributeId } }`, {}, KEYS.gemOnly);
    expect(r.body).toEqual({ data: { channelNode: null, channelNodes: { totalCount: 0 }, attributeDefinitions: [] } });
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
