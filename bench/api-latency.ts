import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createLogger } from '../src/logger';
import { encodeCursor } from '../src/services/pagination';
import { PROJECT_ROOT, createBenchDatabase } from './bench-database';
import { PRODUCT_BASE, seedCatalog } from './seed-catalog';
import { percentile } from './bench-tools';

/**
 * p50/p95 latency of `products(first: 100)` with items and categories, over a generated catalog
 * (default 100,000 products), at N concurrent clients against the real service on loopback.
 * Bounded in requests and time; the scratch database is dropped at the end.
 *   npm run bench:api -- [--products 100000] [--clients 8] [--requests 800] [--seconds 120] [--full]
 * --full also fetches every attribute of products and items (the whole JSON documents).
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

const QUERY = (full: boolean) => `query Bench($after: String) { products(businessUnit: "bak", first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes {
    entityId productId updatedAt ${full ? 'attributes' : ''}
    description: attribute(id: "ProductShortDescription", locale: "fr-CA")
    supplier: attribute(id: "ProductMainSupplier")
    items { entityId sortOrder ${full ? 'attributes' : ''} itemNo: attribute(id: "ItemWatscoItemNo") weight: attribute(id: "ItemItemImperialWeightinPounds") }
    channelNodes { entityId name(locale: "en") }
  } } }`;


async function main(): Promise<void> {
  const products = arg('products', 100_000);
  const clients = arg('clients', 8);
  const maxRequests = arg('requests', 800);
  const maxSeconds = arg('seconds', 120);
  const full = process.argv.includes('--full');
  const bench = await createBenchDatabase();
  const emptySource = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-bench-source-'));
  try {
    await seedCatalog(bench.db, bench.bu, { products, itemsPerProduct: 2, itemAttributes: 30 }, (m) => console.log(m));
    const config = loadConfig({
      DATABASE_URL: bench.url, SOURCE_URL: pathToFileURL(emptySource).href, BUSINESS_UNITS: 'bak', PORT: '0', HOST: '127.0.0.1',
      LOAD_POLL_INTERVAL_MS: '0', LOG_LEVEL: 'silent', PIM_PROJECT_ROOT: PROJECT_ROOT,
      // One address plays every client at full speed: the per-key limits (bench:abuse measures them) would throttle it.
      GRAPHQL_MAX_IN_FLIGHT_PER_KEY: String(clients), GRAPHQL_COST_PER_KEY_PER_SECOND: '1000000000',
    });
    const app = await startApp(config, createLogger('silent'), { poll: false });
    const query = QUERY(full);
    const call = async () => {
      // A random page: the cursor of a random product, so requests do not all read the same rows.
      const after = encodeCursor(String(PRODUCT_BASE + Math.floor(Math.random() * (products - 200))));
      const started = process.hrtime.bigint();
      const res = await fetch(app.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables: { after } }) });
      const text = await res.text();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const body = JSON.parse(text) as { errors?: unknown[]; data?: { products: { nodes: unknown[] } } };
      const ok = res.status === 200 && !body.errors && body.data?.products.nodes.length === 100;
      return { ms, ok, bytes: text.length };
    };
    try {
      for (let i = 0; i < 2 * clients; i++) await call(); // warm-up: connections, plans, caches
      const results: { ms: number; ok: boolean; bytes: number }[] = [];
      const deadline = Date.now() + maxSeconds * 1000;
      let issued = 0;
      const t0 = Date.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        while (issued < maxRequests && Date.now() < deadline) {
          issued++;
          results.push(await call());
        }
      }));
      const elapsed = (Date.now() - t0) / 1000;
      const times = results.map((r) => r.ms).sort((a, b) => a - b);
      const summary = {
        query: full ? 'products(first: 100) with all attributes, items (all attributes), channelNodes' : 'products(first: 100) with items, channelNodes and a few attributes',
        products, clients, requests: results.length, failed: results.filter((r) => !r.ok).length, seconds: Number(elapsed.toFixed(1)),
        requestsPerSecond: Number((results.length / elapsed).toFixed(1)),
        p50ms: Number(percentile(times, 50).toFixed(1)), p95ms: Number(percentile(times, 95).toFixed(1)),
        p99ms: Number(percentile(times, 99).toFixed(1)), maxMs: Number(times[times.length - 1].toFixed(1)),
        avgResponseKB: Number((results.reduce((a, r) => a + r.bytes, 0) / results.length / 1024).toFixed(1)),
        cpus: os.cpus().length,
      };
      console.log(JSON.stringify(summary, null, 2));
    } finally {
      await app.stop();
    }
  } finally {
    fs.rmSync(emptySource, { recursive: true, force: true });
    await bench.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
