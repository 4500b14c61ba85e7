import { Field, ID, InputType } from 'type-graphql';
import { DateTimeScalar } from './scalars';

@InputType('AttributeCondition', {
  description: 'Attribute equals value. Matches a plain value, a CVL key (single or one of a multi-select), '
    + 'a number or boolean written as text, or with `locale` the text of a LocaleString in that locale.',
})
export class AttributeConditionInput {
  @Field(() => String) attributeId!: string;
  @Field(() => String) value!: string;
  @Field(() => String, { nullable: true }) locale?: string | null;
}

@InputType('ProductFilter', { description: 'All given conditions must hold.' })
export class ProductFilterInput {
  @Field(() => [ID], { nullable: true }) entityIds?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'ProductId attribute values.' }) productIds?: string[] | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Changed at or after this time.' }) updatedSince?: Date | null;
  @Field(() => ID, { nullable: true, description: 'Member of this channel node (category).' }) channelNodeId?: string | null;
  @Field(() => String, { nullable: true, description: 'Last changed by this file (full URI).' }) sourceFile?: string | null;
  @Field(() => [AttributeConditionInput], { nullable: true, description: 'All must hold.' }) attributeEquals?: AttributeConditionInput[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Include deleted products.' }) includeDeleted?: boolean | null;
}

@InputType('ItemFilter', { description: 'All given conditions must hold.' })
export class ItemFilterInput {
  @Field(() => [ID], { nullable: true }) entityIds?: string[] | null;
  @Field(() => [ID], { nullable: true, description: 'Items of these products.' }) productEntityIds?: string[] | null;
  @Field(() => DateTimeScalar, { nullable: true }) updatedSince?: Date | null;
  @Field(() => [AttributeConditionInput], { nullable: true }) attributeEquals?: AttributeConditionInput[] | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false }) includeDeleted?: boolean | null;
}
