import { Arg, FieldResolver, Resolver, Root } from 'type-graphql';
import { attributeValue } from './attribute-value';
import { EntityType, ResourceType } from './types/entity.type';
import { JSONScalar } from './types/scalars';

const ATTRIBUTE_DOC = 'One attribute value. With `locale`, a LocaleString gives the text in that locale '
  + '(falling back to its language, then "en"); other types come as delivered.';

@Resolver(() => EntityType)
export class EntityResolver {
  @FieldResolver(() => JSONScalar, { nullable: true, description: ATTRIBUTE_DOC })
  attribute(@Root() entity: EntityType, @Arg('id', () => String) id: string, @Arg('locale', () => String, { nullable: true }) locale?: string | null): unknown {
    return attributeValue(entity.attributes, id, locale);
  }
}

@Resolver(() => ResourceType)
export class ResourceResolver {
  @FieldResolver(() => JSONScalar, { nullable: true, description: ATTRIBUTE_DOC })
  attribute(@Root() resource: ResourceType, @Arg('id', () => String) id: string, @Arg('locale', () => String, { nullable: true }) locale?: string | null): unknown {
    return attributeValue(resource.attributes, id, locale);
  }
}
