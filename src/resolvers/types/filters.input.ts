import { Field, ID, InputType } from 'type-graphql';
import { DateTimeScalar } from './scalars';

@InputType('AttributeCondition', {
  description: 'Attribute equals value. Matches a plain value, a CVL key (single or one of a multi-select), '
    + 'a number or boolean written as text, or with `locale` the text of a LocaleString in that locale.',
})
export class AttributeConditionInput {
  @Field(() => String, { description: 'AttributeId, e.g. ProductMainSupplier (see attributeDefinitions).' }) attributeId!: string;
  @Field(() => String, { description: 'The value as text: the text, the CVL key, or a number or true/false.' }) value!: string;
  @Field(() => String, {
    nullable: true,
    description: 'For LocaleString attributes: matches the text `attribute(id, locale)` shows (that locale, else its language, else "en").',
  }) locale?: string | null;
}

@InputType('ProductFilter', { description: 'All given conditions must hold.' })
export class ProductFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only these EntityIds.' }) entityIds?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'ProductId attribute values.' }) productIds?: string[] | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Changed at or after this time.' }) updatedSince?: Date | null;
  @Field(() => ID, { nullable: true, description: 'Direct member of this channel node (category), as the product lines state it.' }) channelNodeId?: string | null;
  @Field(() => String, { nullable: true, description: 'Last changed by this file: its full URI or its key in the source.' }) sourceFile?: string | null;
  @Field(() => [AttributeConditionInput], { nullable: true, description: 'All must hold.' }) attributeEquals?: AttributeConditionInput[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Include deleted products.' }) includeDeleted?: boolean | null;
}

@InputType('ItemFilter', { description: 'All given conditions must hold.' })
export class ItemFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only these EntityIds.' }) entityIds?: string[] | null;
  @Field(() => [ID], { nullable: true, description: 'Items of these products (product EntityIds).' }) productEntityIds?: string[] | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Changed at or after this time.' }) updatedSince?: Date | null;
  @Field(() => [AttributeConditionInput], { nullable: true, description: 'All must hold.' }) attributeEquals?: AttributeConditionInput[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Include deleted items.' }) includeDeleted?: boolean | null;
}
