import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { FedFile } from './bucket-feed';

/**
 * What must hold in the service's database once it has recovered, read with a connection of the
 * campaign's own (a new one each time: the server may have restarted since the last check).
 */

export const SCHEMA = 'inriver_bak';

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>, schema = SCHEMA): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(`SET search_path TO ${schema}`);
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * The event log against the bucket: every file exactly one valid file_complete, of the version
 * the bucket holds; no file_start without an outcome; processed = inserted + updated + unchanged
 * + deleted + quarantined on every file_complete (replayed ones included).
 */
export async function eventLogProblems(c: Client, files: readonly FedFile[]): Promise<string[]> {
  const problems: string[] = [];
  const { rows: valid } = await c.query<{ source_key: string; source_etag: string; n: number }>(
    `SELECT source_key, source_etag, count(*)::int AS n FROM load_event
     WHERE event_type = 'file_complete' AND replay_date IS NULL GROUP BY 1, 2`);
  for (const f of files) {
    const mine = valid.filter((v) => v.source_key === f.key);
    const n = mine.reduce((sum, v) => sum + v.n, 0);
    if (n !== 1) problems.push(`${f.key}: ${n} valid file_complete events`);
    else if (mine[0].source_etag !== f.etag) problems.push(`${f.key}: applied version ${mine[0].source_etag}, the bucket holds ${f.etag}`);
  }
  const stray = valid.filter((v) => !files.some((f) => f.key === v.source_key));
  if (stray.length) problems.push(`valid file_complete events for files the bucket never held: ${stray.map((s) => s.source_key).join(', ')}`);
  const { rows: open } = await c.query<{ id: string; source_key: string }>(
    `SELECT s.id, s.source_key FROM load_event s
     WHERE s.event_type = 'file_start' AND NOT EXISTS (SELECT 1 FROM load_event o WHERE o.start_event_id = s.id)`);
  if (open.length) problems.push(`file_start without an outcome: ${open.map((o) => `${o.id} (${o.source_key})`).join(', ')}`);
  const { rows: uncounted } = await c.query<{ id: string }>(
    `SELECT id FROM load_event WHERE event_type = 'file_complete' AND records_processed IS DISTINCT FROM
       records_inserted + records_updated + records_unchanged + records_deleted + records_quarantined`);
  if (uncounted.length) problems.push(`processed ≠ inserted + updated + unchanged + deleted + quarantined on events ${uncounted.map((u) => u.id).join(', ')}`);
  return problems;
}

/** Export jobs that have not (yet) succeeded. */
export async function unfinishedExports(c: Client): Promise<string[]> {
  const { rows } = await c.query<{ id: string; status: string; attempts: number; error: string | null }>(
    `SELECT id::text, status, attempts, error FROM export_job WHERE status <> 'SUCCEEDED' ORDER BY id`);
  return rows.map((r) => `export job ${r.id} ${r.status} after ${r.attempts} attempt(s)${r.error ? `: ${r.error}` : ''}`);
}

export interface ExportJobRow {
  id: string;
  status: string;
  attempts: number;
  warnings: string[];
  requestedAt: Date;
  files: { name: string; uri: string; rows: number; sha256: string; bytes: number; rowSource: string; rowsLeftOut: number; template: { version: number; sha256: string } }[];
}

export async function exportJob(c: Client, id: string): Promise<ExportJobRow> {
  const { rows: [job] } = await c.query<ExportJobRow>(
    `SELECT id::text, status, attempts, warnings, requested_at AS "requestedAt", files FROM export_job WHERE id = $1`, [id]);
  return job;
}

/** `.partial` files under the export folder: what a stopped or failed export must not leave behind. */
export function partialFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.partial')) found.push(path.relative(root, p));
    }
  };
  walk(root);
  return found;
}

/** Whether the file_start `startId` was closed as `interrupted` (by its own loader or the next pass). */
export async function closedAsInterrupted(c: Client, startId: string): Promise<boolean> {
  const { rows } = await c.query(
    `SELECT 1 FROM load_event WHERE start_event_id = $1 AND event_type = 'file_error' AND metadata->>'errorCode' = 'interrupted'`, [startId]);
  return rows.length > 0;
}
