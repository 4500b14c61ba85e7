import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PROJECT_ROOT, createBenchDatabase } from './bench-database';
import { percentile } from './bench-tools';
import { PRODUCT_BASE, seedCatalog } from './seed-catalog';

/**
 * `npm run bench:abuse`: a reader's worst requests against the real service, while other clients
 * measure the p95 of a normal `product(entityId)` query (issue 11, "The API must stay bounded").
 *
 * The service runs as a process of its own (`node dist/src/main.js`, as in production) over a
 * scratch database with a generated catalog and a full-size AttributeFile, so its peak RSS is its
 * own (VmHWM), not this driver's. Phases: warm-up; idle (the clients alone); attack (the clients,
 * and one reader key firing every kind of abuse from many connections at once). Prints the figures
 * as JSON and exits 1 when the service's peak RSS reaches 512 MB or the p95 under attack reaches
 * twice the idle one. Bounded: about 90 s.
 *   npm run bench:abuse -- [--products 20000] [--clients 4] [--rate 25] [--seconds 30] [--attackers 16]
 * (--rate: requests per second of each client.)
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const say = (m: string) => process.stderr.write(`${m}\n`);
const MIB = 1024 * 1024;
const RSS_LIMIT = 512 * MIB;
const RATIO_LIMIT = 2;

const ATTACKER = 'abuse-bench-attacker-key';
const clientKey = (i: number) => `abuse-bench-client-key-${i}`;

/** The service's resident set now and at its peak (Linux /proc). */
function rssOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** The service from the build, as production runs it; ready when its banner names the GraphQL URL (with the port PORT=0 chose). */
async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /GraphQL:\s+(\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the service exited with ${code} before it was ready:\n${stderr}`)));
  });
  return { child, url };
}

interface Outcome { status: number; ms: number; ok: boolean }
interface AttackCount { sent: number; statuses: Record<string, number>; maxMs: number }

async function post(url: string, key: string, body: string): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
    const text = await res.text();
    return { status: res.status, ms: performance.now() - started, ok: res.status === 200 && !text.includes('"errors"') };
  } catch {
    return { status: 0, ms: performance.now() - started, ok: false };
  }
}

/**
 * What a reader can send that costs the most: every limit of issue 11 at (or over) its edge.
 * Each entry makes one request body; `name` is what the summary counts it as.
 */
function attacks(): { name: string; body: () => string }[] {
  const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
  const q = (query: string, variables: Record<string, unknown> = {}, operationName?: string) => JSON.stringify({ query, variables, operationName });
  let n = 0;
  return [
    // The request of the issue: 4,900 aliases of the attribute schema (0.26 MB).
    { name: '4900 aliases of attributeDefinitions', body: () => q(aliases(4900, 'attributeDefinitions(businessUnit: "bak") { names }')) },
    // As many aliases as allowed, each of the largest list (refused by its cost), and as many as the cost allows.
    { name: '100 aliases of attributeDefinitions', body: () => q(aliases(100, 'attributeDefinitions(businessUnit: "bak") { attributeId names dataType }')) },
    { name: '9 aliases of attributeDefinitions', body: () => q(aliases(9, 'attributeDefinitions(businessUnit: "bak") { attributeId names dataType sortOrder }')) },
    // The largest pages the cost allows, with the heaviest fields.
    { name: 'items(first: 1000) with attributes', body: () => q('{ items(businessUnit: "bak", first: 1000) { nodes { entityId attributes } } }') },
    { name: 'products(first: 1000) with attributes', body: () => q('{ products(businessUnit: "bak", first: 1000) { nodes { entityId attributes } } }') },
    { name: 'products(first: 150) with every attribute of items', body: () => q(`query($after: String) { products(businessUnit: "bak", first: 150, after: $after) {
      nodes { entityId attributes items { entityId attributes resources { entityId attributes } } channelNodes { entityId name } } } }`) },
    { name: 'products(first: 1000) nested lists', body: () => q('{ products(businessUnit: "bak", first: 1000) { nodes { entityId items { entityId resources { entityId } links { otherEntityId } } channelNodes { entityId children { entityId } } } } }') },
    { name: 'channel tree with products', body: () => q('{ channelNodes(businessUnit: "bak", first: 1000) { nodes { entityId children { entityId name } products(first: 5) { nodes { entityId productId } } } } }') },
    // Every request a new operation name (the metrics label attack), each a new document too.
    { name: 'new operation names', body: () => { n++; return q(`query Op${n}x${Date.now()} { product(businessUnit: "bak", entityId: "${PRODUCT_BASE + (n % 1000) + 1}") { entityId } }`, {}, `Op${n}x${Date.now()}`); } },
    { name: 'operationName naming no operation', body: () => q('{ businessUnits { code } }', {}, `Nothing${++n}`) },
    // 99 aliases of loadStatus: each used to list the source.
    { name: '99 aliases of loadStatus', body: () => q(aliases(99, 'loadStatus(businessUnit: "bak") { productCount pendingFiles }')) },
    // A body near the 1 MB limit: fields by the hundred thousand, a huge variable.
    { name: '1 MB of fields', body: () => q(`{ ${'businessUnits { code } '.repeat(40_000)} }`) },
    { name: '1 MB variable with NUL', body: () => q('query($p: String) { product(businessUnit: "bak", productId: $p) { entityId } }', { p: `${'x'.repeat(900_000)}\u0000` }) },
    { name: '8,000 attributeEquals', body: () => q('query($c: [AttributeCondition!]) { products(businessUnit: "bak", filter: { attributeEquals: $c }) { nodes { entityId } } }',
      { c: Array.from({ length: 8000 }, (_, i) => ({ attributeId: `A${i}`, value: 'v', locale: 'fr-CA' })) }) },
  ];
}

async function main(): Promise<void> {
  const products = arg('products', 20_000);
  const clients = arg('clients', 4);
  const seconds = arg('seconds', 30);
  const attackers = arg('attackers', 16);
  const interval = 1000 / arg('rate', 25);
  const started = Date.now();
  const bench = await createBenchDatabase();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-abuse-'));
  let service: ChildProcess | null = null;
  try {
    await seedCatalog(bench.db, bench.bu, { products, itemsPerProduct: 3, itemAttributes: 50 }, say);
    // A full-size AttributeFile: ~1,000 item attributes with names in three locales.
    await bench.db.withBu(bench.bu, (m) => m.query(`
      INSERT INTO attribute_definition (entity_type_id, attribute_id, data_type, names, sort_order, content_hash, source_file, event_id, updated_at)
      SELECT 'Item', 'ItemAttr' || lpad(i::text, 4, '0'), 'String',
        jsonb_build_object('en', 'Attribute ' || i, 'es', 'Atributo ' || i, 'fr-CA', 'Attribut ' || i), i, md5(i::text), 'bench', 1, now()
      FROM generate_series(1, 1000) i`));
    fs.mkdirSync(path.join(work, 'source', 'BAK', 'PRODUCT'), { recursive: true });
    const svc = await startService({
      DATABASE_URL: bench.url, SOURCE_URL: pathToFileURL(path.join(work, 'source')).href, EXPORT_URL: pathToFileURL(path.join(work, 'exports')).href,
      BUSINESS_UNITS: 'bak', PORT: '0', HOST: '127.0.0.1', LOAD_POLL_INTERVAL_MS: '0', EXPORT_POLL_INTERVAL_MS: '0',
      LOG_LEVEL: 'error', NODE_ENV: 'production', PIM_PROJECT_ROOT: PROJECT_ROOT,
      API_KEYS: [`${ATTACKER}:reader`, ...Array.from({ length: clients }, (_, i) => `${clientKey(i)}:reader`)].join(','),
      // The limits under test come from this environment, so a setting can be tried: GRAPHQL_COST_PER_KEY_PER_SECOND=50000 npm run bench:abuse
      ...Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('GRAPHQL_') && v !== undefined)) as Record<string, string>,
    });
    service = svc.child;
    const { url } = svc;
    const pid = service.pid!;
    say(`service pid ${pid} at ${url}`);

    // The normal query the other clients send: one product with its items and categories.
    const normal = (i: number) => JSON.stringify({
      query: `query One($id: ID!) { product(businessUnit: "bak", entityId: $id) { entityId productId updatedAt
        description: attribute(id: "ProductShortDescription", locale: "fr-CA") items { entityId itemNo: attribute(id: "ItemWatscoItemNo") }
        channelNodes { entityId name(locale: "en") } } }`,
      variables: { id: String(PRODUCT_BASE + 1 + ((i * 7919) % (products - 1))) },
    });
    let counter = 0;
    // Each client sends a request every `interval` ms (at once when the last one took longer): a
    // service with room to spare, as in production, whose latency the attack must not double.
    const measure = async (ms: number) => {
      const times: number[] = [];
      let failed = 0;
      const until = Date.now() + ms;
      await Promise.all(Array.from({ length: clients }, async (_, c) => {
        await new Promise((r) => setTimeout(r, (interval / clients) * c));
        while (Date.now() < until) {
          const next = Date.now() + interval;
          const r = await post(url, clientKey(c), normal(counter++));
          times.push(r.ms);
          if (!r.ok) failed++;
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
        }
      }));
      times.sort((a, b) => a - b);
      return { requests: times.length, failed, p50: percentile(times, 50), p95: percentile(times, 95), max: times[times.length - 1] };
    };

    say(`warming up for ${Math.round(seconds / 3)}s`);
    await measure((seconds / 3) * 1000);
    say(`idle: ${clients} clients for ${seconds}s`);
    const idle = await measure(seconds * 1000);
    const rssIdle = rssOf(pid);

    say(`attack: ${attackers} connections of one reader key, and the same ${clients} clients, for ${seconds}s`);
    let rssMax = rssIdle.rss;
    const sampler = setInterval(() => { rssMax = Math.max(rssMax, rssOf(pid).rss); }, 100);
    // The attacker runs on a thread of its own: building its bodies must not slow the measuring clients.
    const attacker = new Worker(__filename, { workerData: { url, attackers } });
    const attackDone = new Promise<Record<string, AttackCount>>((resolve, reject) => {
      attacker.once('message', resolve);
      attacker.once('error', reject);
    });
    await new Promise<void>((resolve) => attacker.once('online', () => resolve()));
    // The attack runs a moment before the measure, so the clients meet it in full.
    await new Promise((r) => setTimeout(r, 2000));
    const underAttack = await measure(seconds * 1000);
    attacker.postMessage('stop');
    const byKind = await attackDone;
    await attacker.terminate();
    clearInterval(sampler);
    const rssAfter = rssOf(pid);
    const metricsBytes = (await (await fetch(url.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${clientKey(0)}` } })).text()).length;

    const ratio = underAttack.p95 / idle.p95;
    const round = (x: number) => Math.round(x * 10) / 10;
    const summary = {
      products, clients, ratePerClient: Math.round(1000 / interval), attackers, seconds,
      query: 'product(entityId) with items and categories',
      idle: { requests: idle.requests, failed: idle.failed, p50ms: round(idle.p50), p95ms: round(idle.p95), maxMs: round(idle.max) },
      underAttack: { requests: underAttack.requests, failed: underAttack.failed, p50ms: round(underAttack.p50), p95ms: round(underAttack.p95), maxMs: round(underAttack.max) },
      p95Ratio: Math.round(ratio * 100) / 100,
      serviceRssMB: { idle: round(rssIdle.rss / MIB), maxUnderAttack: round(rssMax / MIB), peak: round(rssAfter.peak / MIB), after: round(rssAfter.rss / MIB) },
      metricsKB: round(metricsBytes / 1024),
      attackRequests: byKind,
      limits: { rssMB: RSS_LIMIT / MIB, p95Ratio: RATIO_LIMIT },
      settings: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('GRAPHQL_'))),
      cpus: os.cpus().length,
      benchSeconds: Math.round((Date.now() - started) / 1000),
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    const failures = [
      ...(rssAfter.peak >= RSS_LIMIT ? [`the service's peak RSS ${round(rssAfter.peak / MIB)} MB reached ${RSS_LIMIT / MIB} MB`] : []),
      ...(ratio >= RATIO_LIMIT ? [`p95 under attack is ${summary.p95Ratio}× the idle one (limit ${RATIO_LIMIT}×)`] : []),
      ...(idle.failed || underAttack.failed ? [`${idle.failed + underAttack.failed} normal requests failed`] : []),
    ];
    if (failures.length) {
      say(`FAILED: ${failures.join('; ')}`);
      process.exitCode = 1;
    } else {
      say(`passed: peak RSS ${summary.serviceRssMB.peak} MB < ${RSS_LIMIT / MIB} MB, p95 ratio ${summary.p95Ratio} < ${RATIO_LIMIT}`);
    }
  } finally {
    if (service && service.exitCode === null) {
      const exited = new Promise((r) => service!.once('exit', r));
      service.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(work, { recursive: true, force: true });
    await bench.close();
  }
}

/** The attacker's thread: `attackers` connections of one key, each sending the next abuse as soon as the last is answered. */
async function attack(url: string, attackers: number): Promise<void> {
  const kinds = attacks();
  // Bodies that never change are built once, so the thread spends its time sending.
  const fixed = new Map(kinds.filter((k) => !/operation/.test(k.name)).map((k) => [k.name, k.body()]));
  const byKind: Record<string, AttackCount> = {};
  let stop = false;
  parentPort!.once('message', () => { stop = true; });
  await Promise.all(Array.from({ length: attackers }, async (_, a) => {
    for (let i = a; !stop; i++) {
      const kind = kinds[i % kinds.length];
      const r = await post(url, ATTACKER, fixed.get(kind.name) ?? kind.body());
      const entry = (byKind[kind.name] ??= { sent: 0, statuses: {}, maxMs: 0 });
      entry.sent++;
      const outcome = r.ok ? 'ok' : String(r.status);
      entry.statuses[outcome] = (entry.statuses[outcome] ?? 0) + 1;
      entry.maxMs = Math.max(entry.maxMs, Math.round(r.ms));
    }
  }));
  parentPort!.postMessage(byKind);
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  attack(workerData.url, workerData.attackers).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
