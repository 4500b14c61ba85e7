import { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { entitiesFromRows } from '../db/entity-rows';
import { queryPrepared } from '../db/queryable';

/**
 * Rows a keyset page scans in key order before it switches to the GIN index (see keysetRows).
 * 2,000 rows cost a few milliseconds; a filter matching ≥ 5% of rows fills a page within them.
 */
export const KEY_ORDER_WINDOW = 2000;

/**
 * The next `size + 1` rows of a filtered query in `entity_id` order, after `afterKey`.
 *
 * Without JSONB containment filters this is the plain keyset query. With them, PostgreSQL cannot
 * estimate how many rows match (it guesses 1% per `@>`; `attributes` documents are too wide for
 * column statistics), so for `ORDER BY entity_id LIMIT n` it walks the primary key and tests every
 * row: instant for a common value, a full table scan for a rare one. So the page is read in two
 * steps, each with a bounded cost:
 *  1. the next KEY_ORDER_WINDOW rows in key order (enough for any common value);
 *  2. if that did not fill the page, the rest via the GIN index (`ORDER BY entity_id + 0` keeps
 *     the planner off the primary key order), costing the number of matches, not the table size.
 */
export async function keysetRows<T extends ObjectLiteral>(m: EntityManager, qb: SelectQueryBuilder<T>, opts: {
  alias: string; table: string; afterKey: string | null; size: number; containment: boolean;
  /** Columns computed per row of the page, in the page's statement (`page.` names its columns); read back by `withExtra`. */
  extraSql?: string;
}): Promise<{ rows: T[]; extra: Record<string, unknown>[] }> {
  const key = `${opts.alias}.entity_id`;
  const after = (q: SelectQueryBuilder<T>) => (opts.afterKey ? q.andWhere(`${key} > :afterKey`, { afterKey: opts.afterKey }) : q);
  const fetch = (q: SelectQueryBuilder<T>, prepared = false) => rowsOf(m, q, opts.alias, opts.extraSql, prepared);
  // A plain page is prepared (planned once per connection); the two steps of a containment filter
  // are not: their texts vary with the conditions, and their plans with the values.
  if (!opts.containment) return fetch(after(qb.clone()).orderBy(key, 'ASC').limit(opts.size + 1), true);

  const [edge]: { entity_id: string }[] = await m.query(
    `SELECT entity_id FROM ${opts.table} WHERE entity_id > $1 ORDER BY entity_id OFFSET $2 LIMIT 1`,
    [opts.afterKey ?? '-9223372036854775808', KEY_ORDER_WINDOW]);
  const windowed = after(qb.clone());
  if (edge) windowed.andWhere(`${key} <= :windowEnd`, { windowEnd: String(edge.entity_id) });
  const first = await fetch(windowed.orderBy(key, 'ASC').limit(opts.size + 1));
  if (first.rows.length > opts.size || !edge) return first;
  const rest = await fetch(qb.clone().andWhere(`${key} > :windowEnd`, { windowEnd: String(edge.entity_id) })
    .orderBy(`${key} + 0`, 'ASC').limit(opts.size + 1 - first.rows.length));
  return { rows: first.rows.concat(rest.rows), extra: first.extra.concat(rest.extra) };
}

/**
 * The builder's rows as plain SQL hydrated by entitiesFromRows (its own result transformer cost
 * more than the statement on a page of 100), with the extra columns computed over them.
 */
async function rowsOf<T extends ObjectLiteral>(m: EntityManager, qb: SelectQueryBuilder<T>, alias: string, extraSql: string | undefined,
  prepared: boolean): Promise<{ rows: T[]; extra: Record<string, unknown>[] }> {
  const [sql, params] = qb.select(`${alias}.*`).getQueryAndParameters();
  const text = extraSql ? `SELECT page.*${extraSql} FROM (${sql}) page ORDER BY page.entity_id` : sql;
  const raw: Record<string, unknown>[] = prepared ? await queryPrepared(m, text, params) : await m.query(text, params);
  return { rows: entitiesFromRows(m, qb.expressionMap.mainAlias!.target, raw) as T[], extra: raw };
}

/** count(*) of a query builder's rows (TypeORM's getCount counts DISTINCT keys: a needless sort). */
export async function countOf<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): Promise<number> {
  const row = await qb.clone().select('count(*)::int', 'n').orderBy().getRawOne<{ n: number }>();
  return row?.n ?? 0;
}
