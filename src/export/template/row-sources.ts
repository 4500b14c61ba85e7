// What one CSV row is (a template's `row_source`) and how a field reference of a column becomes
// SQL on that row. Every row source reads live entities only (deleted = false, and an item only
// while its product is live) in a stable order, so two exports of one snapshot are identical.

export const ROW_SOURCES = ['PRODUCT', 'ITEM', 'CHANNEL_NODE', 'ATTRIBUTE', 'ITEM_ATTRIBUTE', 'ITEM_CATEGORY', 'ITEM_RESOURCE'] as const;
export type RowSource = (typeof ROW_SOURCES)[number];

export const SOURCE_TYPES = ['inriver_field', 'decorator', 'static', 'computed'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** The entities a row can reach. `Attribute` is an attribute definition from the AttributeFile. */
export const SCOPES = ['Product', 'Item', 'ChannelNode', 'Resource', 'Attribute'] as const;
export type EntityScope = (typeof SCOPES)[number];

/** Fields of the envelope (not attributes). inRiver attribute ids carry their entity type as a prefix, so these never clash. */
export const ENVELOPE_FIELDS: Record<EntityScope, readonly string[]> = {
  Product: ['EntityId', 'EntityTypeId', 'FieldSetId', 'UpdatedAt', 'SourceFile'],
  Item: ['EntityId', 'EntityTypeId', 'FieldSetId', 'UpdatedAt', 'SourceFile', 'SortOrder'],
  ChannelNode: ['EntityId', 'EntityTypeId', 'FieldSetId', 'UpdatedAt', 'SourceFile', 'SortOrder'],
  Resource: ['EntityId', 'EntityTypeId', 'FieldSetId', 'SortOrder'],
  Attribute: ['AttributeId', 'EntityTypeId', 'DataType', 'Name', 'SortOrder', 'IsMultiValue', 'AllowedValues', 'Fieldsets'],
};

export interface RowSourceSpec {
  /** The row's own entity: unprefixed field references and decorators mean this one. */
  self: EntityScope;
  /** Entities reachable with a prefix (`Product.ProductId` from an item row). */
  related: readonly EntityScope[];
  /** SQL alias of each reachable entity. */
  alias: Partial<Record<EntityScope, string>>;
  /** The FROM list; the compiler appends the lateral attribute extractions after it. */
  from: string;
  where: string;
  orderBy: string;
  /** Identifies the row in warnings. */
  idSql: string;
  doc: string;
}

const LIVE_ITEM = `item s JOIN product p ON p.entity_id = s.product_entity_id AND NOT p.deleted`;

export const ROW_SOURCE_SPECS: Record<RowSource, RowSourceSpec> = {
  PRODUCT: {
    self: 'Product', related: [], alias: { Product: 's' },
    from: 'product s', where: 'NOT s.deleted', orderBy: 's.entity_id',
    idSql: `'Product ' || s.entity_id`,
    doc: 'one row per live product, by EntityId',
  },
  ITEM: {
    self: 'Item', related: ['Product'], alias: { Item: 's', Product: 'p' },
    from: LIVE_ITEM, where: 'NOT s.deleted', orderBy: 's.entity_id',
    idSql: `'Item ' || s.entity_id`,
    doc: 'one row per live item of a live product, by EntityId',
  },
  CHANNEL_NODE: {
    self: 'ChannelNode', related: [], alias: { ChannelNode: 's' },
    from: 'channel_node s', where: 'NOT s.deleted', orderBy: 's.entity_id',
    idSql: `'ChannelNode ' || s.entity_id`,
    doc: 'one row per live channel node (category), by EntityId',
  },
  ATTRIBUTE: {
    self: 'Attribute', related: [], alias: { Attribute: 'ad' },
    from: 'attribute_definition ad', where: 'true', orderBy: 'ad.entity_type_id, ad.sort_order NULLS LAST, ad.attribute_id',
    idSql: `'Attribute ' || ad.entity_type_id || '/' || ad.attribute_id`,
    doc: 'one row per attribute definition of the AttributeFile (all entity types), by type, SortOrder, id',
  },
  ITEM_ATTRIBUTE: {
    // The mapped values (mv) and their mappings (m, ad) are joined in by the compiler, which knows the active mappings.
    self: 'Item', related: ['Product', 'Attribute'], alias: { Item: 's', Product: 'p', Attribute: 'ad' },
    from: LIVE_ITEM, where: 'NOT s.deleted', orderBy: 's.entity_id, m.id',
    idSql: `'Item ' || s.entity_id`,
    doc: "one row per live item and active field_mapping of this file whose field has a value (the item's, or its product's for Product mappings)",
  },
  ITEM_CATEGORY: {
    self: 'Item', related: ['Product', 'ChannelNode'], alias: { Item: 's', Product: 'p', ChannelNode: 'c' },
    from: `${LIVE_ITEM}
      JOIN channel_node_product cp ON cp.product_entity_id = p.entity_id
      JOIN channel_node c ON c.entity_id = cp.channel_node_id AND NOT c.deleted`,
    where: 'NOT s.deleted', orderBy: 's.entity_id, cp.sort_order, c.entity_id',
    idSql: `'Item ' || s.entity_id`,
    doc: "one row per live item and live category of its product (items inherit their product's categories)",
  },
  ITEM_RESOURCE: {
    self: 'Item', related: ['Product', 'Resource'], alias: { Item: 's', Product: 'p', Resource: 'r' },
    from: `${LIVE_ITEM}
      JOIN LATERAL (
        SELECT x.*, (row_number() OVER (ORDER BY x.owner_rank, x.sort_order) - 1)::int AS position FROM (
          SELECT r1.*, 0 AS owner_rank FROM resource r1 WHERE r1.owner_type = 'Item' AND r1.owner_entity_id = s.entity_id
          UNION ALL
          SELECT r2.*, 1 FROM resource r2 WHERE r2.owner_type = 'Product' AND r2.owner_entity_id = p.entity_id
            AND NOT EXISTS (SELECT 1 FROM resource o WHERE o.owner_type = 'Item' AND o.owner_entity_id = s.entity_id
                            AND o.resource_entity_id = r2.resource_entity_id)
        ) x) r ON true`,
    where: 'NOT s.deleted', orderBy: 's.entity_id, r.position',
    idSql: `'Item ' || s.entity_id`,
    doc: "one row per live item and resource: the item's own, then its product's (inherited; a resource on both appears once)",
  },
};

export function isRowSource(v: string): v is RowSource {
  return (ROW_SOURCES as readonly string[]).includes(v);
}

export function isSourceType(v: string): v is SourceType {
  return (SOURCE_TYPES as readonly string[]).includes(v);
}

/** Collects bind parameters while SQL text is built. */
export class SqlParams {
  readonly values: unknown[] = [];
  private readonly index = new Map<string, number>();

  add(value: string | number): string {
    const key = `${typeof value}:${value}`;
    let i = this.index.get(key);
    if (i === undefined) {
      this.values.push(value);
      i = this.values.length;
      this.index.set(key, i);
    }
    return `$${i}`;
  }
}

export interface FieldRef {
  scope: EntityScope;
  field: string;
  envelope: boolean;
}

/**
 * What a field becomes: a SQL expression (plus a conversion of its value), an attribute of an
 * entity's JSONB (extracted by the compiler), or the category tree's sort order.
 */
export type FieldSql =
  | { sql: string; convert?: (v: unknown) => unknown }
  | { attribute: { alias: string; field: string } }
  | { treeSortOrder: true };

/** AllowedValues as a multi-value CVL, sorted by key (JSONB does not keep the delivered key order). */
const allowedValuesAsMultiCvl = (v: unknown) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v ?? null;
  const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { keys: entries.map(([k]) => k), values: entries.map(([, x]) => x) };
};
const fieldsetIds = (v: unknown) => (Array.isArray(v) ? v.map((f) => (f && typeof f === 'object' ? (f as { Id?: unknown }).Id ?? null : f)) : v ?? null);

/** SQL for a (validated) field reference on a row source. */
export function fieldSql(rowSource: RowSource, ref: FieldRef, params: SqlParams): FieldSql {
  const spec = ROW_SOURCE_SPECS[rowSource];
  const a = spec.alias[ref.scope];
  if (!a) throw new Error(`${ref.scope} is not reachable from ${rowSource} rows`);
  if (ref.scope === 'Attribute') {
    switch (ref.field) {
      case 'AttributeId': return { sql: `${a}.attribute_id` };
      case 'EntityTypeId': return { sql: `${a}.entity_type_id` };
      case 'DataType': return { sql: `${a}.data_type` };
      case 'Name': return { sql: `${a}.names` };
      case 'SortOrder': return { sql: `${a}.sort_order` };
      case 'IsMultiValue': return { sql: `${a}.is_multi_value` };
      case 'AllowedValues': return { sql: `${a}.allowed_values`, convert: allowedValuesAsMultiCvl };
      case 'Fieldsets': return { sql: `${a}.fieldsets`, convert: fieldsetIds };
      default: throw new Error(`Attribute has no field ${ref.field}`);
    }
  }
  if (!ref.envelope) return { attribute: { alias: a, field: ref.field } };
  switch (ref.field) {
    case 'EntityId': return { sql: ref.scope === 'Resource' ? `${a}.resource_entity_id::text` : `${a}.entity_id::text` };
    case 'EntityTypeId': return { sql: `${params.add(ref.scope)}::text` };
    case 'FieldSetId': return { sql: `${a}.field_set_id` };
    case 'UpdatedAt': return { sql: `${a}.updated_at` };
    case 'SourceFile': return { sql: `${a}.source_file` };
    case 'SortOrder':
      if (ref.scope === 'Item') return { sql: `${a}.sort_order` };
      if (ref.scope === 'Resource') return { sql: `${a}.position` };
      if (rowSource === 'ITEM_CATEGORY') return { sql: 'cp.sort_order' };
      return { treeSortOrder: true };
    default: throw new Error(`${ref.scope} has no envelope field ${ref.field}`);
  }
}

/** The decorator_data value of `type` for the row's entity in `scope` (Attribute: keyed by AttributeId). */
export function decoratorSql(rowSource: RowSource, scope: EntityScope, type: string, params: SqlParams): string {
  const a = ROW_SOURCE_SPECS[rowSource].alias[scope];
  if (!a) throw new Error(`${scope} is not reachable from ${rowSource} rows`);
  const key = scope === 'Attribute' ? `${a}.attribute_id` : scope === 'Resource' ? `${a}.resource_entity_id::text` : `${a}.entity_id::text`;
  return `(SELECT d.decorator_value FROM decorator_data d WHERE d.entity_type = ${params.add(scope)} AND d.entity_id = ${key}`
    + ` AND d.decorator_type = ${params.add(type)} ORDER BY d.id DESC LIMIT 1)`;
}

/** A double-quoted SQL identifier (attribute ids are validated, but quoting keeps any text safe). */
export { quoteIdent } from '../../db/sql';
