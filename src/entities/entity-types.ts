// The one map between inRiver's entity types and the tables that hold them. The event log, the
// history, the replay's restore, the loader and the API all name entities by type and rows by
// table; each reads the pairing from here.

/** The entities stored with resources and links, one table each. */
export type OwnerType = 'Product' | 'Item' | 'ChannelNode';
export type EntityTable = 'product' | 'item' | 'channel_node';

export const TABLE_OF: Readonly<Record<OwnerType, EntityTable>> = { Product: 'product', Item: 'item', ChannelNode: 'channel_node' };
export const ENTITY_TYPE_OF: Readonly<Record<EntityTable, OwnerType>> = { product: 'Product', item: 'Item', channel_node: 'ChannelNode' };

/** Everything entity_history keeps a version of: the owners, and the attribute schema. */
export const HISTORY_ENTITY_TYPES: readonly string[] = ['Product', 'Item', 'ChannelNode', 'AttributeDefinition'];

/** The kinds of file in the source, as the loader classifies their keys. */
export type FileKind = 'attributes' | 'channel' | 'product';

/** The entity type a file's events name, and the one its lines must have. */
export const FILE_ENTITY_TYPE: Readonly<Record<FileKind, string>> = { attributes: 'Attribute', channel: 'ChannelNode', product: 'Product' };
