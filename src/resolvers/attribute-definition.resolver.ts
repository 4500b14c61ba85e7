import { Arg, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { BusinessUnit } from '../config/business-unit';
import { localeText } from './attribute-value';
import { BusinessUnitArg } from './business-unit-arg.decorator';
import { RequestContext } from './request-context';
import { AttributeDefinitionType } from './types/attribute-definition.type';

@Resolver(() => AttributeDefinitionType)
export class AttributeDefinitionResolver {
  @Query(() => [AttributeDefinitionType], {
    description: 'The attribute schema (from SHARED/AttributeFile.json): by entity type, then inRiver sort order.',
  })
  async attributeDefinitions(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('reader', { description: 'Business unit code (see businessUnits).' }) bu: BusinessUnit,
    @Arg('entityTypeId', () => String, { nullable: true, description: 'Only this entity type (Product, Item, ChannelNode, Resource, Channel).' }) entityTypeId?: string | null,
  ): Promise<AttributeDefinitionType[]> {
    // Read once per request however often it is aliased (the cost limit still counts each alias).
    const rows = await ctx.dataloaders.named(bu, `attributeDefinitions:${JSON.stringify(entityTypeId ?? null)}`, () => ctx.services.attributeDefinitions.list(bu, entityTypeId));
    return rows.map(AttributeDefinitionType.from);
  }

  @FieldResolver(() => String, { nullable: true, description: 'Display name in the locale, falling back to its language (fr-CA → fr), then "en".' })
  name(@Root() def: AttributeDefinitionType, @Arg('locale', () => String, { nullable: true, defaultValue: 'en', description: 'e.g. en, es, fr-CA.' }) locale?: string | null): string | null {
    return localeText(def.names ?? {}, locale ?? 'en');
  }
}
