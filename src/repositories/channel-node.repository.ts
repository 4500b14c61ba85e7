import { EntityManager } from 'typeorm';
import { entitiesFromRows } from '../db/entity-rows';
import { Queryable } from '../db/queryable';
import { ChannelNodeEntity, ProductEntity } from '../entities';
import { countOf } from './keyset-page';

// Reads of the category tree (channel_node, its ChannelNodeChannelNodes links, and
// channel_node_product), shared by the services, the dataloaders and the export.

/**
 * The tree is the parents' side of the channel file: a parent ChannelNode's OutboundLinks of type
 * ChannelNodeChannelNodes list its children, in array order (docs/input-format.md). Only live
 * parents count, so a node whose parent was deleted becomes a root.
 */
export const CHILD_LINK_SQL = `l.owner_type = 'ChannelNode' AND l.direction = 'OUTBOUND'
  AND l.link_type_id = 'ChannelNodeChannelNodes' AND l.other_entity_type_id = 'ChannelNode'`;

export function findLiveNode(m: EntityManager, entityId: string): Promise<ChannelNodeEntity | null> {
  return m.getRepository(ChannelNodeEntity).findOne({ where: { entityId, deleted: false } });
}

/** Live nodes in EntityId order after `afterKey`, `size + 1` of them; `rootsOnly`: those no live node lists as a child. */
export async function listLiveNodes(m: EntityManager, rootsOnly: boolean, page: { afterKey: string | null; size: number; countTotal: boolean }):
  Promise<{ rows: ChannelNodeEntity[]; totalCount: number }> {
  const qb = m.getRepository(ChannelNodeEntity).createQueryBuilder('n').where('NOT n.deleted');
  if (rootsOnly) {
    // entity_link_other_idx (other_entity_type_id, other_entity_id, link_type_id) answers this per node.
    qb.andWhere(`NOT EXISTS (SELECT 1 FROM entity_link l JOIN channel_node pn ON pn.entity_id = l.owner_entity_id AND NOT pn.deleted
          WHERE ${CHILD_LINK_SQL} AND l.other_entity_id = n.entity_id)`);
  }
  const totalCount = page.countTotal ? await countOf(qb) : Number.NaN;
  if (page.afterKey) qb.andWhere('n.entity_id > :afterKey', { afterKey: page.afterKey });
  const rows = await qb.orderBy('n.entity_id', 'ASC').limit(page.size + 1).getMany();
  return { rows, totalCount };
}

export async function liveNodesByIds(m: EntityManager, ids: readonly string[]): Promise<ChannelNodeEntity[]> {
  return entitiesFromRows(m, ChannelNodeEntity, await m.query(
    'SELECT n.* FROM channel_node n WHERE n.entity_id = ANY($1::bigint[]) AND NOT n.deleted', [ids]));
}

/**
 * Each node's live parent and its position among that parent's children. A node listed under
 * several parents (the channel file allows it) takes the lowest parent id; its position counts
 * only the parent's ChannelNodeChannelNodes links before it.
 */
export function placementsOf(q: Queryable, ids: readonly string[]): Promise<{ child_id: string; parent_id: string; position: number }[]> {
  return q.query(
    `SELECT DISTINCT ON (l.other_entity_id) l.other_entity_id AS child_id, l.owner_entity_id AS parent_id,
           (SELECT count(*) FROM entity_link s WHERE s.owner_type = 'ChannelNode' AND s.owner_entity_id = l.owner_entity_id
              AND s.direction = 'OUTBOUND' AND s.link_type_id = 'ChannelNodeChannelNodes'
              AND s.other_entity_type_id = 'ChannelNode' AND s.sort_order < l.sort_order)::int AS position
         FROM entity_link l JOIN channel_node p ON p.entity_id = l.owner_entity_id AND NOT p.deleted
         WHERE ${CHILD_LINK_SQL} AND l.other_entity_id = ANY($1::bigint[])
         ORDER BY l.other_entity_id, l.owner_entity_id, l.sort_order`, [ids]);
}

/** Live children of the parents, in each parent's order (a child listed twice appears twice). */
export async function childrenOf(m: EntityManager, parentIds: readonly string[]): Promise<{ parentId: string; node: ChannelNodeEntity }[]> {
  const raw: { parent_id: string }[] = await m.query(
    `SELECT l.owner_entity_id AS parent_id, n.*
           FROM entity_link l JOIN channel_node n ON n.entity_id = l.other_entity_id AND NOT n.deleted
           WHERE ${CHILD_LINK_SQL} AND l.owner_entity_id = ANY($1::bigint[])
           ORDER BY l.owner_entity_id, l.sort_order`, [parentIds]);
  const nodes = entitiesFromRows(m, ChannelNodeEntity, raw);
  return raw.map((r, i) => ({ parentId: String(r.parent_id), node: nodes[i] }));
}

/** Up to `limit` live products of each node after `afterKey`, in EntityId order. */
export async function productsOfNodes(m: EntityManager, nodeIds: readonly string[], afterKey: string, limit: number):
  Promise<{ nodeId: string; product: ProductEntity }[]> {
  // One LATERAL probe per node on channel_node_product's node index (channel_node_id, product_entity_id).
  const rows: { node_id: string }[] = await m.query(
    `SELECT n.id AS node_id, p.*
         FROM unnest($1::bigint[]) AS n(id)
         CROSS JOIN LATERAL (
           SELECT p.* FROM channel_node_product cp JOIN product p ON p.entity_id = cp.product_entity_id AND NOT p.deleted
           WHERE cp.channel_node_id = n.id AND cp.product_entity_id > $2::bigint
           ORDER BY cp.product_entity_id LIMIT $3) p`, [nodeIds, afterKey, limit]);
  const products = entitiesFromRows(m, ProductEntity, rows);
  return rows.map((r, i) => ({ nodeId: String(r.node_id), product: products[i] }));
}

/** Live products of each node. */
export async function productCountsOfNodes(q: Queryable, nodeIds: readonly string[]): Promise<Map<string, number>> {
  const countRows: { node_id: string; n: number }[] = await q.query(
    `SELECT cp.channel_node_id AS node_id, count(*)::int AS n
           FROM channel_node_product cp JOIN product p ON p.entity_id = cp.product_entity_id AND NOT p.deleted
           WHERE cp.channel_node_id = ANY($1::bigint[]) GROUP BY cp.channel_node_id`, [nodeIds]);
  return new Map(countRows.map((r) => [String(r.node_id), r.n]));
}

/** Every live node's attributes, and every live parent's child links in order: the export's category tree. */
export async function wholeTree(q: Queryable): Promise<{ nodes: { id: string; attributes: Record<string, unknown> }[]; edges: { parent: string; child: string }[] }> {
  const nodes: { id: string; attributes: Record<string, unknown> }[] = await q.query(
    'SELECT entity_id::text AS id, attributes FROM channel_node WHERE NOT deleted ORDER BY entity_id');
  const edges: { parent: string; child: string }[] = await q.query(
    `SELECT l.owner_entity_id::text AS parent, l.other_entity_id::text AS child
       FROM entity_link l JOIN channel_node pn ON pn.entity_id = l.owner_entity_id AND NOT pn.deleted
       WHERE l.owner_type = 'ChannelNode' AND l.direction = 'OUTBOUND' AND l.link_type_id = 'ChannelNodeChannelNodes'
         AND l.other_entity_type_id = 'ChannelNode'
       ORDER BY l.owner_entity_id, l.sort_order`);
  return { nodes, edges };
}

/**
 * Node-side membership claims (a node's ChannelNodeProduct links) the product side does not
 * confirm, and the reverse, for the entities `ids` only (nodes when `byNode`, else products), so
 * the cost follows the file, not the catalogue.
 */
export async function membershipDisagreements(q: Queryable, byNode: boolean, ids: string[]): Promise<{ node_only: number; product_only: number }> {
  // Each side is probed per id of the file through LATERAL subqueries (OFFSET 0 keeps the planner
  // from flattening them into joins), each probe written so that one index alone can serve it
  // (`x || ''` hides a column from the other index): plans that cannot turn into scans of whole
  // tables whatever the statistics say. Inside a load they describe the tables before it, and after
  // an interrupted load they can claim the tables are empty: every plan then looks equally cheap,
  // and one scanned every product per link, another every link per node.
  const [row] = await q.query(`
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
           (SELECT count(*) FROM (SELECT * FROM product_side EXCEPT SELECT * FROM node_side) b)::int AS product_only`, [ids]);
  return row;
}
