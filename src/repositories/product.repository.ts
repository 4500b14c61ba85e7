import { EntityManager, SelectQueryBuilder } from 'typeorm';
import { entitiesFromRows, rowJsonSql } from '../db/entity-rows';
import { Queryable, queryPrepared } from '../db/queryable';
import { ChannelNodeEntity, ItemEntity, ProductEntity } from '../entities';
import { badInput } from '../errors/domain-error';
import { countOf, keysetRows } from './keyset-page';

// Reads of the product and item tables, shared by the services (lists, one entity) and the
// dataloaders (batches by id); the loader's writes are in loaders/apply/entity-writer.ts.

export interface AttributeCondition {
  attributeId: string;
  value: string;
  locale?: string | null;
}

export interface ProductQuery {
  entityIds?: string[] | null;
  productIds?: string[] | null;
  updatedSince?: Date | null;
  channelNodeId?: string | null;
  sourceFile?: string | null;
  attributeEquals?: AttributeCondition[] | null;
  includeDeleted?: boolean | null;
}

export interface ItemQuery {
  entityIds?: string[] | null;
  productEntityIds?: string[] | null;
  updatedSince?: Date | null;
  attributeEquals?: AttributeCondition[] | null;
  includeDeleted?: boolean | null;
}


/** One way an attribute can equal the value: `attributes @> contains`, unless one of `unlessText` locales holds text. */
export interface AttributeMatch {
  contains: Record<string, unknown>;
  unlessText: string[];
}

/**
 * The ways "attribute equals value" can hold, each a JSONB containment (`@>`) that the GIN
 * jsonb_path_ops index on `attributes` answers: a plain value; a CVL key (single, or one of a
 * multi-select); a number or boolean written as text; and with `locale`, the LocaleString text
 * that `attribute(id, locale)` shows: that locale's, else its language's (fr-CA → fr), else "en".
 * The fallback steps only apply when the more specific locale has no text (a recheck on the rows
 * the index found).
 */
export function attributeMatches(cond: AttributeCondition): AttributeMatch[] {
  if (!cond.attributeId) throw badInput('attributeEquals needs an attributeId');
  if (cond.locale === '') throw badInput('attributeEquals: locale must not be empty (leave it out instead)');
  const id = cond.attributeId;
  const value = cond.value;
  const matches: AttributeMatch[] = [];
  if (cond.locale) {
    const chain = [...new Set([cond.locale, cond.locale.split('-')[0], 'en'])];
    chain.forEach((locale, i) => matches.push({ contains: { [id]: { [locale]: value } }, unlessText: chain.slice(0, i) }));
  }
  const plain = (contains: unknown) => matches.push({ contains: { [id]: contains }, unlessText: [] });
  plain(value);
  plain({ key: value });
  plain({ keys: [value] });
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n)) plain(n);
  if (value === 'true' || value === 'false') plain(value === 'true');
  return matches;
}

function applyAttributeConditions<T extends object>(qb: SelectQueryBuilder<T>, alias: string, conds: AttributeCondition[] | null | undefined): void {
  (conds ?? []).forEach((cond, i) => {
    const params: Record<string, unknown> = { [`attr_${i}`]: cond.attributeId };
    const clause = attributeMatches(cond).map((match, j) => {
      params[`attr_${i}_${j}`] = JSON.stringify(match.contains);
      const unless = match.unlessText.map((locale, k) => {
        params[`attr_${i}_${j}_${k}`] = locale;
        return ` AND jsonb_typeof(${alias}.attributes -> CAST(:attr_${i} AS text) -> CAST(:attr_${i}_${j}_${k} AS text)) IS DISTINCT FROM 'string'`;
      }).join('');
      return `(${alias}.attributes @> CAST(:attr_${i}_${j} AS jsonb)${unless})`;
    }).join(' OR ');
    qb.andWhere(`(${clause})`, params);
  });
}

/** The children a product read brings along in the same statement, when the request will show them. */
export interface ProductIncludes { liveItems?: boolean; allItems?: boolean; channelNodes?: boolean }

/**
 * A product's items and categories: read with it (findProduct, listProducts) or for a batch of
 * products (childrenOfProducts, the DataLoaders): one SQL text for all of them, so the order and
 * the filters of a product's children are written once.
 */
export interface ProductChildren {
  /** Its live items in delivered order. */
  liveItems?: ItemEntity[];
  /** Its items, deleted ones too, in delivered order. */
  allItems?: ItemEntity[];
  /** Its live categories in its line's order (membership from the product side). */
  channelNodes?: ChannelNodeEntity[];
}

export interface ProductWith extends ProductChildren { product: ProductEntity }

/** Columns aggregating the children of the product whose id is `idSql`, each a JSON array of rows. */
function childrenSql(m: EntityManager, idSql: string, include: ProductIncludes): string {
  const items = (live: boolean, column: string) => `, (SELECT coalesce(json_agg(${rowJsonSql(m, ItemEntity, 'i')} ORDER BY i.sort_order, i.entity_id), '[]')
      FROM item i WHERE i.product_entity_id = ${idSql}${live ? ' AND NOT i.deleted' : ''}) AS ${column}`;
  const nodes = `, (SELECT coalesce(json_agg(${rowJsonSql(m, ChannelNodeEntity, 'n')} ORDER BY cp.sort_order, cp.channel_node_id), '[]')
      FROM channel_node_product cp JOIN channel_node n ON n.entity_id = cp.channel_node_id AND NOT n.deleted
      WHERE cp.product_entity_id = ${idSql}) AS with_nodes`;
  return (include.liveItems ? items(true, 'with_items') : '') + (include.allItems ? items(false, 'with_all_items') : '')
    + (include.channelNodes ? nodes : '');
}

type JsonRows = Record<string, unknown>[];
interface ChildrenColumns { with_items?: JsonRows; with_all_items?: JsonRows; with_nodes?: JsonRows }

function childrenOf(m: EntityManager, row: ChildrenColumns): ProductChildren {
  return {
    ...(row.with_items ? { liveItems: entitiesFromRows(m, ItemEntity, row.with_items) } : {}),
    ...(row.with_all_items ? { allItems: entitiesFromRows(m, ItemEntity, row.with_all_items) } : {}),
    ...(row.with_nodes ? { channelNodes: entitiesFromRows(m, ChannelNodeEntity, row.with_nodes) } : {}),
  };
}

/** The children of a batch of products (the DataLoaders' batches), by product id. */
export async function childrenOfProducts(m: EntityManager, ids: readonly string[], include: ProductIncludes): Promise<Map<string, ProductChildren>> {
  const rows: (ChildrenColumns & { id: string })[] = await queryPrepared(m,
    `SELECT p.id::text AS id${childrenSql(m, 'p.id', include)} FROM unnest($1::bigint[]) AS p(id)`, [ids]);
  return new Map(rows.map((r) => [r.id, childrenOf(m, r)]));
}

/**
 * The product by EntityId or by ProductId (a reused ProductId: the live product first, then the
 * lowest EntityId), with its items and categories aggregated in the same statement when asked:
 * one round trip instead of three for the most common request.
 */
export async function findProduct(m: EntityManager, by: { entityId: string } | { productId: string }, includeDeleted: boolean,
  include: ProductIncludes = {}): Promise<ProductWith | null> {
  const byId = 'entityId' in by;
  const rows = await queryPrepared(m,
    `SELECT p.*${childrenSql(m, 'p.entity_id', include)} FROM product p
       WHERE ${byId ? 'p.entity_id = $1::bigint' : 'p.product_id = $1'} ${includeDeleted ? '' : 'AND NOT p.deleted'}
       ORDER BY p.deleted, p.entity_id LIMIT 1`, [byId ? by.entityId : by.productId]);
  return rows.length ? { product: entitiesFromRows(m, ProductEntity, rows)[0], ...childrenOf(m, rows[0]) } : null;
}

export interface KeysetPage { afterKey: string | null; size: number; countTotal: boolean }

/**
 * Products matching the (checked) filter in EntityId order after `afterKey`, `size + 1` of them, with
 * their items and categories in the same statement when `include` asks; totalCount NaN unless asked.
 */
export async function listProducts(m: EntityManager, filter: ProductQuery & { entityIds: string[] | null; nodeId: string | null }, page: KeysetPage,
  include: ProductIncludes = {}): Promise<{ rows: ProductEntity[]; children: Map<string, ProductChildren>; totalCount: number }> {
  const qb = m.getRepository(ProductEntity).createQueryBuilder('p');
  if (!filter.includeDeleted) qb.andWhere('NOT p.deleted');
  if (filter.entityIds) qb.andWhere('p.entity_id = ANY(CAST(:entityIds AS bigint[]))', { entityIds: filter.entityIds });
  if (filter.productIds) qb.andWhere('p.product_id = ANY(CAST(:productIds AS text[]))', { productIds: filter.productIds });
  if (filter.updatedSince) qb.andWhere('p.updated_at >= :since', { since: filter.updatedSince });
  if (filter.sourceFile) {
    // Entities store the file's full URI; operators often have its key (as in loadEvents' filter).
    // The event log turns a key into URIs first (an init plan), so product_source_file_idx still applies.
    qb.andWhere(`p.source_file = ANY(ARRAY(SELECT CAST(:sourceFile AS text) UNION
          SELECT e.source_file FROM load_event e WHERE e.source_key = CAST(:sourceFile AS text)))`, { sourceFile: filter.sourceFile });
  }
  if (filter.nodeId) {
    qb.andWhere('EXISTS (SELECT 1 FROM channel_node_product m WHERE m.product_entity_id = p.entity_id AND m.channel_node_id = :nodeId)', { nodeId: filter.nodeId });
  }
  applyAttributeConditions(qb, 'p', filter.attributeEquals);
  const totalCount = page.countTotal ? await countOf(qb) : Number.NaN;
  const { rows, extra } = await keysetRows(m, qb, {
    alias: 'p', table: 'product', afterKey: page.afterKey, size: page.size, containment: !!filter.attributeEquals?.length,
    extraSql: childrenSql(m, 'page.entity_id', include),
  });
  return { rows, children: new Map(rows.map((r, i) => [r.entityId, childrenOf(m, extra[i])])), totalCount };
}

/** Items matching the (checked) filter in EntityId order after `afterKey`, `size + 1` of them; totalCount NaN unless asked. */
export async function listItems(m: EntityManager, filter: ItemQuery & { entityIds: string[] | null; productIds: string[] | null }, page: KeysetPage):
  Promise<{ rows: ItemEntity[]; totalCount: number }> {
  const qb = m.getRepository(ItemEntity).createQueryBuilder('i');
  if (!filter.includeDeleted) qb.andWhere('NOT i.deleted');
  if (filter.entityIds) qb.andWhere('i.entity_id = ANY(CAST(:entityIds AS bigint[]))', { entityIds: filter.entityIds });
  if (filter.productIds) qb.andWhere('i.product_entity_id = ANY(CAST(:productIds AS bigint[]))', { productIds: filter.productIds });
  if (filter.updatedSince) qb.andWhere('i.updated_at >= :since', { since: filter.updatedSince });
  applyAttributeConditions(qb, 'i', filter.attributeEquals);
  const totalCount = page.countTotal ? await countOf(qb) : Number.NaN;
  const { rows } = await keysetRows(m, qb, { alias: 'i', table: 'item', afterKey: page.afterKey, size: page.size, containment: !!filter.attributeEquals?.length });
  return { rows, totalCount };
}

export function findItem(m: EntityManager, entityId: string, includeDeleted: boolean): Promise<ItemEntity | null> {
  return m.getRepository(ItemEntity).findOne({ where: { entityId, ...(includeDeleted ? {} : { deleted: false }) } });
}

/** Products (deleted ones too) by EntityId, in no particular order. */
export async function productsByIds(m: EntityManager, ids: readonly string[]): Promise<ProductEntity[]> {
  return entitiesFromRows(m, ProductEntity, await m.query('SELECT * FROM product WHERE entity_id = ANY($1::bigint[])', [ids]));
}

/** Live products, items and channel nodes (loadStatus). */
export async function liveCounts(q: Queryable): Promise<{ products: number; items: number; nodes: number }> {
  const [counts] = await q.query(`SELECT
        (SELECT count(*) FROM product WHERE NOT deleted)::int AS products,
        (SELECT count(*) FROM item WHERE NOT deleted)::int AS items,
        (SELECT count(*) FROM channel_node WHERE NOT deleted)::int AS nodes`);
  return counts;
}

/** Live products whose EntityId is not in `present`: how many, and the first `listed` ids. */
export async function productsAbsentFrom(q: Queryable, present: string[], listed: number): Promise<{ count: number; ids: string[] }> {
  const [row] = await q.query(
    `SELECT count(*)::int AS count, (array_agg(entity_id ORDER BY entity_id))[1:$2] AS ids
       FROM product WHERE NOT deleted AND entity_id <> ALL($1::bigint[])`,
    [present, listed]);
  return { count: row.count, ids: (row.ids ?? []).map(String) };
}
