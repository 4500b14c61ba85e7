import type { WriteContext } from './entity-writer';

/** Appends to entity_history inside the file's transaction: the image after each change. */

export type HistoryOperation = 'INSERT' | 'UPDATE' | 'DELETE';
export type HistoryTable = 'product' | 'item' | 'channel_node';

const ENTITY_TYPE: Record<HistoryTable, string> = { product: 'Product', item: 'Item', channel_node: 'ChannelNode' };

/**
 * Nested sets of an entity, aggregated per entity through LATERAL subqueries: each is one index
 * probe of the owner's rows, whatever the statistics say. A plan over the whole batch at once
 * depends on them, and inside a load they are wrong: the rows are not committed, so nothing can
 * analyze them, and after an interrupted load (aborted rows vacuumed away) the planner believes
 * the tables are empty. It then re-ran the aggregate over the whole batch for every entity of it
 * (a full file slowed down 100x, minutes per batch); a per-entity probe cannot.
 */
function childSets(ownerType: string): string {
  return `
    CROSS JOIN LATERAL (SELECT jsonb_agg(to_jsonb(r) - 'owner_type' - 'owner_entity_id' ORDER BY r.sort_order, r.resource_entity_id) AS resources
      FROM resource r WHERE r.owner_type = '${ownerType}' AND r.owner_entity_id = o.id) res
    CROSS JOIN LATERAL (SELECT jsonb_agg(to_jsonb(l) - 'owner_type' - 'owner_entity_id' ORDER BY l.direction, l.sort_order) AS links
      FROM entity_link l WHERE l.owner_type = '${ownerType}' AND l.owner_entity_id = o.id) lnk`;
}

const MEMBERSHIP = `
    CROSS JOIN LATERAL (SELECT jsonb_agg(to_jsonb(m) - 'product_entity_id' ORDER BY m.sort_order, m.channel_node_id) AS membership
      FROM channel_node_product m WHERE m.product_entity_id = o.id) mem`;

/**
 * Records the stored image of each entity in `ops` (taken after the batch wrote it): the row plus
 * its resources, links and, for products, membership — what a replay writes back.
 */
export async function recordHistory(ctx: WriteContext, table: HistoryTable, ops: Map<string, HistoryOperation>): Promise<void> {
  if (!ops.size) return;
  const ownerType = ENTITY_TYPE[table];
  await ctx.runner.query(
    `WITH ops AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS o(id bigint, op text))
     INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
     SELECT $1, $2, t.entity_id::text, o.op, now(), $3,
       to_jsonb(t) || jsonb_build_object('resources', coalesce(res.resources, '[]'::jsonb), 'links', coalesce(lnk.links, '[]'::jsonb)
         ${table === 'product' ? `, 'membership', coalesce(mem.membership, '[]'::jsonb)` : ''})
     FROM ops o CROSS JOIN LATERAL (SELECT * FROM ${table} t WHERE t.entity_id = o.id OFFSET 0) t
       ${childSets(ownerType)} ${table === 'product' ? MEMBERSHIP : ''}
     ORDER BY o.id`,
    [ctx.eventId, ownerType, ctx.sourceFile, JSON.stringify([...ops].map(([id, op]) => ({ id, op })))]);
}

/** Records entities whose row is gone altogether (content NULL). */
export async function recordRemovals(ctx: WriteContext, entityType: string, keys: string[]): Promise<void> {
  if (!keys.length) return;
  await ctx.runner.query(
    `INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
     SELECT $1, $2, k, 'DELETE', now(), $3, NULL FROM unnest($4::text[]) AS k ORDER BY k`,
    [ctx.eventId, entityType, ctx.sourceFile, keys]);
}
