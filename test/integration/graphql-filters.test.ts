import { TempBucket, deleteLine, productLine } from '../support/bucket-factory';
import { errorCodes, GraphQLResponse, serveBucket, ServedBucket, startTestServer } from '../support/test-server';

const FIRST_FILE = 'ecommerce_20260401000000_001.jsonl';
const SECOND_FILE = 'ecommerce_20260402000000_001.jsonl';
const BULK = 2600; // more than the 2,000 rows a filtered page scans in key order before it uses the GIN index

describe('products and items filters over HTTP', () => {
  let served: ServedBucket;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();
  let between: string;

  const ids = async (filter: string, field: 'products' | 'items' = 'products', extra = '') => {
    const r: GraphQLResponse = await s.gql(`{ ${field}(businessUnit: "bak", filter: ${filter}${extra}) { totalCount nodes { entityId } } }`);
    expect(r.body.errors).toBeUndefined();
    const nodes: string[] = r.body.data[field].nodes.map((n: { entityId: string }) => n.entityId);
    expect(r.body.data[field].totalCount).toBe(nodes.length);
    return nodes;
  };

  beforeAll(async () => {
    bucket.product('BAK', FIRST_FILE, [
      productLine({
        id: 1,
        attrs: {
          ProductShortDescription: { en: 'Drill', fr: 'Perceuse' }, ProductMainSupplier: { key: 'S1', value: 'Supplier one' },
          ProductCountries: { keys: ['US', 'MX'], values: ['United States', 'Mexico'] }, ProductWeight: 2.5, ProductActive: true, ProductFamily: 'F1',
        },
        items: [{ id: 11, attrs: { ItemQuantityType: { key: 'EA', value: 'Each' } } }, { id: 12, attrs: { ItemQuantityType: { key: 'BX', value: 'Box' } } }],
      }),
      productLine({
        id: 2,
        attrs: {
          ProductShortDescription: { en: 'Saw', 'fr-CA': 'Scie' }, ProductMainSupplier: { key: 'S2', value: 'Supplier two' },
          ProductCountries: { keys: ['US'], values: ['United States'] }, ProductWeight: 2.50, ProductActive: false, ProductFamily: 'F2',
        },
        items: [{ id: 21, attrs: { ItemQuantityType: { key: 'EA', value: 'Each' } } }],
      }),
      productLine({ id: 3, attrs: { ProductShortDescription: { en: 'Perceuse' }, ProductWeight: 3, ProductFamily: '2.5' } }),
      productLine({ id: 4, attrs: { ProductMainSupplier: { key: 'S1', value: 'Supplier one' } } }),
      // Bulk products: every one is "common"; only 10_000 + 2400 and 10_000 + 2450 are "rare".
      ...Array.from({ length: BULK }, (_, i) => productLine({ id: 10_000 + i, attrs: { Tier: [2400, 2450].includes(i) ? 'rare' : 'common' } })),
    ]);
    served = await serveBucket(bucket);
    s = served.s;
    expect(served.loads).toEqual([expect.objectContaining({ status: 'done' })]);
    await new Promise((r) => setTimeout(r, 20));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    bucket.product('BAK', SECOND_FILE, [
      productLine({ id: 5, attrs: { ProductMainSupplier: { key: 'S1', value: 'Supplier one' } } }),
      deleteLine(4),
    ]);
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done' });
  });
  afterAll(async () => {
    await served.close();
  });

  it('matches LocaleString text the way attribute(id, locale) shows it', async () => {
    // fr-CA: product 1 has only "fr" (language fallback), product 3 only "en" (last fallback).
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductShortDescription", value: "Perceuse", locale: "fr-CA" }] }')).toEqual(['1', '3']);
    // Product 2 shows "Scie" in fr-CA, so its "en" text does not count there.
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductShortDescription", value: "Saw", locale: "fr-CA" }] }')).toEqual([]);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductShortDescription", value: "Saw", locale: "en" }] }')).toEqual(['2']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductShortDescription", value: "Perceuse" }] }')).toEqual([]);
    const shown = await s.gql('{ products(businessUnit: "bak", filter: { entityIds: ["1", "2", "3"] }) { nodes { t: attribute(id: "ProductShortDescription", locale: "fr-CA") } } }');
    expect(shown.body.data.products.nodes).toEqual([{ t: 'Perceuse' }, { t: 'Scie' }, { t: 'Perceuse' }]);
  });

  it('matches CVL keys (single and multi-select), numbers and booleans written as text', async () => {
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductMainSupplier", value: "S1" }] }')).toEqual(['1', '5']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductMainSupplier", value: "Supplier one" }] }')).toEqual([]);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductCountries", value: "MX" }] }')).toEqual(['1']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductCountries", value: "US" }] }')).toEqual(['1', '2']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductWeight", value: "2.5" }] }')).toEqual(['1', '2']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductFamily", value: "2.5" }] }')).toEqual(['3']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductActive", value: "false" }] }')).toEqual(['2']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ProductMainSupplier", value: "S1" }, { attributeId: "ProductActive", value: "true" }] }')).toEqual(['1']);
  });

  it('finds rare and common values alike, across the key-order window, page by page', async () => {
    const q = 'query($after: String) { products(businessUnit: "bak", first: 1, after: $after, filter: { attributeEquals: [{ attributeId: "Tier", value: "rare" }] }) { totalCount pageInfo { hasNextPage endCursor } nodes { entityId } } }';
    const p1 = (await s.gql(q)).body.data.products;
    expect(p1).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, nodes: [{ entityId: '12400' }] });
    const p2 = (await s.gql(q, { after: p1.pageInfo.endCursor })).body.data.products;
    expect(p2).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false }, nodes: [{ entityId: '12450' }] });
    const common = await s.gql('{ products(businessUnit: "bak", first: 3, filter: { attributeEquals: [{ attributeId: "Tier", value: "common" }] }) { totalCount nodes { entityId } } }');
    expect(common.body.data.products).toEqual({ totalCount: BULK - 2, nodes: [{ entityId: '10000' }, { entityId: '10001' }, { entityId: '10002' }] });
  });

  it('filters by file (URI or key), change time, product ids and deleted flag', async () => {
    const key = `BAK/PRODUCT/2026/04/${SECOND_FILE}`;
    const uri = `${new URL(`file://${bucket.root}/`).href}${key}`;
    expect(await ids(`{ sourceFile: "${key}" }`)).toEqual(['5']);
    expect(await ids(`{ sourceFile: "${uri}" }`)).toEqual(['5']);
    expect(await ids(`{ sourceFile: "${key}", includeDeleted: true }`)).toEqual(['4', '5']);
    expect(await ids(`{ updatedSince: "${between}" }`)).toEqual(['5']);
    expect(await ids(`{ updatedSince: "${between}", includeDeleted: true }`)).toEqual(['4', '5']);
    expect(await ids('{ productIds: ["P1", "P4", "P5"] }')).toEqual(['1', '5']);
    expect(await ids('{ entityIds: ["1", "4"], includeDeleted: true }')).toEqual(['1', '4']);
  });

  it('filters items by product, attributes and change time', async () => {
    expect(await ids('{ productEntityIds: ["1"] }', 'items')).toEqual(['11', '12']);
    expect(await ids('{ attributeEquals: [{ attributeId: "ItemQuantityType", value: "EA" }] }', 'items')).toEqual(['11', '21']);
    expect(await ids('{ productEntityIds: ["1"], attributeEquals: [{ attributeId: "ItemQuantityType", value: "EA" }] }', 'items')).toEqual(['11']);
    expect(await ids(`{ updatedSince: "${between}" }`, 'items')).toEqual([]);
  });

  it('rejects malformed filters with BAD_USER_INPUT', async () => {
    for (const filter of ['{ entityIds: ["x"] }', '{ channelNodeId: "n1" }', '{ attributeEquals: [{ attributeId: "", value: "a" }] }',
      '{ attributeEquals: [{ attributeId: "A", value: "a", locale: "" }] }']) {
      const r = await s.gql(`{ products(businessUnit: "bak", filter: ${filter}) { totalCount } }`);
      expect({ filter, codes: errorCodes(r) }).toEqual({ filter, codes: ['BAD_USER_INPUT'] });
    }
  });
});
