import { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { BusinessUnit } from '../config/business-unit';
import { attributeValue } from './attribute-value';
import { BusinessUnitArg } from './business-unit-arg.decorator';
import { RequestContext } from './request-context';
import { selectsField } from './selection';
import { ChannelNodeConnection, ChannelNodeType, ProductConnection, ProductType } from './types/catalog.type';
import { connection } from './types/page-info.type';

/** The node's ChannelNodeName in the locale (falling back to its language, then "en"). */
export function channelNodeName(node: ChannelNodeType, locale?: string | null): string | null {
  const v = attributeValue(node.attributes, 'ChannelNodeName', locale ?? 'en');
  return typeof v === 'string' ? v : null;
}

@Resolver(() => ChannelNodeType)
export class ChannelNodeResolver {
  @Query(() => ChannelNodeType, { nullable: true, description: 'One channel node (category) by inRiver EntityId; null if unknown or deleted.' })
  async channelNode(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('reader', { description: 'Business unit code (see businessUnits).' }) bu: BusinessUnit,
    @Arg('entityId', () => ID, { description: "The node's inRiver EntityId." }) entityId: string,
  ): Promise<ChannelNodeType | null> {
    const row = await ctx.services.channelNodes.getNode(bu, entityId);
    return row && ChannelNodeType.from(bu, row);
  }

  @Query(() => ChannelNodeConnection, { description: 'Channel nodes in EntityId order, cursor-paged (first ≤ 1000). Walk the tree from the roots with `children`.' })
  async channelNodes(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @BusinessUnitArg('reader', { description: 'Business unit code (see businessUnits).' }) bu: BusinessUnit,
    @Arg('rootsOnly', () => Boolean, { nullable: true, defaultValue: false, description: 'Only the top of the tree: nodes no live node lists as a child.' }) rootsOnly?: boolean | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100, description: 'Page size, at most 1000.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<ChannelNodeConnection> {
    const page = await ctx.services.channelNodes.listNodes(bu, { rootsOnly, countTotal: selectsField(info, 'totalCount') }, first, after);
    return connection(page, (r) => ChannelNodeType.from(bu, r));
  }

  @FieldResolver(() => String, { nullable: true, description: 'ChannelNodeName in the locale (falling back to its language, then "en").' })
  name(@Root() node: ChannelNodeType, @Arg('locale', () => String, { nullable: true, defaultValue: 'en', description: 'e.g. en, es, fr-CA.' }) locale?: string | null): string | null {
    return channelNodeName(node, locale);
  }

  @FieldResolver(() => ChannelNodeType, { nullable: true, description: 'The live node that lists this one as a child (ChannelNodeChannelNodes); null for a root.' })
  async parent(@Root() node: ChannelNodeType, @Ctx() ctx: RequestContext): Promise<ChannelNodeType | null> {
    const loaders = ctx.dataloaders.forBu(node.bu).channel;
    const { parentId } = await loaders.placement.load(node.entityId);
    const row = parentId ? await loaders.nodeById.load(parentId) : null;
    return row && ChannelNodeType.from(node.bu, row);
  }

  @FieldResolver(() => [ChannelNodeType], { description: 'Live child nodes in the order the channel file lists them.' })
  async children(@Root() node: ChannelNodeType, @Ctx() ctx: RequestContext): Promise<ChannelNodeType[]> {
    const rows = await ctx.dataloaders.forBu(node.bu).channel.children.load(node.entityId);
    return rows.map((r) => ChannelNodeType.from(node.bu, r));
  }

  @FieldResolver(() => ProductConnection, {
    description: 'Live products in this category (membership as the product lines state it), EntityId order, cursor-paged (first ≤ 1000).',
  })
  async products(
    @Root() node: ChannelNodeType,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100, description: 'Page size, at most 1000.' }) first?: number | null,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<ProductConnection> {
    const page = await ctx.dataloaders.forBu(node.bu).channel.products(node.entityId, { first, after, countTotal: selectsField(info, 'totalCount') });
    return connection(page, (r) => ProductType.from(node.bu, r));
  }

  @FieldResolver(() => Int, { description: 'Position under its parent (0-based, in the parent\'s list of children); 0 for a root.' })
  async sortOrder(@Root() node: ChannelNodeType, @Ctx() ctx: RequestContext): Promise<number> {
    return (await ctx.dataloaders.forBu(node.bu).channel.placement.load(node.entityId)).sortOrder;
  }
}
