import DataLoader from 'dataloader';
import { EntityTarget } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ChannelNodeEntity, EntityLinkEntity, ItemEntity, ProductEntity, ResourceEntity } from '../entities';
import type { OwnerType } from '../entities/entity-types';
import { ProductChildren, ProductIncludes, ProductWith, childrenOfProducts, productsByIds } from '../repositories/product.repository';
import { rowsOfOwners } from '../repositories/resource-link.repository';
import { ChannelNodeLoaders } from './channel-node-loaders';
import { groupBy } from './group-by';

export interface OwnerKey {
  ownerType: OwnerType;
  entityId: string;
}

const ownerKey = (k: OwnerKey) => `${k.ownerType}:${k.entityId}`;

/**
 * Per-request, per-BU batching for every field that crosses a table: one SQL statement per field
 * per level of the query, whatever the number of parents. Created fresh for each request, so
 * nothing cached outlives it or crosses to another BU.
 */
export class BuDataLoaders {
  readonly productById: DataLoader<string, ProductEntity | null>;
  readonly liveItemsByProduct: DataLoader<string, ItemEntity[]>;
  readonly allItemsByProduct: DataLoader<string, ItemEntity[]>;
  readonly resourcesByOwner: DataLoader<OwnerKey, ResourceEntity[], string>;
  readonly linksByOwner: DataLoader<OwnerKey, EntityLinkEntity[], string>;
  readonly channelNodesByProduct: DataLoader<string, ChannelNodeEntity[]>;
  /** The category tree: parent, position, children, a node's products. */
  readonly channel: ChannelNodeLoaders;

  constructor(private readonly db: Database, private readonly bu: BusinessUnit) {
    this.channel = new ChannelNodeLoaders(db, bu);
    this.productById = new DataLoader(async (ids) => {
      const rows = await this.read((m) => productsByIds(m, ids));
      const byId = new Map(rows.map((r) => [r.entityId, r]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    // The same children, by the same SQL, as a product or a page reads them in its own statement.
    const childrenBy = <K extends keyof ProductChildren>(kind: K) => new DataLoader<string, NonNullable<ProductChildren[K]>>(async (ids) => {
      const children = await this.read((m) => childrenOfProducts(m, ids, { [kind]: true } as ProductIncludes));
      return ids.map((id) => children.get(id)?.[kind] ?? []);
    });
    this.liveItemsByProduct = childrenBy('liveItems');
    this.allItemsByProduct = childrenBy('allItems');
    this.resourcesByOwner = new DataLoader(this.ownedBy(ResourceEntity, 'resource', ['sort_order']), { cacheKeyFn: ownerKey });
    this.linksByOwner = new DataLoader(this.ownedBy(EntityLinkEntity, 'entity_link', ['direction', 'sort_order']), { cacheKeyFn: ownerKey });
    this.channelNodesByProduct = childrenBy('channelNodes');
  }

  /**
   * A product the request has read: reached again (an item's product), it needs no statement. Its
   * items and categories read with it travel on its ProductType (`preloaded`) instead.
   */
  primeProduct(p: ProductWith): void {
    this.productById.prime(p.product.entityId, p.product);
  }

  /** Rows of a nested table by owner (one index probe per owner: rowsOfOwners). */
  private ownedBy<T extends { ownerType: OwnerType; ownerEntityId: string }>(entity: EntityTarget<T>, table: 'resource' | 'entity_link', order: string[]) {
    return async (keys: readonly OwnerKey[]): Promise<T[][]> => {
      const rows = await this.read((m) => rowsOfOwners(m, entity, table, order, keys));
      const groups = groupBy(rows, (r) => ownerKey({ ownerType: r.ownerType, entityId: r.ownerEntityId }));
      return keys.map((k) => groups.get(ownerKey(k)) ?? []);
    };
  }

  private read<T>(fn: Parameters<Database['withBu']>[1] extends (m: infer M) => unknown ? (m: M) => Promise<T> : never): Promise<T> {
    return this.db.withBu(this.bu, fn, { readOnly: true });
  }
}

/** The request's DataLoaders, one set per BU the request touches. */
export class DataLoaderRegistry {
  private readonly byBu = new Map<string, BuDataLoaders>();

  constructor(private readonly db: Database) {}

  private readonly others = new Map<string, unknown>();

  forBu(bu: BusinessUnit): BuDataLoaders {
    let loaders = this.byBu.get(bu.code);
    if (!loaders) this.byBu.set(bu.code, (loaders = new BuDataLoaders(this.db, bu)));
    return loaders;
  }

  /** A loader kept elsewhere (e.g. history), created once per request, BU and name. */
  named<T>(bu: BusinessUnit, name: string, create: () => T): T {
    const key = `${bu.code}\u0000${name}`;
    if (!this.others.has(key)) this.others.set(key, create());
    return this.others.get(key) as T;
  }
}
