import { Queryable } from '../db/queryable';
import type { PlannedFile } from './load-planner';

/**
 * Membership is owned by the product side; node lines that list products are kept but only
 * compared. Counts, for the entities of this file only (so the cost follows the file, not the
 * catalogue), node-side claims the product side does not confirm, and the reverse (the latter
 * only for nodes that list products at all).
 */
export async function membershipCheck(db: Queryable, file: PlannedFile, ids: Set<string>): Promise<Record<string, unknown>> {
  if (file.kind === 'attributes' || ids.size === 0) return {};
  const byNode = file.kind === 'channel';
  // Each side is probed per id of the file through LATERAL subqueries (OFFSET 0 keeps the planner
  // from flattening them into joins), each probe written so that one index alone can serve it
  // (`x || ''` hides a column from the other index): plans that cannot turn into scans of whole
  // tables whatever the statistics say. Inside a load they describe the tables before it, and after
  // an interrupted load they can claim the tables are empty: every plan then looks equally cheap,
  // and one scanned every product per link, another every link per node.
  const [row] = await db.query(`
    WITH k AS (SELECT DISTINCT unnest($1::bigint[]) AS id),
    node_side AS (
      SELECT x.node, x.product FROM k CROSS JOIN LATERAL (
        SELECT l.owner_entity_id AS node, l.other_entity_id AS product FROM entity_link l
        WHERE ${byNode
    ? `l.owner_type = 'ChannelNode' AND l.owner_entity_id = k.id AND l.direction = 'OUTBOUND'
          AND l.link_type_id || '' = 'ChannelNodeProduct' AND l.other_entity_type_id || '' = 'Product'`
    : `l.other_entity_type_id = 'Product' AND l.other_entity_id = k.id AND l.link_type_id = 'ChannelNodeProduct'
          AND l.owner_type || '' = 'ChannelNode' AND l.direction || '' = 'OUTBOUND'`}
          AND EXISTS (SELECT 1 FROM channel_node n WHERE n.entity_id = l.owner_entity_id AND NOT n.deleted OFFSET 0)
        OFFSET 0) x
    ), product_side AS (
      SELECT x.node, x.product FROM k CROSS JOIN LATERAL (
        SELECT m.channel_node_id AS node, m.product_entity_id AS product FROM channel_node_product m
        WHERE ${byNode ? 'm.channel_node_id' : 'm.product_entity_id'} = k.id
          AND EXISTS (SELECT 1 FROM product p WHERE p.entity_id = m.product_entity_id AND NOT p.deleted OFFSET 0)
          AND EXISTS (SELECT 1 FROM entity_link l WHERE l.owner_type = 'ChannelNode' AND l.owner_entity_id = m.channel_node_id
                      AND l.direction = 'OUTBOUND' AND l.link_type_id || '' = 'ChannelNodeProduct' OFFSET 0)
        OFFSET 0) x
    )
    SELECT (SELECT count(*) FROM (SELECT * FROM node_side EXCEPT SELECT * FROM product_side) a)::int AS node_only,
           (SELECT count(*) FROM (SELECT * FROM product_side EXCEPT SELECT * FROM node_side) b)::int AS product_only`, [[...ids]]);
  return { membershipDisagreements: row.node_only, membershipOnlyOnProductSide: row.product_only };
}
