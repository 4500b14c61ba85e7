import { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { BusinessUnit } from '../config/business-unit';
import type { BuDataLoaders } from '../dataloaders/bu-dataloaders';
import { ChannelNodeEntity, EntityLinkEntity, ItemEntity, ResourceEntity } from '../entities';
import type { OwnerType } from '../entities/entity-types';
import type { ProductWith } from '../repositories/product.repository';
import { BusinessUnitArg } from './business-unit-arg.decorator';
import { RequestContext } from './request-context';
import { selectsField, selectsPath } from './selection';
import { ChannelNodeType, ItemConnection, ItemType, ProductConnection, ProductType } from './types/catalog.type';
import { EntityType, LinkDirection, LinkType, ResourceType } from './types/entity.type';
import { ItemFilterInput, ProductFilterInput } from './types/filters.input';
import { connection } from './types/page-info.type';

const toResource = (r: ResourceEntity): ResourceType =>
  Object.assign(new ResourceType(), { entityId: r.resourceEntityId, attributes: r.attributes, sortOrder: r.sortOrder });
const toLink = (l: EntityLinkEntity): LinkType => Object.assign(new LinkType(), {
  linkTypeId: l.linkTypeId, direction: l.direction as LinkDirection, otherEntityTypeId: l.otherEntityTypeId,
  otherEntityId: l.otherEntityId, sortOrder: l.sortOrder,
});

async function resourcesOf(ctx: RequestContext, e: EntityType, ownerType: OwnerType): Promise<ResourceType[]> {
  return (await ctx.dataloaders.forBu(e.bu).resourcesByOwner.load({ ownerType, entityId: e.entityId })).map(toResource);
}
async function linksOf(ctx: RequestContext, e: EntityType, ownerType: OwnerType): Promise<LinkType[]> {
  return (await ctx.dataloaders.forBu(e.bu).linksByOwner.load({ ownerType, entityId: e.entityId })).map(toLink);
}

/** A product's items: at once when its own statement read them, else through the request's DataLoader. */
export function itemsOf(p: ProductType, ctx: RequestContext, includeDeleted: boolean): ItemType[] | Promise<ItemType[]> {
  const toItem = (r: ItemEntity) => ItemType.from(p.bu, r);
  const preloaded = includeDeleted ? undefined : p.preloaded?.liveItems;
  if (preloaded) return preloaded.map(toItem);
  const loaders = ctx.dataloaders.forBu(p.bu);
  return (includeDeleted ? loaders.allItemsByProduct : loaders.liveItemsByProduct).load(p.entityId).then((rows) => rows.map(toItem));
}

/** A product's categories: at once when its own statement read them, else through the request's DataLoader. */
export function channelNodesOf(p: ProductType, ctx: RequestContext): ChannelNodeType[] | Promise<ChannelNodeType[]> {
  const toNode = (r: ChannelNodeEntity) => ChannelNodeType.from(p.bu, r);
  const preloaded = p.preloaded?.channelNodes;
  return preloaded ? preloaded.map(toNode) : ctx.dataloaders.forBu(p.bu).channelNodesByProduct.load(p.entityId).then((rows) => rows.map(toNode));
}

/** A product read with its items and categories: known to the request's DataLoaders, carrying its children. */
function servedProduct(loaders: BuDataLoaders, bu: BusinessUnit, r: ProductWith): ProductType {
  loaders.primeProduct(r);
  return ProductType.from(bu, r.product, r);
}

@Resolver(() => ProductType)
export class ProductResolver {
  @Query(() => ProductType, { nullable: true, description: 'One product by inRiver EntityId or by its ProductId attribute (exactly one of the two).' })
  async product(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('entityId', () => ID, { nullable: true }) entityId?: string | null,
    @Arg('productId', () => String, { nullable: true }) productId?: string | null,
    @Arg('includeDeleted', () => Boolean, { nullable: true, defaultValue: false }) includeDeleted?: boolean | null,
  ): Promise<ProductType | null> {
    // Items and categories the query shows come in the product's own statement (one round trip).
    const found = await ctx.services.products.getProduct(bu, { entityId, productId }, includeDeleted ?? false,
      { liveItems: selectsField(info, 'items'), channelNodes: selectsField(info, 'channelNodes') });
    return found && servedProduct(ctx.dataloaders.forBu(bu), bu, found);
  }

  @Query(() => ProductConnection, { description: 'Products in EntityId order, filtered, cursor-paged (first ≤ 1000).' })
  async products(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('filter', () => ProductFilterInput, { nullable: true }) filter?: ProductFilterInput | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ProductConnection> {
    const page = await ctx.services.products.listProducts(bu, filter ?? {}, first, after, {
      countTotal: selectsField(info, 'totalCount'),
      include: { liveItems: selectsPath(info, ['nodes', 'items']), channelNodes: selectsPath(info, ['nodes', 'channelNodes']) },
    });
    const loaders = ctx.dataloaders.forBu(bu);
    return connection(page, (r) => servedProduct(loaders, bu, r));
  }

  @FieldResolver(() => [ItemType], { description: "The product's items in delivered order." })
  items(@Root() p: ProductType, @Ctx() ctx: RequestContext,
    @Arg('includeDeleted', () => Boolean, { nullable: true, defaultValue: false }) includeDeleted?: boolean | null): ItemType[] | Promise<ItemType[]> {
    return itemsOf(p, ctx, includeDeleted ?? false);
  }

  @FieldResolver(() => [ResourceType], { description: "The product's own resources in display order." })
  resources(@Root() p: ProductType, @Ctx() ctx: RequestContext): Promise<ResourceType[]> {
    return resourcesOf(ctx, p, 'Product');
  }

  @FieldResolver(() => [ChannelNodeType], { description: "The product's categories, as its latest line states them." })
  channelNodes(@Root() p: ProductType, @Ctx() ctx: RequestContext): ChannelNodeType[] | Promise<ChannelNodeType[]> {
    return channelNodesOf(p, ctx);
  }

  @FieldResolver(() => [LinkType], { description: 'Every link of the product line (inbound and outbound) as delivered.' })
  links(@Root() p: ProductType, @Ctx() ctx: RequestContext): Promise<LinkType[]> {
    return linksOf(ctx, p, 'Product');
  }
}

@Resolver(() => ItemType)
export class ItemResolver {
  @Query(() => ItemType, { nullable: true, description: 'One item by inRiver EntityId.' })
  async item(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('entityId', () => ID) entityId: string,
    @Arg('includeDeleted', () => Boolean, { nullable: true, defaultValue: false }) includeDeleted?: boolean | null,
  ): Promise<ItemType | null> {
    const row = await ctx.services.products.getItem(bu, entityId, includeDeleted ?? false);
    return row && ItemType.from(bu, row);
  }

  @Query(() => ItemConnection, { description: 'Items in EntityId order, filtered, cursor-paged (first ≤ 1000).' })
  async items(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('filter', () => ItemFilterInput, { nullable: true }) filter?: ItemFilterInput | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ItemConnection> {
    const page = await ctx.services.products.listItems(bu, filter ?? {}, first, after, { countTotal: selectsField(info, 'totalCount') });
    return connection(page, (r) => ItemType.from(bu, r));
  }

  @FieldResolver(() => ProductType, { description: 'The product this item belongs to.' })
  async product(@Root() item: ItemType, @Ctx() ctx: RequestContext): Promise<ProductType> {
    const row = await ctx.dataloaders.forBu(item.bu).productById.load(item.productEntityId);
    if (!row) throw new Error(`item ${item.entityId} points at product ${item.productEntityId}, which is not stored`);
    return ProductType.from(item.bu, row);
  }

  @FieldResolver(() => [ResourceType], { description: "The item's resources in display order." })
  resources(@Root() i: ItemType, @Ctx() ctx: RequestContext): Promise<ResourceType[]> {
    return resourcesOf(ctx, i, 'Item');
  }

  @FieldResolver(() => [LinkType], { description: 'Every link of the item as delivered.' })
  links(@Root() i: ItemType, @Ctx() ctx: RequestContext): Promise<LinkType[]> {
    return linksOf(ctx, i, 'Item');
  }
}
