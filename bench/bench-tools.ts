import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { BusinessUnit } from '../src/config/business-unit';
import { Database } from '../src/db/database';
import { readMappings, readTemplates } from '../src/repositories/export-settings.repository';
import { compileTemplate } from '../src/export/template/template-compiler';

/** Small measuring tools shared by the benchmarks. */

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** Samples this process's RSS until stopped; returns the peak in bytes. */
export function rssSampler(intervalMs = 50) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, intervalMs);
  return { stop: () => { clearInterval(timer); return Math.max(peak, process.memoryUsage().rss); } };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t };
}

/** COPY of raw JSON lines into a one-column JSONB table: the floor for loading those bytes. */
export async function copyJsonLines(url: string, file: string): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('DROP TABLE IF EXISTS public.copy_baseline; CREATE TABLE public.copy_baseline (doc jsonb)');
    const t = performance.now();
    // CSV with quote and delimiter bytes that never occur in JSON text: each line is one value as is.
    await pipeline(fs.createReadStream(file), c.query(copyFrom(`COPY public.copy_baseline (doc) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`)));
    return performance.now() - t;
  } finally {
    await c.query('DROP TABLE IF EXISTS public.copy_baseline').catch(() => undefined);
    await c.end();
  }
}

export async function copyQueryToFile(url: string, schema: string, sql: string, file: string): Promise<{ ms: number; bytes: number }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`SET search_path TO ${schema}`);
    const t = performance.now();
    await pipeline(c.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv, HEADER)`)), fs.createWriteStream(file));
    return { ms: performance.now() - t, bytes: fs.statSync(file).size };
  } finally {
    await c.end();
  }
}

/** N clients calling `call` until `requests` calls or `seconds` pass. */
async function drive(call: () => Promise<boolean>, clients: number, requests: number, seconds: number) {
  const times: number[] = [];
  let failed = 0;
  let issued = 0;
  const deadline = Date.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (issued < requests && Date.now() < deadline) {
      issued++;
      const t = performance.now();
      const ok = await call();
      times.push(performance.now() - t);
      if (!ok) failed++;
    }
  }));
  return { times, failed, elapsed: (performance.now() - t0) / 1000 };
}

/** Latency percentiles and rate of a call, as the benchmarks print them. */
export interface LoadStats { requests: number; failed: number; rps: number; p50: number; p95: number }

/**
 * Latency percentiles and rate of N clients calling `a`, and of the same clients calling `b`,
 * measured side by side: after a warm-up of each (`warmSeconds`; a service runs for days, so the
 * figure is its steady state, once the JIT has compiled the request path and connections and
 * plans are cached, for the baseline alike), `rounds` rounds of `requestsPerRound` calls (or
 * `secondsPerRound`) to each, the side that goes first alternating, the samples of each side pooled.
 * Measuring one side after the other let them see different machines (autovacuum after the load,
 * a checkpoint, this process's GC state): a p95 over ~1.5 s of traffic moved by whole
 * milliseconds, and the ratio of the two with it. Interleaved, drift hits both sides alike.
 */
export async function compareLoad(a: () => Promise<boolean>, b: () => Promise<boolean>, clients: number,
  { rounds, requestsPerRound, secondsPerRound, warmSeconds = 15 }: { rounds: number; requestsPerRound: number; secondsPerRound: number; warmSeconds?: number }): Promise<{ a: LoadStats; b: LoadStats }> {
  await drive(a, clients, Number.MAX_SAFE_INTEGER, warmSeconds);
  await drive(b, clients, Number.MAX_SAFE_INTEGER, warmSeconds);
  const sides = [a, b].map((call) => ({ call, times: [] as number[], failed: 0, elapsed: 0 }));
  for (let round = 0; round < rounds; round++) {
    // a then b, then b then a: neither side always runs right after the other's load.
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const r = await drive(side.call, clients, requestsPerRound, secondsPerRound);
      for (const t of r.times) side.times.push(t);
      side.failed += r.failed;
      side.elapsed += r.elapsed;
    }
  }
  const [sa, sb] = sides.map(({ times, failed, elapsed }): LoadStats => {
    times.sort((x, y) => x - y);
    return { requests: times.length, failed, rps: times.length / elapsed, p50: percentile(times, 50), p95: percentile(times, 95) };
  });
  return { a: sa, b: sb };
}

/** The rows of the default items.csv as plain SQL (attributes extracted the way the export does). */
export const ITEMS_COPY_SQL = `
  SELECT i.entity_id, ia."ItemWatscoItemNo", pa."ProductId", p.entity_id, ia."ItemSupplierShortDescriptionEN", ia."ItemManufacturerItemNo",
    ia."ItemUPCCode", i.field_set_id, i.sort_order, to_char(i.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
  FROM item i JOIN product p ON p.entity_id = i.product_entity_id AND NOT p.deleted
    CROSS JOIN LATERAL jsonb_to_record(i.attributes) AS ia("ItemWatscoItemNo" text, "ItemSupplierShortDescriptionEN" text,
      "ItemManufacturerItemNo" text, "ItemUPCCode" text)
    CROSS JOIN LATERAL jsonb_to_record(p.attributes) AS pa("ProductId" text)
  WHERE NOT i.deleted ORDER BY i.entity_id`;

/** A query with its bind parameters written in as literals (COPY takes none). */
function inlineParams(sql: string, params: unknown[]): string {
  return sql.replace(/\$(\d+)\b/g, (_m, n: string) => {
    const v = params[Number(n) - 1];
    if (typeof v === 'number') return String(v);
    return `'${String(v).replace(/'/g, "''")}'`;
  });
}

/**
 * The floor for a whole export: `COPY (…) TO STDOUT WITH CSV` of every enabled template's own
 * query (the same rows and values, unrendered), one file after the other. Returns the time per file.
 */
export async function exportCopyBaseline(url: string, db: Database, bu: BusinessUnit, dir: string): Promise<Map<string, number>> {
  const queries = await db.withBu(bu, async (m) => {
    const templates = (await readTemplates(m)).filter((t) => t.enabled);
    const out: { name: string; sql: string }[] = [];
    for (const t of templates) {
      const mappings = t.rowSource === 'ITEM_ATTRIBUTE' ? await readMappings(m, { csv: t.name, activeOnly: true }) : [];
      const c = compileTemplate(t, { mappings });
      out.push({ name: t.name, sql: inlineParams(c.sql, c.params) });
    }
    return out;
  });
  const times = new Map<string, number>();
  for (const q of queries) times.set(q.name, (await copyQueryToFile(url, bu.schema, q.sql, path.join(dir, `copy-${q.name}`))).ms);
  return times;
}
