import { TempBucket, productLine } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { GraphQLResponse, errorCodes, startTestServer } from '../support/test-server';
import { encodeCursor } from '../../src/services/pagination';

/**
 * Issue 11, "Client input becomes INTERNAL": values no resolver should get are refused before
 * anything runs, with BAD_USER_INPUT, a short message that names the place and does not repeat
 * the value, and the service answers normally after each.
 */

const ADMIN = 'hostile-input-admin-key';
const PRODUCT = 'query($p: String) { product(businessUnit: "bak", productId: $p) { entityId } }';
const CONDITIONS = 'query($c: [AttributeCondition!]) { products(businessUnit: "bak", filter: { attributeEquals: $c }) { nodes { entityId } } }';
const COLUMN = `mutation($column: String!, $notes: String) { upsertCsvTemplate(businessUnit: "bak", input: {
  name: "hostile.csv", rowSource: PRODUCT, notes: $notes, columns: [{ columnName: $column, sourceType: STATIC, sourceValue: "x" }] }) { name } }`;
/** Text in a script of 3 UTF-8 bytes a character, which does not compress: the worst case for an index entry. */
const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20000))).join('');

describe('hostile input over HTTP', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  beforeAll(async () => {
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 1, productId: 'P-1', items: [{ id: 11 }] })]);
    t = await createTestDatabase(['bak']);
    s = await startTestServer(t, { bucketDir: bucket.root, apiKeys: `${ADMIN}:admin` });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done' });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  /** BAD_USER_INPUT with exactly this message, no data, and the service still serves. */
  const refused = async (r: GraphQLResponse, message: string | RegExp) => {
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    expect(r.body.errors![0].message.length).toBeLessThan(300);
    expect(r.body.data ?? null).toBeNull();
    const after = await s.gql('{ product(businessUnit: "bak", entityId: "1") { productId } }', {}, ADMIN);
    expect(after.body).toEqual({ data: { product: { productId: 'P-1' } } });
  };

  it('refuses a NUL character in a variable and in the query itself', async () => {
    await refused(await s.gql(PRODUCT, { p: 'P-\u00001' }, ADMIN),
      'variable $p contains a NUL character (U+0000) at position 2, which text cannot hold');
    await refused(await s.gql('{ product(businessUnit: "bak", productId: "P-\\u00001") { entityId } }', {}, ADMIN),
      'argument productId of product contains a NUL character (U+0000) at position 2, which text cannot hold');
    await refused(await s.gql(CONDITIONS, { c: [{ attributeId: 'ProductBrand', value: 'a\u0000b' }] }, ADMIN),
      'variable $c[0].value contains a NUL character (U+0000) at position 1, which text cannot hold');
  });

  it('refuses lone surrogates (half a character), which would be stored mangled or fail in JSONB', async () => {
    await refused(await s.gql(CONDITIONS, { c: [{ attributeId: 'ProductBrand', value: 'caf\ud800' }] }, ADMIN),
      /^variable \$c\[0\]\.value is not valid Unicode: a lone surrogate \(U\+D800\) at position 3, half of a character/);
    await refused(await s.gql(PRODUCT, { p: '\udc00P-1' }, ADMIN), /^variable \$p is not valid Unicode: a lone surrogate \(U\+DC00\) at position 0/);
    // A whole pair is a character like any other.
    expect((await s.gql(PRODUCT, { p: 'P-\ud83d\ude00' }, ADMIN)).body).toEqual({ data: { product: null } });
  });

  it('refuses a cursor above the bigint range', async () => {
    const query = 'query($a: String) { products(businessUnit: "bak", after: $a) { nodes { entityId } } }';
    await refused(await s.gql(query, { a: encodeCursor('9999999999999999999') }, ADMIN), /^"after" is not a cursor this API returned: /);
    expect((await s.gql(query, { a: encodeCursor('9223372036854775807') }, ADMIN)).body).toEqual({ data: { products: { nodes: [] } } });
  });

  it('refuses 8,000 attributeEquals conditions (over 65,535 bind parameters), and more than 20', async () => {
    const conditions = (n: number) => Array.from({ length: n }, (_, i) => ({ attributeId: `Attr${i}`, value: 'v', locale: 'fr-CA' }));
    await refused(await s.gql(CONDITIONS, { c: conditions(8000) }, ADMIN), 'variable $c has 8000 elements; at most 1000 are allowed');
    await refused(await s.gql(CONDITIONS, { c: conditions(21) }, ADMIN), 'filter.attributeEquals has 21 conditions; at most 20 are allowed');
    expect((await s.gql(CONDITIONS, { c: conditions(20) }, ADMIN)).body).toEqual({ data: { products: { nodes: [] } } });
  });

  it('refuses values too long for an index entry (1 MB, and 500 characters of CJK), without echoing them', async () => {
    // Within the 1 MB body: 300,000 characters of 3 bytes each.
    await refused(await s.gql(COLUMN, { column: cjk(300_000) }, ADMIN), 'variable $column is 300000 characters long; at most 400 are allowed');
    await refused(await s.gql(COLUMN, { column: cjk(500) }, ADMIN), 'variable $column is 500 characters long; at most 400 are allowed');
    await refused(await s.gql(PRODUCT, { p: 'x'.repeat(1_000_000) }, ADMIN), 'variable $p is 1000000 characters long; at most 400 are allowed');
    // 400 characters fit, even two of them in one index entry (template and column name).
    const fits = await s.gql(COLUMN, { column: cjk(400) }, ADMIN);
    expect(fits.body.errors).toBeUndefined();
    // Free text may be longer, not endless.
    expect((await s.gql(COLUMN, { column: 'c', notes: cjk(10_000) }, ADMIN)).body.errors).toBeUndefined();
    await refused(await s.gql(COLUMN, { column: 'c', notes: cjk(10_001) }, ADMIN), 'variable $notes is 10001 characters long; at most 10000 are allowed');
    await refused(await s.gql(`{ products(businessUnit: "bak", filter: { productIds: ["${'P'.repeat(401)}"] }) { nodes { entityId } } }`, {}, ADMIN),
      'argument filter.productIds[0] of products is 401 characters long; at most 400 are allowed');
  });

  it('cuts any message that quotes a value (graphql-js echoes what it cannot coerce)', async () => {
    const r = await s.gql(`{ products(businessUnit: "bak", first: "${'9'.repeat(300_000)}") { nodes { entityId } } }`, {}, ADMIN);
    expect(r.status).toBe(400);
    expect(r.body.errors![0].message).toMatch(/^Int cannot represent non-integer value: "9{100}.*… \(cut: 300\d\d\d characters\)$/);
    expect(JSON.stringify(r.body).length).toBeLessThan(1500);
  });
});
