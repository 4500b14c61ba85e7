import { AttributeDefinitionResolver } from './attribute-definition.resolver';
import { ChannelNodeResolver } from './channel-node.resolver';
import { EntityResolver, ResourceResolver } from './entity.resolver';
import { ExportSettingsResolver } from './export-settings.resolver';
import { ExportResolver } from './export.resolver';
import { ChangesResolver, EntityHistoryResolver } from './history.resolver';
import { LoadResolver } from './load.resolver';
import { ParityResolver } from './parity.resolver';
import { ItemResolver, ProductResolver } from './product.resolver';

export const RESOLVERS = [EntityResolver, ResourceResolver, ProductResolver, ItemResolver, ChannelNodeResolver, LoadResolver,
  EntityHistoryResolver, ChangesResolver, AttributeDefinitionResolver,
  ExportResolver, ExportSettingsResolver, ParityResolver] as const;
