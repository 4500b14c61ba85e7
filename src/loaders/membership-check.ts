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
  const [row] = await db.query(`
    WITH node_side AS (
      SELECT l.owner_entity_id AS node, l.other_entity_id AS product FROM entity_link l
      JOIN channel_node n ON n.entity_id = l.owner_entity_id AND NOT n.deleted
      WHERE l.owner_type = 'ChannelNode' AND l.direction = 'OUTBOUND' AND l.link_type_id = 'ChannelNodeProduct'
        AND l.other_entity_type_id = 'Product' AND ${byNode ? 'l.owner_entity_id' : 'l.other_entity_id'} = ANY($1::bigint[])
    ), product_side AS (
      SELECT m.channel_node_id AS node, m.product_entity_id AS product FROM channel_node_product m
      JOIN product p ON p.entity_id = m.product_entity_id AND NOT p.deleted
      WHERE ${byNode ? 'm.channel_node_id' : 'm.product_entity_id'} = ANY($1::bigint[])
        AND EXISTS (SELECT 1 FROM entity_link l WHERE l.owner_type = 'ChannelNode' AND l.owner_entity_id = m.channel_node_id
                    AND l.direction = 'OUTBOUND' AND l.link_type_id = 'ChannelNodeProduct')
    )
    SELECT (SELECT count(*) FROM (SELECT * FROM node_side EXCEPT SELECT * FROM product_side) a)::int AS node_only,
           (SELECT count(*) FROM (SELECT * FROM product_side EXCEPT SELECT * FROM node_side) b)::int AS product_only`, [[...ids]]);
  return { membershipDisagreements: row.node_only, membershipOnlyOnProductSide: row.product_only };
}
