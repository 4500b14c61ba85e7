import { AttributeDefinitionEntity } from './attribute-definition.entity';
import { ChannelNodeProductEntity } from './channel-node-product.entity';
import { ChannelNodeEntity } from './channel-node.entity';
import { CsvTemplateColumnEntity } from './csv-template-column.entity';
import { CsvTemplateEntity } from './csv-template.entity';
import { DecoratorEntity } from './decorator.entity';
import { EntityLinkEntity } from './entity-link.entity';
import { ExportJobEntity } from './export-job.entity';
import { FieldMappingEntity } from './field-mapping.entity';
import { ItemEntity } from './item.entity';
import { LoadEventEntity } from './load-event.entity';
import { ProductEntity } from './product.entity';
import { QuarantinedLineEntity } from './quarantined-line.entity';
import { ResourceEntity } from './resource.entity';

export const ALL_ENTITIES = [
  AttributeDefinitionEntity, ChannelNodeProductEntity, ChannelNodeEntity, EntityLinkEntity,
  ItemEntity, LoadEventEntity, ProductEntity, QuarantinedLineEntity, ResourceEntity,
  CsvTemplateEntity, CsvTemplateColumnEntity, FieldMappingEntity, DecoratorEntity, ExportJobEntity,
];
export {
  AttributeDefinitionEntity, ChannelNodeProductEntity, ChannelNodeEntity, EntityLinkEntity,
  ItemEntity, LoadEventEntity, ProductEntity, QuarantinedLineEntity, ResourceEntity,
  CsvTemplateEntity, CsvTemplateColumnEntity, FieldMappingEntity, DecoratorEntity, ExportJobEntity,
};
