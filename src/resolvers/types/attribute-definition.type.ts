import { Field, Int, ObjectType } from 'type-graphql';
import { AttributeDefinitionEntity } from '../../entities';
import { JSONScalar } from './scalars';

@ObjectType('AttributeDefinition', {
  description: 'One attribute of an entity type as the AttributeFile (SHARED/AttributeFile.json) last defined it: '
    + 'what the values in `attributes` mean.',
})
export class AttributeDefinitionType {
  @Field(() => String, { description: 'Entity type the attribute belongs to: Channel, ChannelNode, Product, Item or Resource.' })
  entityTypeId!: string;

  @Field(() => String, { description: 'The key of the value in an entity\'s `attributes`, e.g. ProductShortDescription.' })
  attributeId!: string;

  @Field(() => String, { description: 'inRiver DataType: String, LocaleString, Boolean, Integer, Double, CVLString, File, …' })
  dataType!: string;

  @Field(() => JSONScalar, { description: 'Display names by locale, e.g. {"en": "Short Description", "fr-CA": "Description courte"}.' })
  names!: Record<string, string>;

  @Field(() => Int, { nullable: true, description: 'Position in inRiver\'s attribute order, if given.' })
  sortOrder!: number | null;

  @Field(() => Boolean, { description: 'True for multi-select CVLs: values come as {"keys": [...], "values": [...]}.' })
  isMultiValue!: boolean;

  @Field(() => JSONScalar, { nullable: true, description: 'For CVL attributes: the allowed keys and their display values ({key: value}); null otherwise.' })
  allowedValues!: Record<string, string> | null;

  @Field(() => JSONScalar, { nullable: true, description: 'The field sets that show the attribute, as delivered (AvailableFieldsets).' })
  fieldsets!: unknown;

  static from(e: AttributeDefinitionEntity): AttributeDefinitionType {
    return Object.assign(new AttributeDefinitionType(), {
      entityTypeId: e.entityTypeId, attributeId: e.attributeId, dataType: e.dataType, names: e.names, sortOrder: e.sortOrder,
      isMultiValue: e.isMultiValue, allowedValues: e.allowedValues, fieldsets: e.fieldsets,
    });
  }
}
