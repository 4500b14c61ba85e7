import { Field, Int, ObjectType } from 'type-graphql';
import { BusinessUnit } from '../../config/business-unit';
import { ChannelNodeEntity, ItemEntity, ProductEntity } from '../../entities';
import { EntityType, assignTracked } from './entity.type';
import { PageInfo } from './page-info.type';

@ObjectType('Product', { simpleResolvers: true, implements: EntityType, description: 'An inRiver product with its items, resources and categories.' })
export class ProductType extends EntityType {
  @Field(() => String, { nullable: true, description: 'The ProductId attribute: the business key downstream systems know.' })
  productId!: string | null;

  /** Children read in the product's own statement (a page, product(entityId)): its fields answer from these. */
  preloaded?: { liveItems?: ItemEntity[]; channelNodes?: ChannelNodeEntity[] };

  static from(bu: BusinessUnit, e: ProductEntity, preloaded?: ProductType['preloaded']): ProductType {
    return Object.assign(assignTracked(new ProductType(), bu, 'Product', e), { productId: e.productId, preloaded });
  }
}

@ObjectType('Item', { simpleResolvers: true, implements: EntityType, description: 'An inRiver item (SKU), nested in its product.' })
export class ItemType extends EntityType {
  productEntityId!: string;

  @Field(() => Int, { description: 'Position of the item in its product line (0-based).' })
  sortOrder!: number;

  static from(bu: BusinessUnit, e: ItemEntity): ItemType {
    return Object.assign(assignTracked(new ItemType(), bu, 'Item', e), { sortOrder: e.sortOrder, productEntityId: e.productEntityId });
  }
}

@ObjectType('ChannelNode', {
  simpleResolvers: true,
  implements: EntityType,
  description: 'A category of the channel tree (a ChannelNode line of the BU\'s channel file). Deleted nodes are not served.',
})
export class ChannelNodeType extends EntityType {
  static from(bu: BusinessUnit, e: ChannelNodeEntity): ChannelNodeType {
    return assignTracked(new ChannelNodeType(), bu, 'ChannelNode', e);
  }
}

@ObjectType('ProductConnection', { simpleResolvers: true, description: 'A page of products in EntityId order.' })
export class ProductConnection {
  @Field(() => [ProductType], { description: 'The products of this page.' }) nodes!: ProductType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many products match the filter, over all pages.' }) totalCount!: number;
}

@ObjectType('ItemConnection', { simpleResolvers: true, description: 'A page of items in EntityId order.' })
export class ItemConnection {
  @Field(() => [ItemType], { description: 'The items of this page.' }) nodes!: ItemType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many items match the filter, over all pages.' }) totalCount!: number;
}

@ObjectType('ChannelNodeConnection', { simpleResolvers: true, description: 'A page of channel nodes in EntityId order.' })
export class ChannelNodeConnection {
  @Field(() => [ChannelNodeType], { description: 'The nodes of this page.' }) nodes!: ChannelNodeType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many nodes match, over all pages.' }) totalCount!: number;
}
