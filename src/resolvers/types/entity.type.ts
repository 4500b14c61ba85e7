import { Field, ID, InterfaceType, ObjectType, Int, registerEnumType } from 'type-graphql';
import { BusinessUnit } from '../../config/business-unit';
import type { TrackedEntity } from '../../entities/tracked-entity';
import { DateTimeScalar, JSONScalar } from './scalars';

/** Fields every loaded inRiver entity shares. `bu` is not exposed: field resolvers route by it. */
@InterfaceType('Entity', { description: 'An inRiver entity (product, item or channel node) as accumulated from the delta files.' })
export abstract class EntityType {
  bu!: BusinessUnit;

  @Field(() => ID, { description: "inRiver's EntityId (unique per entity type)." })
  entityId!: string;

  @Field(() => String, { description: 'inRiver EntityTypeId: Product, Item or ChannelNode.' })
  entityTypeId!: string;

  @Field(() => String, { nullable: true, description: 'inRiver FieldSetId, if any.' })
  fieldSetId!: string | null;

  @Field(() => JSONScalar, { description: 'The attribute map exactly as delivered in the latest line (AttributeId → value).' })
  attributes!: Record<string, unknown>;

  @Field(() => Boolean, { description: 'True once a delete record arrived (hidden from lists unless includeDeleted).' })
  deleted!: boolean;

  @Field(() => DateTimeScalar, { description: 'When the file that last changed this entity was applied.' })
  updatedAt!: Date;

  @Field(() => String, { description: 'Full URI of the file that last changed this entity.' })
  sourceFile!: string;

  @Field(() => ID, { description: 'The load event (file_complete) that last changed this entity.' })
  eventId!: string;
}

export function assignTracked<T extends EntityType>(target: T, bu: BusinessUnit, entityTypeId: string, e: TrackedEntity & { entityId: string }): T {
  return Object.assign(target, {
    bu, entityId: e.entityId, entityTypeId, fieldSetId: e.fieldSetId, attributes: e.attributes, deleted: e.deleted,
    updatedAt: e.updatedAt, sourceFile: e.sourceFile, eventId: e.eventId,
  });
}

export enum LinkDirection { INBOUND = 'INBOUND', OUTBOUND = 'OUTBOUND' }
registerEnumType(LinkDirection, {
  name: 'LinkDirection',
  description: 'Which side of the link the owner is on.',
  valuesConfig: {
    INBOUND: { description: 'From the owner line\'s InboundLinks: the other entity is the source.' },
    OUTBOUND: { description: 'From the owner line\'s OutboundLinks: the other entity is the target.' },
  },
});

@ObjectType('Link', { simpleResolvers: true, description: 'A link as delivered on its owner line (array order is the sort order).' })
export class LinkType {
  @Field(() => String, { description: 'inRiver LinkTypeId, e.g. ChannelNodeProduct.' }) linkTypeId!: string;
  @Field(() => LinkDirection, { description: 'INBOUND or OUTBOUND, as delivered on the owner line.' }) direction!: LinkDirection;
  @Field(() => String, { description: 'EntityTypeId of the entity at the other end.' }) otherEntityTypeId!: string;
  @Field(() => ID, { description: 'EntityId of the entity at the other end.' }) otherEntityId!: string;
  @Field(() => Int, { description: 'Position in the delivered array (0-based).' }) sortOrder!: number;
}

@ObjectType('Resource', { simpleResolvers: true, description: 'A resource (image, document) nested in a product or item line; array order is display order.' })
export class ResourceType {
  @Field(() => ID, { description: "The resource's inRiver EntityId." }) entityId!: string;
  @Field(() => JSONScalar, { description: 'Resource attributes as delivered (ResourceFilename, ResourceMIMEType, …).' }) attributes!: Record<string, unknown>;
  @Field(() => Int, { description: 'Display order (0-based).' }) sortOrder!: number;
}
