import { ChannelNodeResolver } from './channel-node.resolver';
import { EntityResolver, ResourceResolver } from './entity.resolver';
import { LoadResolver } from './load.resolver';
import { ItemResolver, ProductResolver } from './product.resolver';

export const RESOLVERS = [EntityResolver, ResourceResolver, ProductResolver, ItemResolver, ChannelNodeResolver, LoadResolver] as const;
