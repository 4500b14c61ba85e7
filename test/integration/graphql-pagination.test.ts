import { TempBucket, deleteLine, productLine } from '../support/bucket-factory';
import { errorCodes, GraphQLResponse, serveBucket, ServedBucket, startTestServer } from '../support/test-server';

const PAGE = `query($after: String, $first: Int) { products(businessUnit: "bak", first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { entityId productId } } }`;

interface ProductPage { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: { entityId: string; productId: string }[] }

const evens = (from: number, to: number) => Array.from({ length: (to - from) / 2 + 1 }, (_, i) => from + 2 * i);

describe('cursor pagination: stable while loads run, capped at 1000', () => {
  let served: ServedBucket;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  const page = async (after: string | null, first = 50): Promise<ProductPage> => {
    const r: GraphQLResponse = await s.gql(PAGE, { after, first });
    expect(r.body.errors).toBeUndefined();
    return r.body.data.products;
  };

  beforeAll(async () => {
    // 200 products with even EntityIds 2..400.
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', evens(2, 400).map((id) => productLine({ id })));
    served = await serveBucket(bucket);
    s = served.s;
    expect(served.loads).toEqual([expect.objectContaining({ status: 'done' })]);
  });
  afterAll(async () => {
    await served.close();
  });

  it('neither repeats nor skips a product when a load lands between two pages', async () => {
    const first = await page(null);
    expect(first.totalCount).toBe(200);
    expect(first.nodes.map((n) => Number(n.entityId))).toEqual(evens(2, 100));

    // Between pages: odd products appear on both sides of the cursor, a seen and an unseen
    // product change, and an unseen product is deleted.
    bucket.product('BAK', 'ecommerce_20260402000000_001.jsonl', [
      ...[1, 51, 99, 101, 151, 399].map((id) => productLine({ id })),
      productLine({ id: 50, productId: 'P50-renamed' }),
      productLine({ id: 300, productId: 'P300-renamed' }),
      deleteLine(150),
    ]);
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done' });

    const seen = first.nodes.map((n) => Number(n.entityId));
    let cursor = first.pageInfo.endCursor;
    let last: ProductPage = first;
    while (last.pageInfo.hasNextPage) {
      last = await page(cursor);
      expect(last.totalCount).toBe(205); // 200 + 6 new - 1 deleted, in every later page's snapshot
      seen.push(...last.nodes.map((n) => Number(n.entityId)));
      if (last.nodes.some((n) => n.entityId === '300')) expect(last.nodes.find((n) => n.entityId === '300')!.productId).toBe('P300-renamed');
      cursor = last.pageInfo.endCursor;
    }
    // Key order, nothing twice; every product that lived throughout is there exactly once; new
    // products after the cursor are found, those before it are not (the next sync finds them by
    // updatedSince); the product deleted before the cursor reached it is gone.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...evens(2, 148), ...evens(152, 400), 101, 151, 399].sort((a, b) => a - b));
  });

  it('keeps every page consistent while a load runs concurrently', async () => {
    bucket.product('BAK', 'ecommerce_20260403000000_001.jsonl',
      Array.from({ length: 400 }, (_, i) => productLine({ id: 10_000 + i, attrs: { Note: 'x'.repeat(200) }, items: [{ id: 50_000 + i }] })));
    const before = new Set<number>();
    for (let p = await page(null, 1000); ; p = await page(p.pageInfo.endCursor, 1000)) {
      p.nodes.forEach((n) => before.add(Number(n.entityId)));
      if (!p.pageInfo.hasNextPage) break;
    }
    const loading = s.load('bak');
    const seen: number[] = [];
    let cursor: string | null = null;
    for (;;) {
      const p = await page(cursor, 7);
      seen.push(...p.nodes.map((n) => Number(n.entityId)));
      cursor = p.pageInfo.endCursor;
      if (!p.pageInfo.hasNextPage) break;
    }
    await expect(loading).resolves.toMatchObject({ status: 'done' });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    // The load only adds products, so everything that was there before is seen.
    for (const id of before) expect(seen).toContain(id);
  });

  it('caps first at 1000 with a clear error, and rejects negative sizes and foreign cursors', async () => {
    const ok = await s.gql('{ products(businessUnit: "bak", first: 1000) { nodes { entityId } } }');
    expect(ok.body.errors).toBeUndefined();
    for (const query of [
      '{ products(businessUnit: "bak", first: 1001) { totalCount } }',
      '{ items(businessUnit: "bak", first: 1001) { totalCount } }',
      '{ channelNodes(businessUnit: "bak", first: 1001) { totalCount } }',
      '{ loadEvents(businessUnit: "bak", first: 1001) { totalCount } }',
    ]) {
      const r = await s.gql(query);
      expect({ query, codes: errorCodes(r) }).toEqual({ query, codes: ['BAD_USER_INPUT'] });
      expect(r.body.errors![0].message).toBe('"first" may be at most 1000, got 1001; page with "after" instead');
    }
    const negative = await s.gql('{ products(businessUnit: "bak", first: -1) { totalCount } }');
    expect(errorCodes(negative)).toEqual(['BAD_USER_INPUT']);
    // A cursor is opaque: an entity id passed as-is is not one.
    const raw = await s.gql('{ products(businessUnit: "bak", after: "100") { totalCount } }');
    expect(errorCodes(raw)).toEqual(['BAD_USER_INPUT']);
  });
});
