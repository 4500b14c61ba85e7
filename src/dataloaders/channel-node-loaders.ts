import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ChannelNodeEntity, ProductEntity } from '../entities';
import { childrenOf, liveNodesByIds, placementsOf, productCountsOfNodes, productsOfNodes } from '../repositories/channel-node.repository';
import { Page, checkPageSize, decodeCursor, toPage } from '../services/pagination';
import { groupBy } from './group-by';

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
      const nodes = await this.read((m) => liveNodesByIds(m, ids));
      const byId = new Map(nodes.map((n) => [n.entityId, n]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    this.placement = new DataLoader(async (ids) => {
      const rows = await this.read((m) => placementsOf(m, ids));
      const byChild = new Map(rows.map((r) => [String(r.child_id), { parentId: String(r.parent_id), sortOrder: r.position }]));
      return ids.map((id) => byChild.get(id) ?? { parentId: null, sortOrder: 0 });
    });
    this.children = new DataLoader(async (ids) => {
      const rows = await this.read((m) => childrenOf(m, ids));
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
      const rows = await productsOfNodes(m, ids, afterKey, size + 1);
      const counts = countTotal ? await productCountsOfNodes(m, ids) : new Map<string, number>();
      const groups = groupBy(rows, (r) => r.nodeId);
      return ids.map((id) => toPage((groups.get(id) ?? []).map((r) => r.product), size, countTotal ? counts.get(id) ?? 0 : Number.NaN,
        (p) => p.entityId));
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  private read<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.withBu(this.bu, fn, { readOnly: true });
  }
}
