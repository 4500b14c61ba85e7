import { BuDataLoaders } from '../../src/dataloaders/bu-dataloaders';
import { ProductService } from '../../src/services/product.service';
import { productLine } from '../support/bucket-factory';
import { LoaderHarness, loaderHarness, productName } from '../support/loader-harness';

/**
 * src/db/queryable.ts queryPrepared: the API's hot reads run as prepared statements on the BU's
 * read pool. Two BUs prepare the same statement text under the same name, each on its own
 * connections: a product read alternately in both always comes from its own BU.
 */
describe('prepared product reads', () => {
  let h: LoaderHarness;
  let products: ProductService;
  beforeAll(async () => {
    h = await loaderHarness({ codes: ['bak', 'gem'], poolSize: 2 });
    for (const [folder, origin] of [['BAK', 'bak'], ['GEM', 'gem']]) {
      h.product(productName('20260414000000000'), [
        productLine({ id: 1, attrs: { Origin: origin }, items: [{ id: 11, attrs: { Origin: origin } }] }),
      ], { folder });
    }
    await expect(h.pass('bak')).resolves.toMatchObject({ status: 'done' });
    await expect(h.pass('gem')).resolves.toMatchObject({ status: 'done' });
    products = new ProductService(h.t.db);
  });
  afterAll(() => h.close());

  const read = async (code: string) => {
    const found = await products.getProduct(h.bu(code), { entityId: '1' }, false, { liveItems: true, channelNodes: true });
    return { product: found!.product.attributes.Origin, item: found!.liveItems!.map((i) => i.attributes.Origin) };
  };

  it('alternating between two BUs, each read returns its own BU\'s product and items', async () => {
    for (let i = 0; i < 8; i++) {
      expect(await read('bak')).toEqual({ product: 'bak', item: ['bak'] });
      expect(await read('gem')).toEqual({ product: 'gem', item: ['gem'] });
    }
    // Concurrently too, more reads than each read pool has connections.
    const both = await Promise.all(Array.from({ length: 12 }, (_, i) => read(i % 2 ? 'gem' : 'bak')));
    both.forEach((r, i) => expect(r.product).toBe(i % 2 ? 'gem' : 'bak'));
  });

  it('is prepared on the read pool\'s connection', async () => {
    for (let i = 0; i < 3; i++) await read('bak');
    // Sequential reads reuse the pool's most recently released connection: the one asked here.
    const prepared = await h.t.db.withBu(h.bu('bak'), (m) => m.query(
      `SELECT name FROM pg_prepared_statements WHERE name LIKE 'pim\\_%' AND statement LIKE '%FROM product p%'`),
    { readOnly: true });
    expect(prepared.length).toBeGreaterThanOrEqual(1);
    expect(prepared[0].name).toMatch(/^pim_[0-9a-f]{24}$/);
  });

  it('the DataLoaders\' batch of children is prepared too, and each BU\'s batch reads its own items', async () => {
    // A fresh set per read, as per request: nothing cached between them.
    const items = async (code: string) => (await new BuDataLoaders(h.t.db, h.bu(code)).liveItemsByProduct.load('1')).map((i) => i.attributes.Origin);
    for (let i = 0; i < 4; i++) {
      expect(await items('bak')).toEqual(['bak']);
      expect(await items('gem')).toEqual(['gem']);
    }
    const both = await Promise.all(Array.from({ length: 12 }, (_, i) => items(i % 2 ? 'gem' : 'bak')));
    both.forEach((r, i) => expect(r).toEqual([i % 2 ? 'gem' : 'bak']));
    const prepared = await h.t.db.withBu(h.bu('gem'), (m) => m.query(
      `SELECT name FROM pg_prepared_statements WHERE name LIKE 'pim\\_%' AND statement LIKE '%FROM unnest($1::bigint[])%'`),
    { readOnly: true });
    expect(prepared.length).toBeGreaterThanOrEqual(1);
  });
});
