import { Queryable } from '../db/queryable';
import type { WriteContext } from './write-context';

/**
 * The history is an undo log: each change appends one row with the entity's stored image from
 * just BEFORE it (NULL for an insert: there was nothing before). What a change made is the next
 * row's before-image, or the current row for the latest change, so nothing the tables already
 * hold is stored twice, and a first load, all inserts, writes no image at all. A replay from an
 * event puts every entity it touched back to the before-image of its first change at or after
 * that event (docs/loading-and-replay.md, "History").
 */

export type HistoryOperation = 'INSERT' | 'UPDATE' | 'DELETE';
export type HistoryTable = 'product' | 'item' | 'channel_node';

export const HISTORY_ENTITY_TYPE: Record<HistoryTable, string> = { product: 'Product', item: 'Item', channel_node: 'ChannelNode' };

/**
 * The stored image of entities of `table` whose ids are in the `ops` relation (`o.id`): the row
 * plus its resources, links and, for products, category membership, as jsonb. Each part is one
 * index probe per entity (LATERAL), so the plan does not depend on table statistics, which inside
 * a load describe the tables before it.
 */
export function imageSql(table: HistoryTable): string {
  const ownerType = HISTORY_ENTITY_TYPE[table];
  return `to_jsonb(t) || jsonb_build_object(
      'resources', coalesce((SELECT jsonb_agg(to_jsonb(r) - 'owner_type' - 'owner_entity_id' ORDER BY r.sort_order, r.resource_entity_id)
        FROM resource r WHERE r.owner_type = '${ownerType}' AND r.owner_entity_id = t.entity_id), '[]'::jsonb),
      'links', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'owner_type' - 'owner_entity_id' ORDER BY l.direction, l.sort_order)
        FROM entity_link l WHERE l.owner_type = '${ownerType}' AND l.owner_entity_id = t.entity_id), '[]'::jsonb)
      ${table === 'product' ? `, 'membership', coalesce((SELECT jsonb_agg(to_jsonb(m) - 'product_entity_id' ORDER BY m.sort_order, m.channel_node_id)
        FROM channel_node_product m WHERE m.product_entity_id = t.entity_id), '[]'::jsonb)` : ''})`;
}

/** Current images of entities by id (history versions, a replay's own rows). */
export async function currentImages(db: Queryable, table: HistoryTable, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  if (!ids.length) return new Map();
  const rows: { id: string; image: Record<string, unknown> }[] = await db.query(
    `SELECT t.entity_id::text AS id, ${imageSql(table)} AS image
     FROM unnest($1::bigint[]) AS o(id) CROSS JOIN LATERAL (SELECT * FROM ${table} t WHERE t.entity_id = o.id OFFSET 0) t`, [ids]);
  return new Map(rows.map((r) => [r.id, r.image]));
}

/**
 * Appends one history row per entity of `ops`, BEFORE the batch writes them: the image as it is
 * now for an update or delete, nothing for an insert (no read at all).
 */
export async function recordBefore(ctx: WriteContext, table: HistoryTable, ops: Map<string, HistoryOperation>): Promise<void> {
  if (!ops.size) return;
  const all = [...ops].map(([id, op]) => ({ id, op }));
  const inserts = all.filter((o) => o.op === 'INSERT');
  const others = all.filter((o) => o.op !== 'INSERT');
  const entityType = HISTORY_ENTITY_TYPE[table];
  if (inserts.length) {
    await ctx.runner.query(
      `INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
       SELECT $1, $2, k, 'INSERT', now(), $3, NULL FROM unnest($4::text[]) AS k`,
      [ctx.eventId, entityType, ctx.sourceFile, inserts.map((o) => o.id)]);
  }
  if (others.length) {
    await ctx.runner.query(
      `WITH ops AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS o(id bigint, op text))
       INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
       SELECT $1, $2, t.entity_id::text, o.op, now(), $3, ${imageSql(table)}
       FROM ops o CROSS JOIN LATERAL (SELECT * FROM ${table} t WHERE t.entity_id = o.id OFFSET 0) t`,
      [ctx.eventId, entityType, ctx.sourceFile, JSON.stringify(others)]);
  }
}
