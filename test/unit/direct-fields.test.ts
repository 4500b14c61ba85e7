import 'reflect-metadata';
import { GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, GraphQLString, isObjectType } from 'graphql';
import { makeBusinessUnit } from '../../src/config/business-unit';
import { ChannelNodeEntity, ItemEntity, ProductEntity } from '../../src/entities';
import { resolveFieldsDirectly } from '../../src/resolvers/direct-fields';
import type { RequestContext } from '../../src/resolvers/request-context';
import { ProductType } from '../../src/resolvers/types/catalog.type';
import { graphqlSchema } from '../../src/server/graphql-schema';

/**
 * A page's products bring their items and categories in the page's own statement; their fields
 * must then answer at once, not with a promise (type-graphql's argument step makes one for every
 * field with arguments, and graphql-js then completes every product through Promise.all).
 */
const bu = makeBusinessUnit('bak');
const tracked = { fieldSetId: null, extra: null, contentHash: 'h', deleted: false, deletedAt: null, deletedByFile: null, sourceFile: 's3://b/f', eventId: '1', updatedAt: new Date(0) };
const entity = <T extends object>(Target: new () => T, values: object): T => Object.assign(new Target(), tracked, values) as T;

// Reading a DataLoader here would mean the preloaded children were ignored.
const noLoaders = { dataloaders: { forBu: () => { throw new Error('a DataLoader was used'); } } } as unknown as RequestContext;
const info = {} as GraphQLResolveInfo;

describe('fields resolved directly', () => {
  let fields: (type: string) => ReturnType<GraphQLObjectType['getFields']>;
  beforeAll(async () => {
    const schema = await graphqlSchema();
    fields = (type) => {
      const t = schema.getType(type);
      if (!isObjectType(t)) throw new Error(type);
      return t.getFields();
    };
  });

  const product = () => ProductType.from(bu, entity(ProductEntity, { entityId: '10', productId: 'P10', attributes: { ProductName: { en: 'Ten', fr: 'Dix' } } }), {
    liveItems: [entity(ItemEntity, { entityId: '11', productEntityId: '10', sortOrder: 0, attributes: { ItemNo: 'A-11' } })],
    channelNodes: [entity(ChannelNodeEntity, { entityId: '5', attributes: { ChannelNodeName: { en: 'Tools', fr: 'Outils' } } })],
  });

  it('a product that brought its items and categories answers them, and their attributes, without a promise or a DataLoader', () => {
    const p = product();
    const items = fields('Product').items.resolve!(p, { includeDeleted: false }, noLoaders, info);
    const nodes = fields('Product').channelNodes.resolve!(p, {}, noLoaders, info);
    expect(items).toEqual([expect.objectContaining({ entityId: '11', sortOrder: 0, bu })]);
    expect(nodes).toEqual([expect.objectContaining({ entityId: '5', bu })]);
    expect(fields('Item').attribute.resolve!((items as unknown[])[0], { id: 'ItemNo' }, noLoaders, info)).toBe('A-11');
    expect(fields('ChannelNode').name.resolve!((nodes as unknown[])[0], { locale: 'fr-CA' }, noLoaders, info)).toBe('Outils');
    expect(fields('Product').attribute.resolve!(p, { id: 'ProductName', locale: 'fr' }, noLoaders, info)).toBe('Dix');
  });

  it('deleted items, which no page statement brings, still come through the request\'s DataLoader', async () => {
    const asked: string[] = [];
    const ctx = { dataloaders: { forBu: () => ({ allItemsByProduct: { load: async (id: string) => { asked.push(id); return []; } } }) } } as unknown as RequestContext;
    await expect(fields('Product').items.resolve!(product(), { includeDeleted: true }, ctx, info)).resolves.toEqual([]);
    expect(asked).toEqual(['10']);
  });

  it('a field renamed or removed from the schema is a build error, not a silent slow path', () => {
    const bare = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLString } } }) });
    expect(() => resolveFieldsDirectly(bare)).toThrow(/Product is not an object type/);
  });
});
