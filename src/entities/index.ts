import { AttributeDefinitionEntity } from './attribute-definition.entity';
import { ChannelNodeProductEntity } from './channel-node-product.entity';
import { ChannelNodeEntity } from './channel-node.entity';
import { EntityLinkEntity } from './entity-link.entity';
import { ItemEntity } from './item.entity';
import { LoadEventEntity } from './load-event.entity';
import { ProductEntity } from './product.entity';
import { QuarantinedLineEntity } from './quarantined-line.entity';
import { ResourceEntity } from './resource.entity';

export const ALL_ENTITIES = [
  AttributeDefinitionEntity, ChannelNodeProductEntity, ChannelNodeEntity, EntityLinkEntity,
  ItemEntity, LoadEventEntity, ProductEntity, QuarantinedLineEntity, ResourceEntity,
];
export {
  AttributeDefinitionEntity, ChannelNodeProductEntity, ChannelNodeEntity, EntityLinkEntity,
  ItemEntity, LoadEventEntity, ProductEntity, QuarantinedLineEntity, ResourceEntity,
};
