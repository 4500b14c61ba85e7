import { IndexCleaner } from '../../src/loaders/apply/index-cleaner';
import { productLine } from '../support/bucket-factory';
import { LoaderHarness, loaderHarness, productName } from '../support/loader-harness';
import { capturingLogger, silentLogger } from '../support/silent-logger';

/** src/loaders/apply/index-cleaner.ts: the attribute indexes' pending lists merged from a second connection. */

const attrs = (id: number) => Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`ItemAttr${k}`, `value ${k} of ${id}`]));
const products = (from: number, count: number) => Array.from({ length: count }, (_, i) => productLine({
  id: from + i, items: [{ id: (from + i) * 10, attrs: attrs(from + i) }, { id: (from + i) * 10 + 1, attrs: attrs(from + i + 1) }],
}));

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('the attribute index cleaner', () => {
  let h: LoaderHarness;
  afterEach(() => h.close());

  it('merges the pending entries of the service role\'s inserts, as that role, until nothing is left to merge', async () => {
    h = await loaderHarness();
    // Autovacuum merges pending lists too: kept off the table so what is merged here is the cleaner's doing.
    await h.ownerQ('ALTER TABLE item SET (autovacuum_enabled = false); ALTER TABLE product SET (autovacuum_enabled = false)');
    h.product(productName('20260401000000000'), products(1, 300));
    await expect(h.pass()).resolves.toMatchObject({ status: 'done', applied: 1 });
    // What the load left pending (its own cleaner may have merged part of it; the limit of 64 MB keeps the rest pending).
    await h.q(`UPDATE item SET attributes = attributes || '{"ItemAttrX": "again"}'::jsonb`);

    const cleaner = IndexCleaner.start(h.t.db, h.bu(), 10, silentLogger())!;
    await until(() => cleaner.pages > 0, 10_000);
    await cleaner.stop();
    expect(cleaner.pages).toBeGreaterThan(0);
    const [left] = await h.ownerQ(`SELECT gin_clean_pending_list('item_attributes_idx') AS pages`);
    expect(Number(left.pages)).toBe(0);
    // Still found through the index's tree.
    const [found] = await h.q(`SELECT count(*)::int AS n FROM item WHERE attributes @> '{"ItemAttrX": "again"}'`);
    expect(found.n).toBe(600);
  });

  it('is off at an interval of 0', () => {
    expect(IndexCleaner.start(null as never, null as never, 0, silentLogger())).toBeNull();
  });

  it('failing leaves the load alone: one warning, and the file applies whole', async () => {
    const capture = capturingLogger('warn');
    h = await loaderHarness({ log: capture.log, limits: { indexCleanIntervalMs: 1 } });
    await h.ownerQ('DROP FUNCTION clean_attribute_index_pending_lists()');
    h.product(productName('20260401000000000'), products(1, 1500));
    await expect(h.pass()).resolves.toMatchObject({ status: 'done', applied: 1 });
    const [counts] = await h.q('SELECT (SELECT count(*) FROM product)::int AS products, (SELECT count(*) FROM item)::int AS items');
    expect(counts).toEqual({ products: 1500, items: 3000 });
    const warnings = capture.lines.filter((l) => String(l.msg).includes('pending lists failed'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0])).toMatch(/clean_attribute_index_pending_lists/);
  });
});
