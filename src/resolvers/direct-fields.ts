import { GraphQLFieldResolver, GraphQLSchema, isObjectType } from 'graphql';
import { attributeValue } from './attribute-value';
import { channelNodeName } from './channel-node.resolver';
import { channelNodesOf, itemsOf } from './product.resolver';
import { RequestContext } from './request-context';
import { ChannelNodeType, ProductType } from './types/catalog.type';
import { EntityType, ResourceType } from './types/entity.type';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Direct = GraphQLFieldResolver<any, RequestContext, any>;

const attribute: Direct = (e: EntityType | ResourceType, args: { id: string; locale?: string | null }) => attributeValue(e.attributes, args.id, args.locale);

/**
 * The hot fields with arguments, resolved by calling their resolver's function directly.
 *
 * type-graphql passes every `@Arg` through an async validation step, even with validation off, so
 * a field with arguments always answers with a promise, and graphql-js then completes every object
 * holding one through Promise.all. On a page of 100 products with items and categories that was
 * about 15% of the service's rate (BENCHMARKS.md). These fields need nothing of that step (no
 * middleware, no input objects); with their resolve replaced, a page whose products brought their
 * items and categories completes without a promise. The resolver classes still declare the fields
 * (type, arguments, description) and call the same functions.
 */
const DIRECT_FIELDS: Record<string, Record<string, Direct>> = {
  Product: {
    items: (p: ProductType, args: { includeDeleted?: boolean | null }, ctx) => itemsOf(p, ctx, args.includeDeleted ?? false),
    channelNodes: (p: ProductType, _args, ctx) => channelNodesOf(p, ctx),
    attribute,
  },
  Item: { attribute },
  ChannelNode: { name: (n: ChannelNodeType, args: { locale?: string | null }) => channelNodeName(n, args.locale), attribute },
  Resource: { attribute },
};

/** The schema with DIRECT_FIELDS in place; a field missing from it is a build error, not a silent slow path. */
export function resolveFieldsDirectly(schema: GraphQLSchema): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(DIRECT_FIELDS)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`direct fields: ${typeName} is not an object type of the schema`);
    for (const [name, resolve] of Object.entries(fields)) {
      const field = type.getFields()[name];
      if (!field) throw new Error(`direct fields: ${typeName}.${name} is not in the schema`);
      field.resolve = resolve;
    }
  }
  return schema;
}
