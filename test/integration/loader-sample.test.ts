import path from 'node:path';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';
import { LocalSource } from '../../src/loaders/source/local-source';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { silentLogger } from '../support/silent-logger';
import { loaderLimits } from '../support/loader-limits';

describe('loading the sample bucket (samples/README.md states the end state)', () => {
  let t: TestDatabase;
  const source = new LocalSource(path.join(PROJECT_ROOT, 'samples', 'bucket'));

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    const loader = new BusinessUnitLoader(t.db, source, { loader: loaderLimits() }, silentLogger());
    const result = await loader.loadOnce(t.bu('bak'));
    expect(result).toEqual({ status: 'done', applied: 4 });
  });
  afterAll(() => t.close());

  const q = (sql: string) => t.db.withBu(t.bu('bak'), (m) => m.query(sql));

  it('counts every line once on every file_complete: processed = inserted + updated + unchanged + deleted + quarantined', async () => {
    const events = await q(`SELECT source_key, metadata->>'lines' AS lines, records_processed AS p, records_inserted AS i, records_updated AS u,
      records_unchanged AS n, records_deleted AS d, records_quarantined AS x FROM load_event WHERE event_type = 'file_complete' ORDER BY id`);
    for (const e of events) expect([e.source_key, e.p]).toEqual([e.source_key, e.i + e.u + e.n + e.d + e.x]);
    // The AttributeFile's 24 definitions are its lines (it used to report 0 processed).
    expect(events[0]).toMatchObject({ source_key: 'SHARED/AttributeFile.json', p: 24, i: 24 });
  });

  it('applies the four files in order: attributes, channel, then products by timestamp', async () => {
    const events = await q(`SELECT event_type, source_key FROM load_event WHERE event_type = 'file_complete' ORDER BY id`);
    expect(events.map((e: { source_key: string }) => e.source_key)).toEqual([
      'SHARED/AttributeFile.json',
      'BAK/CHANNEL/ChannelStructure_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl',
    ]);
    const starts = await q(`SELECT count(*)::int AS n FROM load_event WHERE event_type = 'file_start'`);
    expect(starts[0].n).toBe(4);
  });

  it('ends with products 19456, 19457, 19460 live and 19458 deleted with its item', async () => {
    const products = await q('SELECT entity_id, deleted, product_id FROM product ORDER BY entity_id');
    expect(products.map((p: { entity_id: string; deleted: boolean }) => [p.entity_id, p.deleted])).toEqual([
      ['19456', false], ['19457', false], ['19458', true], ['19460', false],
    ]);
    const items = await q('SELECT entity_id, deleted, product_entity_id, attributes FROM item ORDER BY entity_id');
    const live = items.filter((i: { deleted: boolean }) => !i.deleted).map((i: { entity_id: string }) => i.entity_id);
    expect(live).toEqual(['3424', '3430', '3450']);
    const deleted = items.filter((i: { deleted: boolean }) => i.deleted).map((i: { entity_id: string }) => i.entity_id);
    expect(deleted).toEqual(['3425', '3440']);
    const item3424 = items.find((i: { entity_id: string }) => i.entity_id === '3424');
    expect(item3424.attributes.ItemItemImperialWeightinPounds).toBe(0.9);
  });

  it('takes category membership from the product lines', async () => {
    const rows = await q(`SELECT m.channel_node_id, array_agg(m.product_entity_id ORDER BY m.product_entity_id) AS products
      FROM channel_node_product m JOIN product p ON p.entity_id = m.product_entity_id AND NOT p.deleted
      GROUP BY m.channel_node_id ORDER BY m.channel_node_id`);
    expect(rows.map((r: { channel_node_id: string; products: string[] }) => [r.channel_node_id, r.products])).toEqual([
      ['50714', ['19456', '19457']],
      ['50715', ['19460']],
    ]);
  });

  it('quarantines the truncated line and reports the membership disagreement', async () => {
    const lines = await q('SELECT source_file, line_number, reason FROM quarantined_line');
    expect(lines).toHaveLength(1);
    expect(lines[0].line_number).toBe(3);
    expect(lines[0].source_file).toMatch(/ecommerce_20260415122159450_001\.jsonl$/);
    expect(lines[0].reason).toMatch(/not valid JSON/);
    const [last] = await q(`SELECT * FROM load_event WHERE event_type = 'file_complete' ORDER BY id DESC LIMIT 1`);
    expect(last).toMatchObject({
      records_processed: 4, records_inserted: 1, records_updated: 1, records_deleted: 1, records_quarantined: 1,
    });
    expect(last.metadata.membershipDisagreements).toBe(1);
    expect(last.metadata.items).toMatchObject({ inserted: 1, updated: 1, removed: 1, deleted: 1 });
  });

  it('records on every entity the file and event that last changed it', async () => {
    const [p] = await q(`SELECT p.source_file, p.event_id, e.source_key, e.event_type FROM product p
      JOIN load_event e ON e.id = p.event_id WHERE p.entity_id = 19457`);
    expect(p.event_type).toBe('file_complete');
    expect(p.source_key).toBe('BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl');
    expect(p.source_file).toMatch(/^file:\/\/.*ecommerce_629037_20260413221143_001\.jsonl$/);
  });

  it('applies nothing on a second pass: everything is already loaded', async () => {
    const loader = new BusinessUnitLoader(t.db, source, { loader: loaderLimits() }, silentLogger());
    await expect(loader.loadOnce(t.bu('bak'))).resolves.toEqual({ status: 'done', applied: 0 });
  });
});
