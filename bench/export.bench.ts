import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExportRunner } from '../src/export/job/export-runner';
import { LocalExportStore } from '../src/export/job/export-store';
import { ExportWorker } from '../src/export/job/export-worker';
import { createLogger } from '../src/logger';
import { ExportSettingsService } from '../src/services/export-settings.service';
import { ExportJobService } from '../src/services/export-job.service';
import { createBenchDatabase } from './bench-database';
import { seedCatalog } from './seed-catalog';
import { ITEMS_COPY_SQL, copyQueryToFile } from './bench-tools';

/**
 * The nightly export at scale, against the floor PostgreSQL itself sets: the default export of
 * PRODUCTS products (ITEMS_PER_PRODUCT items each, ITEM_ATTRIBUTES attributes per item), run
 * through the real job path (request, worker claim, one snapshot, cursors, CSV text, files),
 * then `COPY (SELECT …) TO STDOUT WITH CSV` of the same item rows in the same run:
 *   - items.csv (10 columns, 3 from the product) against COPY of the same 10 columns;
 *   - a wide file (bench-wide.csv: every ItemAttr column) against COPY of the same columns.
 * Peak memory is this process's (the export runs in it; PostgreSQL's own is not counted).
 *   npm run bench:export        (PRODUCTS=100000 ITEMS_PER_PRODUCT=3 ITEM_ATTRIBUTES=40 to change the size)
 */
const PRODUCTS = Number(process.env.PRODUCTS ?? 100_000);
const ITEMS_PER_PRODUCT = Number(process.env.ITEMS_PER_PRODUCT ?? 3);
const ITEM_ATTRIBUTES = Number(process.env.ITEM_ATTRIBUTES ?? 40);

const say = (m: string) => process.stdout.write(`${m}\n`);
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const attrCols = Array.from({ length: ITEM_ATTRIBUTES }, (_, a) => `ItemAttr${String(a + 1).padStart(4, '0')}`);

/**
 * The rows of items.csv and of the wide file as plain SQL, extracting attributes the way the export
 * does (one jsonb_to_record per entity and row), so the comparison isolates what Node adds:
 * cursor round trips, rendering each value, CSV quoting, hashing.
 */
const WIDE_COPY_SQL = `
  SELECT i.entity_id, ia."ItemWatscoItemNo", ${attrCols.map((c) => `ia."${c}"`).join(', ')}
  FROM item i JOIN product p ON p.entity_id = i.product_entity_id AND NOT p.deleted
    CROSS JOIN LATERAL jsonb_to_record(i.attributes) AS ia("ItemWatscoItemNo" text, ${attrCols.map((c) => `"${c}" text`).join(', ')})
  WHERE NOT i.deleted ORDER BY i.entity_id`;

async function main() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-export-'));
  const bench = await createBenchDatabase();
  const log = createLogger('warn');
  try {
    say(`seeding ${PRODUCTS} products × ${ITEMS_PER_PRODUCT} items × ${ITEM_ATTRIBUTES} item attributes …`);
    await seedCatalog(bench.db, bench.bu, { products: PRODUCTS, itemsPerProduct: ITEMS_PER_PRODUCT, itemAttributes: ITEM_ATTRIBUTES }, say);
    const [{ items }] = await bench.db.withBu(bench.bu, (m) => m.query(
      'SELECT count(*)::int AS items FROM item i JOIN product p ON p.entity_id = i.product_entity_id AND NOT p.deleted WHERE NOT i.deleted'));
    await new ExportSettingsService(bench.db).upsertTemplate(bench.bu, {
      name: 'bench-wide.csv', rowSource: 'ITEM', enabled: true,
      columns: [
        { columnName: 'item_id', sourceType: 'inriver_field', sourceValue: 'EntityId', required: true },
        { columnName: 'item_no', sourceType: 'inriver_field', sourceValue: 'ItemWatscoItemNo' },
        ...attrCols.map((c) => ({ columnName: c, sourceType: 'inriver_field', sourceValue: c })),
      ],
    });

    const store = new LocalExportStore(path.join(out, 'export'));
    const fileTimes = new Map<string, number>();
    let fileStarted = 0;
    const runner = new ExportRunner(bench.db, store, log, {
      afterSnapshot: async () => { fileStarted = performance.now(); },
      afterFile: async (_job, f) => {
        fileTimes.set(f.name, performance.now() - fileStarted);
        fileStarted = performance.now();
      },
    });
    const worker = new ExportWorker(bench.db, runner, [bench.bu], log);
    const jobs = new ExportJobService(bench.db, store, 3600);

    global.gc?.();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 20);
    const job = await jobs.request(bench.bu, { requestedBy: 'bench' });
    const started = performance.now();
    await worker.runNext(bench.bu);
    const exportMs = performance.now() - started;
    clearInterval(sampler);
    const done = (await jobs.get(bench.bu, job.id))!;
    if (done.status !== 'SUCCEEDED') throw new Error(`export failed: ${done.error}`);

    const itemsCopy = await copyQueryToFile(bench.url, bench.bu.schema, ITEMS_COPY_SQL, path.join(out, 'items-copy.csv'));
    const wideCopy = await copyQueryToFile(bench.url, bench.bu.schema, WIDE_COPY_SQL, path.join(out, 'wide-copy.csv'));

    say('');
    say(`catalogue: ${PRODUCTS} products, ${items} live items (${ITEM_ATTRIBUTES} attributes each), 570 categories`);
    say(`full default export + bench-wide.csv (${done.files.length} files, one snapshot): ${secs(exportMs)}`);
    say(`peak memory during the export: RSS ${mib(peakRss)} (${mib(baseline.rss)} before), heap ${mib(peakHeap)} (${mib(baseline.heapUsed)} before)`);
    say('');
    say('file                  rows        bytes       time');
    for (const f of done.files) {
      say(`${f.name.padEnd(21)} ${String(f.rows).padStart(9)} ${String(f.bytes).padStart(12)}  ${secs(fileTimes.get(f.name) ?? 0).padStart(9)}`);
    }
    const itemsFile = done.files.find((f) => f.name === 'items.csv')!;
    const wideFile = done.files.find((f) => f.name === 'bench-wide.csv')!;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
    say('');
    say(`items.csv      export ${secs(fileTimes.get('items.csv')!)} vs COPY ${secs(itemsCopy.ms)} (${itemsCopy.bytes} bytes; export ${itemsFile.bytes}): ${ratio(fileTimes.get('items.csv')!, itemsCopy.ms)}`);
    say(`bench-wide.csv export ${secs(fileTimes.get('bench-wide.csv')!)} vs COPY ${secs(wideCopy.ms)} (${wideCopy.bytes} bytes; export ${wideFile.bytes}): ${ratio(fileTimes.get('bench-wide.csv')!, wideCopy.ms)}`);
  } finally {
    await bench.close();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
