import 'reflect-metadata';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'pg';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { ExportRunner } from '../src/export/job/export-runner';
import { LocalExportStore } from '../src/export/job/export-store';
import { ExportWorker } from '../src/export/job/export-worker';
import { BusinessUnitLoader } from '../src/loaders/business-unit-loader';
import { LocalSource } from '../src/loaders/source/local-source';
import { createLogger } from '../src/logger';
import { ExportJobService } from '../src/services/export-job.service';
import { ParityRunService } from '../src/services/parity-run.service';
import { encodeCursor } from '../src/services/pagination';
import { ReplayService } from '../src/services/replay.service';
import { PROJECT_ROOT, createBenchDatabase } from './bench-database';
import { ITEMS_COPY_SQL, copyJsonLines, copyQueryToFile, compareLoad, exportCopyBaseline, percentile, rssSampler, timed } from './bench-tools';
import { generateBucket } from './generate';

/**
 * `npm run bench`: every figure of issue 6 with a baseline measured in the same run, on a bucket
 * made by the generator (PRODUCTS=100000 DELTAS=10 DELTA_SIZE=1000 to change the size). Prints a
 * table and writes bench/results.json. Not part of the tests.
 */
const PRODUCTS = Number(process.env.PRODUCTS ?? 100_000);
const DELTAS = Number(process.env.DELTAS ?? 10);
const DELTA_SIZE = Number(process.env.DELTA_SIZE ?? 1000);
const CLIENTS = 8;
// GraphQL and its baseline take turns this many times: drift of the machine hits both alike.
const LOAD_ROUNDS = 4;
const say = (m: string) => process.stdout.write(`${m}\n`);
const mib = (b: number) => b / 1024 / 1024;

interface Row { measure: string; value: string; baseline: string; ratio: number | null; target: string }

/** A copy of a CSV file with CRLF line ends and every `every`-th data row's last cell changed, streamed; returns the cells changed. */
async function writeLegacyCopy(from: string, to: string, every: number): Promise<number> {
  const out = fs.createWriteStream(to);
  let n = 0;
  let changed = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(from), crlfDelay: Infinity })) {
    const change = n > 0 && n % every === 0;
    if (change) changed++;
    if (!out.write(`${line}${change ? 'x' : ''}\r\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    n++;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return changed;
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-'));
  const generated = path.join(work, 'generated');
  const bucket = path.join(work, 'bucket');
  const rows: Row[] = [];
  const results: Record<string, unknown> = { machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, products: PRODUCTS };
  const log = createLogger('warn');

  say(`generating ${PRODUCTS} products + ${DELTAS} deltas of ${DELTA_SIZE} …`);
  const { files } = await generateBucket({ products: PRODUCTS, deltas: DELTAS, deltaSize: DELTA_SIZE, itemAttributes: 1000, filledAttributes: 50, seed: 1, out: generated, bu: 'BAK' });
  const [fullFile, ...deltaFiles] = files;
  const fullBytes = fs.statSync(fullFile).size;
  // The loader sees the files one stage at a time: first the full snapshot, then each delta.
  fs.cpSync(path.join(generated, 'SHARED'), path.join(bucket, 'SHARED'), { recursive: true });
  fs.cpSync(path.join(generated, 'BAK', 'CHANNEL'), path.join(bucket, 'BAK', 'CHANNEL'), { recursive: true });
  const stage = (file: string) => {
    const target = path.join(bucket, path.relative(generated, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  };

  const bench = await createBenchDatabase();
  try {
    say('COPY baseline of the full file …');
    const copyMs = await copyJsonLines(bench.url, fullFile);

    say('full load …');
    stage(fullFile);
    const source = new LocalSource(bucket);
    const loader = new BusinessUnitLoader(bench.db, source, { loader: loadConfig({}).loader }, log);
    global.gc?.();
    const loadRss = rssSampler();
    const full = await timed(() => loader.loadOnce(bench.bu));
    const loadPeak = loadRss.stop();
    if (full.value.status !== 'done') throw new Error(`full load: ${JSON.stringify(full.value)}`);
    const fileMs = async (key: string): Promise<number> => {
      const [e] = await bench.db.withBu(bench.bu, (m) => m.query(
        `SELECT (metadata->>'durationMs')::int AS ms FROM load_event WHERE event_type = 'file_complete' AND source_key = $1 AND replay_date IS NULL ORDER BY id DESC LIMIT 1`, [key]));
      return e.ms;
    };
    const fullMs = await fileMs(path.relative(generated, fullFile));
    rows.push({ measure: `full load of a ${PRODUCTS}-product file (${(fullBytes / 1e6).toFixed(0)} MB)`, value: `${(fullMs / 1000).toFixed(1)} s, ${(PRODUCTS / (fullMs / 1000)).toFixed(0)} products/s, ${(fullBytes / 1e6 / (fullMs / 1000)).toFixed(1)} MB/s`, baseline: `COPY into a jsonb column: ${(copyMs / 1000).toFixed(1)} s`, ratio: fullMs / copyMs, target: '≤ 3x' });

    // Deltas arrive hours after a full load in practice, when autovacuum has long analyzed the
    // new rows; do that now so the deltas are not measured against a vacuum running beside them.
    await bench.db.query(`VACUUM (ANALYZE) ${bench.bu.schema}.product, ${bench.bu.schema}.item, ${bench.bu.schema}.entity_history, `
      + `${bench.bu.schema}.resource, ${bench.bu.schema}.entity_link, ${bench.bu.schema}.channel_node_product`);
    say('deltas …');
    const deltaMs: number[] = [];
    for (const f of deltaFiles) {
      stage(f);
      const r = await loader.loadOnce(bench.bu);
      if (r.status !== 'done') throw new Error(`delta: ${JSON.stringify(r)}`);
      deltaMs.push(await fileMs(path.relative(generated, f)));
    }
    const sortedDeltas = [...deltaMs].sort((a, b) => a - b);
    rows.push({ measure: `${DELTA_SIZE}-product delta over the state (${DELTAS} files)`, value: `p50 ${(percentile(sortedDeltas, 50) / 1000).toFixed(2)} s, p95 ${(percentile(sortedDeltas, 95) / 1000).toFixed(2)} s`, baseline: '', ratio: null, target: 'p95 ≤ 1 s' });

    say('replay of the last file …');
    const [last] = await bench.db.withBu(bench.bu, (m) => m.query(`SELECT start_event_id FROM load_event WHERE event_type = 'file_complete' AND replay_date IS NULL ORDER BY id DESC LIMIT 1`));
    const replay = await timed(async () => {
      await new ReplayService(bench.db, source, log, null).replay(bench.bu, String(last.start_event_id), 'benchmark', false);
      return loader.loadOnce(bench.bu);
    });
    const reloadMs = fullMs + deltaMs.reduce((a, b) => a + b, 0);
    rows.push({ measure: 'replay of the last file (restore + re-apply)', value: `${(replay.ms / 1000).toFixed(2)} s`, baseline: `full reload of all files: ${(reloadMs / 1000).toFixed(1)} s`, ratio: replay.ms / reloadMs, target: '≤ 3%' });

    say('export …');
    const exportDir = path.join(work, 'export');
    const store = new LocalExportStore(exportDir);
    const fileTimes = new Map<string, number>();
    let fileStarted = 0;
    const runner = new ExportRunner(bench.db, store, log, {
      afterSnapshot: async () => { fileStarted = performance.now(); },
      afterFile: async (_job, f) => { fileTimes.set(f.name, performance.now() - fileStarted); fileStarted = performance.now(); },
    });
    const jobs = new ExportJobService(bench.db, store, 3600);
    const job = await jobs.request(bench.bu, { requestedBy: 'bench' });
    global.gc?.();
    const exportRss = rssSampler();
    const exp = await timed(() => new ExportWorker(bench.db, runner, [bench.bu], log).runNext(bench.bu));
    const exportPeak = exportRss.stop();
    const done = (await jobs.get(bench.bu, job.id))!;
    if (done.status !== 'SUCCEEDED') throw new Error(`export: ${done.error}`);
    const exportRows = done.files.reduce((n, f) => n + f.rows, 0);
    const itemsCopy = await copyQueryToFile(bench.url, bench.bu.schema, ITEMS_COPY_SQL, path.join(work, 'items-copy.csv'));
    const itemsMs = fileTimes.get('items.csv') ?? NaN;
    const fileCopyMs = await exportCopyBaseline(bench.url, bench.db, bench.bu, work);
    const allCopyMs = [...fileCopyMs.values()].reduce((a, b) => a + b, 0);
    for (const f of done.files) say(`  ${f.name.padEnd(22)} ${String(f.rows).padStart(9)} rows  ${((fileTimes.get(f.name) ?? NaN) / 1000).toFixed(2).padStart(6)} s  (COPY of its query ${((fileCopyMs.get(f.name) ?? NaN) / 1000).toFixed(2)} s)`);
    rows.push({ measure: `full export, all default files (${done.files.length} files, ${exportRows} rows)`, value: `${(exp.ms / 1000).toFixed(1)} s, ${(exportRows / (exp.ms / 1000)).toFixed(0)} rows/s`, baseline: `COPY … TO STDOUT WITH CSV of each file's query: ${(allCopyMs / 1000).toFixed(1)} s`, ratio: exp.ms / allCopyMs, target: '≤ 2x' });
    // One file alone, against COPY of hand-written SQL: narrow rows, where the per-row costs in Node weigh most.
    rows.push({ measure: 'items.csv alone (10 narrow columns)', value: `${(itemsMs / 1000).toFixed(2)} s`, baseline: `COPY … TO STDOUT WITH CSV: ${(itemsCopy.ms / 1000).toFixed(2)} s`, ratio: itemsMs / itemsCopy.ms, target: '(in the export)' });
    // Parity: items.csv against a "legacy" copy of it of the same size (CRLF, every 1,000th row's last cell changed).
    say('parity compare of items.csv …');
    const itemsFile = fileURLToPath(done.files.find((f) => f.name === 'items.csv')!.uri);
    const legacyItems = path.join(work, 'legacy-items.csv');
    const changed = await writeLegacyCopy(itemsFile, legacyItems, 1000);
    global.gc?.();
    const parityRss = rssSampler();
    const parity = await timed(() => new ParityRunService(bench.db, () => { throw new Error('no S3 in the bench'); }, log).run(bench.bu, {
      legacy: legacyItems, export: { kind: 'FILE', uri: itemsFile }, requestedBy: 'bench',
      options: { key: ['item_id'], normalize: {}, ignore: [], maxExamples: 5, legacyDialect: {}, exportDialect: {} },
    }));
    const parityPeak = parityRss.stop();
    const paritySummary = parity.value.summary!;
    if (paritySummary.differentCells !== changed) throw new Error(`parity: ${paritySummary.differentCells} differing cells found, ${changed} made`);
    results.parity = { ms: parity.ms, itemsExportMs: itemsMs, peakRssMiB: mib(parityPeak), rows: paritySummary.legacy.rows, differentCells: changed };
    rows.push({ measure: `parity compare, items.csv vs a legacy copy (${paritySummary.legacy.rows} rows)`, value: `${(parity.ms / 1000).toFixed(2)} s, peak RSS ${mib(parityPeak).toFixed(0)} MiB`, baseline: `exporting items.csv: ${(itemsMs / 1000).toFixed(2)} s`, ratio: parity.ms / itemsMs, target: '≤ 2x, < 512 MiB' });
    rows.push({ measure: 'peak RSS during load / export', value: `${mib(loadPeak).toFixed(0)} MiB / ${mib(exportPeak).toFixed(0)} MiB`, baseline: '', ratio: null, target: '< 512 MiB' });

    say('GraphQL …');
    const config = loadConfig({
      DATABASE_URL: bench.url, SOURCE_URL: pathToFileURL(bucket).href, EXPORT_URL: pathToFileURL(exportDir).href, BUSINESS_UNITS: 'bak',
      PORT: '0', HOST: '127.0.0.1', LOAD_POLL_INTERVAL_MS: '0', EXPORT_POLL_INTERVAL_MS: '0', LOG_LEVEL: 'silent', PIM_PROJECT_ROOT: PROJECT_ROOT,
      // One address plays every client at full speed: the per-key limits (bench:abuse measures them) would throttle it.
      GRAPHQL_MAX_IN_FLIGHT_PER_KEY: String(CLIENTS), GRAPHQL_COST_PER_KEY_PER_SECOND: '1000000000',
    });
    const app = await startApp(config, createLogger('silent'), { poll: false });
    const pool = new Pool({ connectionString: bench.url, max: CLIENTS });
    const baseline = await startBaselineServer(pool);
    try {
      const ids: string[] = (await bench.db.withBu(bench.bu, (m) => m.query('SELECT entity_id FROM product WHERE NOT deleted ORDER BY entity_id'))).map((r: { entity_id: string }) => String(r.entity_id));
      const randomId = () => ids[Math.floor(Math.random() * ids.length)];
      const randomAfter = () => ids[Math.floor(Math.random() * (ids.length - 200))];
      const gql = (query: string, variables: Record<string, unknown>, check: (d: any) => boolean) => async () => { // eslint-disable-line @typescript-eslint/no-explicit-any
        const res = await fetch(app.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
        const body = await res.json() as { data?: unknown; errors?: unknown };
        return res.ok && !body.errors && check(body.data);
      };
      const plain = (url: () => string, check: (d: any) => boolean) => async () => { // eslint-disable-line @typescript-eslint/no-explicit-any
        const res = await fetch(url());
        return res.ok && check(await res.json());
      };
      const FIELDS = 'entityId productId attributes items { entityId sortOrder attributes } channelNodes { entityId name }';
      const { a: one, b: oneBase } = await compareLoad(
        () => gql(`query One($id: ID!) { product(businessUnit: "bak", entityId: $id) { ${FIELDS} } }`, { id: randomId() }, (d) => !!d.product)(),
        () => plain(() => `${baseline.url}/product?id=${randomId()}`, (d) => !!d.entityId)(),
        CLIENTS, { rounds: LOAD_ROUNDS, requestsPerRound: 2000, secondsPerRound: 60 });
      const { a: page, b: pageBase } = await compareLoad(
        () => gql(`query Page($after: String) { products(businessUnit: "bak", first: 100, after: $after) { nodes { ${FIELDS} } } }`,
          { after: encodeCursor(randomAfter()) }, (d) => d.products.nodes.length === 100)(),
        () => plain(() => `${baseline.url}/products?after=${randomAfter()}`, (d) => d.length === 100)(),
        CLIENTS, { rounds: LOAD_ROUNDS, requestsPerRound: 150, secondsPerRound: 60 });
      for (const [name, g, b] of [['product(entityId)', one, oneBase], ['products(first: 100) with items, categories', page, pageBase]] as const) {
        rows.push({
          measure: `GraphQL ${name}, ${CLIENTS} clients`, value: `${g.rps.toFixed(0)} rps, p50 ${g.p50.toFixed(0)} ms, p95 ${g.p95.toFixed(0)} ms${g.failed ? `, ${g.failed} failed` : ''}`,
          baseline: `json_agg behind bare HTTP: ${b.rps.toFixed(0)} rps, p50 ${b.p50.toFixed(0)} ms, p95 ${b.p95.toFixed(0)} ms`, ratio: g.p95 / b.p95, target: 'p95 ≤ 1.5x',
        });
      }
    } finally {
      baseline.server.close();
      await pool.end();
      await app.stop();
    }
  } finally {
    await bench.close();
    fs.rmSync(work, { recursive: true, force: true });
  }

  results.rows = rows;
  fs.writeFileSync(path.join(PROJECT_ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  say(`\n${'measure'.padEnd(62)} ${'figure'.padEnd(52)} ${'baseline (same run)'.padEnd(60)} ratio   target`);
  for (const r of rows) say(`${r.measure.padEnd(62)} ${r.value.padEnd(52)} ${r.baseline.padEnd(60)} ${r.ratio === null ? '     ' : r.ratio.toFixed(3)}   ${r.target}`);
  say(`\nwritten to bench/results.json (${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version})`);
}

/** The physical floor for the API: the same data from one SQL statement behind a bare HTTP endpoint. */
async function startBaselineServer(pool: Pool) {
  const PRODUCT_JSON = `json_build_object('entityId', p.entity_id::text, 'productId', p.product_id, 'attributes', p.attributes,
    'items', (SELECT coalesce(json_agg(json_build_object('entityId', i.entity_id::text, 'sortOrder', i.sort_order, 'attributes', i.attributes) ORDER BY i.sort_order), '[]')
              FROM inriver_bak.item i WHERE i.product_entity_id = p.entity_id AND NOT i.deleted),
    'channelNodes', (SELECT coalesce(json_agg(json_build_object('entityId', n.entity_id::text, 'name', n.attributes->'ChannelNodeName'->>'en') ORDER BY m.sort_order), '[]')
              FROM inriver_bak.channel_node_product m JOIN inriver_bak.channel_node n ON n.entity_id = m.channel_node_id AND NOT n.deleted
              WHERE m.product_entity_id = p.entity_id))`;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const { rows } = url.pathname === '/product'
      ? await pool.query(`SELECT ${PRODUCT_JSON} AS doc FROM inriver_bak.product p WHERE p.entity_id = $1 AND NOT p.deleted`, [url.searchParams.get('id')])
      : await pool.query(`SELECT coalesce(json_agg(${PRODUCT_JSON} ORDER BY p.entity_id), '[]') AS doc FROM
          (SELECT * FROM inriver_bak.product WHERE entity_id > $1 AND NOT deleted ORDER BY entity_id LIMIT 100) p`, [url.searchParams.get('after')]);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(rows[0]?.doc ?? null));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
