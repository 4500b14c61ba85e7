import { badInput } from '../errors/domain-error';

export const MAX_PAGE_SIZE = 1000;

const MAX_BIGINT = 9223372036854775807n;

export interface Page<T> {
  nodes: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  /**
   * Rows matching the filter over all pages, in the page's snapshot. NaN when the caller did not
   * ask for it (counting 100K rows is most of a page's cost): GraphQL's Int refuses NaN, so a
   * count that was skipped by mistake fails loudly instead of showing a wrong number.
   */
  totalCount: number;
}

/** Cursors are opaque to clients: base64url of the keyset position (an immutable key). */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Keys are PostgreSQL bigints: a larger number would fail in the database, not here.
    if (value && typeof value.k === 'string' && /^\d{1,19}$/.test(value.k) && BigInt(value.k) <= MAX_BIGINT) return value.k;
  } catch {
    // fall through to the error below
  }
  throw badInput(`"after" is not a cursor this API returned: ${JSON.stringify(cursor).slice(0, 80)}`);
}

export function checkPageSize(first: number | null | undefined, fallback: number): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw badInput(`"first" must be a non-negative integer, got ${n}`);
  if (n > MAX_PAGE_SIZE) throw badInput(`"first" may be at most ${MAX_PAGE_SIZE}, got ${n}; page with "after" instead`);
  return n;
}

/** Turns `first + 1` fetched rows (ordered by key) into a page. */
export function toPage<T>(rows: T[], first: number, totalCount: number, keyOf: (row: T) => string): Page<T> {
  const nodes = rows.slice(0, first);
  return {
    nodes,
    hasNextPage: rows.length > first,
    endCursor: nodes.length ? encodeCursor(keyOf(nodes[nodes.length - 1])) : null,
    totalCount,
  };
}

export function parseEntityIds(ids: readonly string[] | null | undefined, what: string): string[] | null {
  if (!ids) return null;
  for (const id of ids) {
    if (!/^\d{1,18}$/.test(String(id))) throw badInput(`${what} must be numeric inRiver EntityIds, got ${JSON.stringify(id)}`);
  }
  return ids.map(String);
}

export interface ListOptions {
  /** false: skip counting the matches (the caller did not select totalCount). */
  countTotal?: boolean;
}
