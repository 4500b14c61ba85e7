import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { HistoryRow } from '../../repositories/entity-history.repository';
import { LoadEventType } from './load.type';
import { PageInfo } from './page-info.type';
import { DateTimeScalar, JSONScalar } from './scalars';

export enum ChangeOperationEnum { INSERT = 'INSERT', UPDATE = 'UPDATE', DELETE = 'DELETE' }
registerEnumType(ChangeOperationEnum, {
  name: 'ChangeOperation',
  description: 'What a change did to an entity.',
  valuesConfig: {
    INSERT: { description: 'A new entity was stored.' },
    UPDATE: { description: 'A stored entity changed.' },
    DELETE: { description: 'A stored entity went away (its version has no content).' },
  },
});

@ObjectType('EntityVersion', { description: 'One change of an entity: the event that made it and the stored content after it.' })
export class EntityVersionType {
  @Field(() => ID, { description: 'The load event that made the change (a FILE_COMPLETE, or a REPLAY that put the entity back).' }) eventId!: string;
  @Field(() => String, { description: 'The file of that event.' }) sourceFile!: string;
  @Field(() => ChangeOperationEnum, { description: 'What the change did.' }) operation!: ChangeOperationEnum;
  @Field(() => DateTimeScalar, { description: 'When the change was applied.' }) changedAt!: Date;
  @Field(() => JSONScalar, {
    nullable: true,
    description: 'The stored row after the change (columns in snake_case, with nested resources, links and, for products, membership); null for a delete.',
  })
  content!: unknown;

  static from(h: HistoryRow): EntityVersionType {
    return Object.assign(new EntityVersionType(), {
      eventId: h.eventId, sourceFile: h.sourceFile, operation: h.operation as ChangeOperationEnum, changedAt: h.changedAt,
      content: h.operation === 'DELETE' ? null : h.content,
    });
  }
}

@ObjectType('Change', { description: 'An entity that changed, for systems that sync incrementally (then fetch the entity itself).' })
export class ChangeType {
  @Field(() => String, { description: 'Product, Item, ChannelNode or AttributeDefinition.' }) entityTypeId!: string;
  @Field(() => ID, { description: 'EntityId ("EntityTypeId/AttributeId" for attribute definitions).' }) entityId!: string;
  @Field(() => ChangeOperationEnum, { description: 'What the change did.' }) operation!: ChangeOperationEnum;
  @Field(() => ID, { description: 'The load event that made the change.' }) eventId!: string;
  @Field(() => DateTimeScalar, { description: 'When the change was applied.' }) changedAt!: Date;

  static from(h: HistoryRow): ChangeType {
    return Object.assign(new ChangeType(), {
      entityTypeId: h.entityType, entityId: h.entityKey, operation: h.operation as ChangeOperationEnum, eventId: h.eventId, changedAt: h.changedAt,
    });
  }
}

@ObjectType('ChangeConnection', { description: 'Changes in event order. Keep pageInfo.endCursor and pass it as `after` next time.' })
export class ChangeConnection {
  @Field(() => [ChangeType], { description: 'The changes of this page.' }) nodes!: ChangeType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
}

@ObjectType('ReplayResult', { description: 'What a replay marked (or would mark, in a dry run) and which files the loader applies again.' })
export class ReplayResultType {
  @Field(() => Boolean, { description: 'True if nothing was changed (only reported).' }) dryRun!: boolean;
  @Field(() => Int, { description: 'Events marked with replayDate (the starting event and every later valid one).' }) markedEvents!: number;
  @Field(() => LoadEventType, { description: 'The event the replay starts from.' }) fromEvent!: LoadEventType;
  @Field(() => [String], { description: 'Files applied again, in order, as they are in the source now.' }) filesToReplay!: string[];
}
