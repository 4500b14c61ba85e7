import 'reflect-metadata';
import { ProductQuery } from '../src/repositories/product.repository';
import { ProductService } from '../src/services/product.service';
import { createBenchDatabase } from './bench-database';
import { NODE_BASE, SEED_SOURCE_KEY, seedCatalog } from './seed-catalog';
import { captureSql, dataStatements } from './sql-capture';

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the exact SQL that `products(filter: …)` runs, over a generated
 * catalog (default 100,000 products) in a scratch database that is dropped at the end.
 *   npm run bench:explain -- [--products 100000]
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

const SCENARIOS: { name: string; filter: ProductQuery }[] = [
  { name: 'attributeEquals CVL key (ProductMainSupplier = SUP-0042, ~0.5%)', filter: { attributeEquals: [{ attributeId: 'ProductMainSupplier', value: 'SUP-0042' }] } },
  { name: 'attributeEquals LocaleString fr-CA (one product)', filter: { attributeEquals: [{ attributeId: 'ProductShortDescription', value: 'Produit 4242', locale: 'fr-CA' }] } },
  {
    name: 'attributeEquals two conditions (supplier AND family)',
    filter: { attributeEquals: [{ attributeId: 'ProductMainSupplier', value: 'SUP-0042' }, { attributeId: 'ProductProductFamily', value: 'FAM0042' }] },
  },
  { name: 'attributeEquals multi-CVL key (ProductCountries has MX, 50%)', filter: { attributeEquals: [{ attributeId: 'ProductCountries', value: 'MX' }] } },
  { name: 'attributeEquals Boolean (ProductActiveInEcommerce = true, 90%)', filter: { attributeEquals: [{ attributeId: 'ProductActiveInEcommerce', value: 'true' }] } },
  { name: 'channelNodeId', filter: { channelNodeId: String(NODE_BASE + 100) } },
  { name: 'sourceFile given as the key', filter: { sourceFile: SEED_SOURCE_KEY, productIds: ['P4242'] } },
];

async function main(): Promise<void> {
  const products = arg('products', 100_000);
  const bench = await createBenchDatabase();
  try {
    await seedCatalog(bench.db, bench.bu, { products, itemsPerProduct: 2, itemAttributes: 30 }, (m) => console.log(m));
    const service = new ProductService(bench.db);
    for (const scenario of SCENARIOS) {
      const { result, statements } = await captureSql(() => service.listProducts(bench.bu, scenario.filter, 100, null));
      console.log(`\n=== ${scenario.name}: ${result.nodes.length} on the page, totalCount ${result.totalCount}`);
      for (const st of dataStatements(statements)) {
        const plan: { 'QUERY PLAN': string }[] = await bench.db.withBu(bench.bu,
          (m) => m.query(`EXPLAIN (ANALYZE, BUFFERS) ${st.text}`, st.values), { readOnly: true });
        console.log(`--- ${st.text.replace(/\s+/g, ' ').slice(0, 400)}`);
        console.log(`    params: ${JSON.stringify(st.values).slice(0, 300)}`);
        console.log(plan.map((p) => `    ${p['QUERY PLAN']}`).join('\n'));
      }
    }
  } finally {
    await bench.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
