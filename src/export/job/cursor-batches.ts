import { types as pgTypes } from 'pg';
import { QueryRunner } from 'typeorm';
import type { Row } from '../template/template-types';
import { pgClientOf } from '../../db/queryable';

/**
 * Values (rows × selected columns) fetched per round trip from a server-side cursor: bounds the
 * memory of a batch whatever a template's width (a 1,000-column file fetches 100 rows at a time).
 */
const FETCH_VALUES = 100_000;
const MIN_FETCH_ROWS = 100;
const MAX_FETCH_ROWS = 5000;

const JSON_OID = 114;
const JSONB_OID = 3802;

export class ExportAbortedError extends Error {
  constructor() {
    super('the export was stopped because the service is shutting down');
  }
}

/**
 * A JSON text as a value. Most attribute values are plain strings: one with no escape in it is its
 * text between the quotes, which spares a JSON.parse (and its garbage) per cell of an export.
 */
export function parseJsonText(text: string): unknown {
  if (text.charCodeAt(0) === 34 && text.indexOf('\\') < 0) return text.slice(1, -1);
  return JSON.parse(text);
}

/** pg's type parsers with JSON through parseJsonText. */
const EXPORT_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === JSONB_OID || oid === JSON_OID ? parseJsonText : pgTypes.getTypeParser(oid, format ?? 'text'),
};

let cursorCounter = 0;

/**
 * Rows of a query through a server-side cursor of the current transaction, in batches of arrays
 * (pg builds no object per row). The next batch is fetched while this one is rendered, so
 * PostgreSQL and Node work at the same time; at most two batches are held.
 */
export async function* cursorBatches(conn: QueryRunner, sql: string, params: unknown[], columns: number, signal: AbortSignal): AsyncGenerator<Row[]> {
  const name = `export_cursor_${++cursorCounter}`;
  const size = Math.max(MIN_FETCH_ROWS, Math.min(MAX_FETCH_ROWS, Math.floor(FETCH_VALUES / Math.max(1, columns))));
  // The runner's own pg client (the query runner holds it for the transaction): TypeORM's query() has no array rows.
  const client = await pgClientOf(conn);
  const fetch = async (): Promise<Row[]> =>
    (await client.query<unknown[]>({ text: `FETCH ${size} FROM ${name}`, rowMode: 'array', types: EXPORT_TYPES })).rows;
  if (signal.aborted) throw new ExportAbortedError();
  await conn.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  let next: Promise<Row[]> | null = fetch();
  try {
    while (next) {
      const rows: Row[] = await next;
      next = rows.length === size ? fetch() : null;
      yield rows;
      if (signal.aborted) throw new ExportAbortedError();
    }
  } finally {
    await next?.catch(() => undefined);
    await conn.query(`CLOSE ${name}`).catch(() => undefined);
  }
}
