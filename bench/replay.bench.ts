import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config';
import { BusinessUnitLoader } from '../src/loaders/business-unit-loader';
import { LocalSource } from '../src/loaders/source/local-source';
import { createLogger } from '../src/logger';
import { ReplayService } from '../src/services/replay.service';
import { createBenchDatabase } from './bench-database';

/**
 * Replay of the last file vs a full reload (issue: replay cost proportional to what changed).
 * 50 product files of 400 products (3 items, 40 attributes each) = a 20,000-product state.
 * The baseline is the full load of the 50 files, measured in the same run.
 *   npm run bench:replay            (FILES=50 PER_FILE=400 to change the size)
 */
const FILES = Number(process.env.FILES ?? 50);
const PER_FILE = Number(process.env.PER_FILE ?? 400);

function productLine(id: number, version: string) {
  const attrs = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, a) => [`${prefix}${a}`, a % 4 ? `${version} value ${a} of ${id}` : { key: `K${a}`, value: `V${a}` }]));
  return JSON.stringify({
    EntityId: id, EntityTypeId: 'Product', FieldSetId: null,
    Attributes: { ProductId: `P${id}`, ProductShortDescription: { en: `Product ${id} ${version}` } },
    Items: [0, 1, 2].map((k) => ({ EntityId: id * 10 + k, EntityTypeId: 'Item', FieldSetId: null, Attributes: attrs('ItemAttr', 40), Resources: [], InboundLinks: [], OutboundLinks: [] })),
    Resources: [{ EntityId: 5_000_000 + id, EntityTypeId: 'Resource', Attributes: { ResourceFilename: `${id}.jpg` } }],
    InboundLinks: [{ LinkTypeId: 'ChannelNodeProduct', SourceEntityTypeId: 'ChannelNode', SourceEntityId: 100 + (id % 20) }],
    OutboundLinks: [],
  });
}

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-replay-'));
  const dir = path.join(root, 'BAK', 'PRODUCT', '2026', '04');
  fs.mkdirSync(dir, { recursive: true });
  for (let f = 0; f < FILES; f++) {
    const lines = Array.from({ length: PER_FILE }, (_, i) => productLine(f * PER_FILE + i + 1, 'v1'));
    const stamp = `202604${String(1 + Math.floor(f / 24)).padStart(2, '0')}${String(f % 24).padStart(2, '0')}0000`;
    fs.writeFileSync(path.join(dir, `ecommerce_${stamp}_001.jsonl`), `${lines.join('\n')}\n`);
  }
  const bench = await createBenchDatabase();
  const log = createLogger('warn');
  try {
    const source = new LocalSource(root);
    const loader = new BusinessUnitLoader(bench.db, source, { loader: loadConfig({}).loader }, log);
    let t = process.hrtime.bigint();
    const full = await loader.loadOnce(bench.bu);
    const fullMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (full.status !== 'done' || full.applied !== FILES) throw new Error(`full load: ${JSON.stringify(full)}`);

    const [last] = await bench.db.withBu(bench.bu, (m) => m.query(
      `SELECT start_event_id FROM load_event WHERE event_type = 'file_complete' AND replay_date IS NULL ORDER BY id DESC LIMIT 1`));
    t = process.hrtime.bigint();
    const replay = await new ReplayService(bench.db, source, log, null).replay(bench.bu, String(last.start_event_id), 'benchmark', false);
    const restoreMs = Number(process.hrtime.bigint() - t) / 1e6;
    const again = await loader.loadOnce(bench.bu);
    const replayMs = Number(process.hrtime.bigint() - t) / 1e6;
    if (again.applied !== 1) throw new Error(`replay reload: ${JSON.stringify(again)}`);

    const products = FILES * PER_FILE;
    const rows = [
      ['full load of all files (baseline)', `${FILES} files, ${products} products`, `${(fullMs / 1000).toFixed(2)} s`, '1.000'],
      ['replay of the last file (restore + re-apply)', `${replay.markedEvents} events, ${JSON.stringify(replay.restored)}`, `${(replayMs / 1000).toFixed(2)} s`, (replayMs / fullMs).toFixed(3)],
      ['  of which: restore from history + mark', '', `${(restoreMs / 1000).toFixed(2)} s`, (restoreMs / fullMs).toFixed(3)],
    ];
    process.stdout.write(`\nreplay benchmark (${os.cpus().length} cores, node ${process.version})\n`);
    for (const r of rows) process.stdout.write(`${r[0].padEnd(46)} ${r[1].padEnd(48)} ${r[2].padStart(9)}  ratio ${r[3]}\n`);
  } finally {
    await bench.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
