import { Arg, FieldResolver, Resolver, Root } from 'type-graphql';
import { attributeValue } from './attribute-value';
import { ChannelNodeType } from './types/catalog.type';

@Resolver(() => ChannelNodeType)
export class ChannelNodeResolver {
  @FieldResolver(() => String, { nullable: true, description: 'ChannelNodeName in the locale (falling back to its language, then "en").' })
  name(@Root() node: ChannelNodeType, @Arg('locale', () => String, { nullable: true, defaultValue: 'en' }) locale?: string | null): string | null {
    const v = attributeValue(node.attributes, 'ChannelNodeName', locale ?? 'en');
    return typeof v === 'string' ? v : null;
  }
}
