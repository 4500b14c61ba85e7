import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ChannelNodeEntity, ProductEntity } from '../entities';
import { entitiesFromRows } from '../db/entity-rows';
import { CHILD_LINK_SQL } from '../services/channel-node.service';
import { groupBy } from './group-by';
import { Page, checkPageSize, decodeCursor, toPage } from '../services/pagination';

/** Where a node hangs: its live parent and its 0-based position among that parent's children. */
export interface NodePlacement {
  parentId: string | null;
  sortOrder: number;
}

export interface NodeProductsArgs {
  first: number | null | undefined;
  after: string | null | undefined;
  countTotal: boolean;
}

/**
 * Per-request batching for the category tree: parent, position, children, and a page of a node's
 * products, one statement per field and level whatever the number of nodes. Deleted nodes and
 * deleted products are never returned.
 */
export class ChannelNodeLoaders {
  readonly nodeById: DataLoader<string, ChannelNodeEntity | null>;
  readonly placement: DataLoader<string, NodePlacement>;
  readonly children: DataLoader<string, ChannelNodeEntity[]>;
  private readonly productPages = new Map<string, DataLoader<string, Page<ProductEntity>>>();

  constructor(private readonly db: Database, private readonly bu: BusinessUnit) {
    this.nodeById = new DataLoader(async (ids) => {
      const nodes = await this.read(async (m) => entitiesFromRows(m, ChannelNodeEntity, await m.query(
        'SELECT n.* FROM channel_node n WHERE n.entity_id = ANY($1::bigint[]) AND NOT n.deleted', [ids])));
      const byId = new Map(nodes.map((n) => [n.entityId, n]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    this.placement = new DataLoader(async (ids) => {
      // A node listed under several parents (the channel file allows it) takes the lowest parent id;
      // its position counts only the parent's ChannelNodeChannelNodes links before it.
      const rows: { child_id: string; parent_id: string; position: number }[] = await this.read((m) => m.query(
        `SELECT DISTINCT ON (l.other_entity_id) l.other_entity_id AS child_id, l.owner_entity_id AS parent_id,
           (SELECT count(*) FROM entity_link s WHERE s.owner_type = 'ChannelNode' AND s.owner_entity_id = l.owner_entity_id
              AND s.direction = 'OUTBOUND' AND s.link_type_id = 'ChannelNodeChannelNodes'
              AND s.other_entity_type_id = 'ChannelNode' AND s.sort_order < l.sort_order)::int AS position
         FROM entity_link l JOIN channel_node p ON p.entity_id = l.owner_entity_id AND NOT p.deleted
         WHERE ${CHILD_LINK_SQL} AND l.other_entity_id = ANY($1::bigint[])
         ORDER BY l.other_entity_id, l.owner_entity_id, l.sort_order`, [ids]));
      const byChild = new Map(rows.map((r) => [String(r.child_id), { parentId: String(r.parent_id), sortOrder: r.position }]));
      return ids.map((id) => byChild.get(id) ?? { parentId: null, sortOrder: 0 });
    });
    this.children = new DataLoader(async (ids) => {
      const rows = await this.read(async (m) => {
        const raw: { parent_id: string }[] = await m.query(
          `SELECT l.owner_entity_id AS parent_id, n.*
           FROM entity_link l JOIN channel_node n ON n.entity_id = l.other_entity_id AND NOT n.deleted
           WHERE ${CHILD_LINK_SQL} AND l.owner_entity_id = ANY($1::bigint[])
           ORDER BY l.owner_entity_id, l.sort_order`, [ids]);
        const nodes = entitiesFromRows(m, ChannelNodeEntity, raw);
        return raw.map((r, i) => ({ parentId: String(r.parent_id), node: nodes[i] }));
      });
      const groups = groupBy(rows, (r) => r.parentId);
      // A child listed twice keeps its first position.
      const firstOnly = (group: typeof rows) => {
        const seen = new Set<string>();
        return group.filter((r) => !seen.has(r.node.entityId) && seen.add(r.node.entityId));
      };
      return ids.map((id) => firstOnly(groups.get(id) ?? []).map((r) => r.node));
    });
  }

  /** A page of a node's live products in EntityId order (membership from the product side). */
  products(nodeId: string, args: NodeProductsArgs): Promise<Page<ProductEntity>> {
    const size = checkPageSize(args.first, 100);
    const afterKey = decodeCursor(args.after) ?? '0';
    const key = `${size}\u0000${afterKey}\u0000${args.countTotal}`;
    let loader = this.productPages.get(key);
    if (!loader) this.productPages.set(key, (loader = new DataLoader((ids) => this.productPagesOf(ids, size, afterKey, args.countTotal))));
    return loader.load(nodeId);
  }

  private async productPagesOf(ids: readonly string[], size: number, afterKey: string, countTotal: boolean): Promise<Page<ProductEntity>[]> {
    return this.db.withBu(this.bu, async (m) => {
      // One LATERAL probe per node on channel_node_product's node index (channel_node_id, product_entity_id).
      const rows: { node_id: string }[] = await m.query(
        `SELECT n.id AS node_id, p.*
         FROM unnest($1::bigint[]) AS n(id)
         CROSS JOIN LATERAL (
           SELECT p.* FROM channel_node_product cp JOIN product p ON p.entity_id = cp.product_entity_id AND NOT p.deleted
           WHERE cp.channel_node_id = n.id AND cp.product_entity_id > $2::bigint
           ORDER BY cp.product_entity_id LIMIT $3) p`, [ids, afterKey, size + 1]);
      const counts = new Map<string, number>();
      if (countTotal) {
        const countRows: { node_id: string; n: number }[] = await m.query(
          `SELECT cp.channel_node_id AS node_id, count(*)::int AS n
           FROM channel_node_product cp JOIN product p ON p.entity_id = cp.product_entity_id AND NOT p.deleted
           WHERE cp.channel_node_id = ANY($1::bigint[]) GROUP BY cp.channel_node_id`, [ids]);
        for (const r of countRows) counts.set(String(r.node_id), r.n);
      }
      const products = entitiesFromRows(m, ProductEntity, rows);
      const groups = groupBy(rows.map((r, i) => ({ nodeId: String(r.node_id), product: products[i] })), (r) => r.nodeId);
      return ids.map((id) => toPage((groups.get(id) ?? []).map((r) => r.product), size, countTotal ? counts.get(id) ?? 0 : Number.NaN,
        (p) => p.entityId));
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  private read<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.withBu(this.bu, fn, { readOnly: true });
  }
}
