import { Queryable } from './queryable';

/**
 * Table and index rows this session has read and not yet reported to the statistics collector.
 * PostgreSQL reports them only between transactions, so the difference between the start and the
 * end of a file's transaction is what applying the file read: a few rows per line whatever the
 * state of the planner's statistics; a plan that scans whole tables shows here first.
 */
export async function rowsReadSoFar(db: Queryable): Promise<number> {
  const [row] = await db.query(
    `SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(c.oid)), 0)::bigint AS n FROM pg_class c
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'i')`);
  return Number(row.n);
}
