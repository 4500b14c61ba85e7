import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

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

/** N clients calling `call` until `requests` calls or `seconds` pass; latency percentiles and rate. */
export async function loadTest(call: () => Promise<boolean>, clients: number, requests: number, seconds: number) {
  for (let i = 0; i < clients * 2; i++) await call(); // warm-up: connections, plans, caches
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
  const elapsed = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return { requests: times.length, failed, rps: times.length / elapsed, p50: percentile(times, 50), p95: percentile(times, 95) };
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
