import { Queryable } from '../db/queryable';
import type { OwnerType } from '../entities/entity-types';
import type { HistoryWrite } from './entity-history.repository';

// The loader's writes of the catalogue (product, item, channel_node and their resource,
// entity_link and channel_node_product rows), each one set-based statement per batch. The
// statements were tuned against plans that go wrong while a load changes the tables under stale
// statistics (probes per id through LATERAL and OFFSET 0, deletes by row address); keep them so.
// loaders/apply/entity-writer.ts decides what each line changes and calls these.

export type TopTable = 'product' | 'channel_node';

export interface StoredState { entity_id: string; content_hash: string; deleted: boolean }
export interface StoredItem extends StoredState { product_entity_id: string; sort_order: number }

/** One row of an upsert, as entityRow builds it (jsonb_to_recordset's record). */
export type EntityRecord = Record<string, unknown>;

const TRACKED_SET = `field_set_id = EXCLUDED.field_set_id, attributes = EXCLUDED.attributes, extra = EXCLUDED.extra,
  content_hash = EXCLUDED.content_hash, deleted = false, deleted_at = NULL, deleted_by_file = NULL,
  source_file = EXCLUDED.source_file, event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at`;

async function storedStates<T extends StoredState>(q: Queryable, sql: string, params: unknown[]): Promise<Map<string, T>> {
  const rows: T[] = await q.query(sql, params);
  return new Map(rows.map((r) => [String(r.entity_id), r]));
}

/** What is stored of these top-level entities, by EntityId. */
export function storedTopLevel(q: Queryable, table: TopTable, ids: string[]): Promise<Map<string, StoredState>> {
  return storedStates<StoredState>(q,
    `SELECT entity_id, content_hash, deleted FROM ${table} WHERE entity_id = ANY($1::bigint[])`,
    [ids]);
}

/** Inserts or replaces product or channel node rows (`rows` carry product_id for products). */
export async function upsertTopLevel(ctx: HistoryWrite, table: TopTable, rows: EntityRecord[]): Promise<void> {
  const isProduct = table === 'product';
  await ctx.runner.query(
    `INSERT INTO ${table} (entity_id, ${isProduct ? 'product_id, ' : ''}field_set_id, attributes, extra, content_hash,
         deleted, source_file, event_id, updated_at)
       SELECT r.entity_id, ${isProduct ? 'r.product_id, ' : ''}r.field_set_id, coalesce(r.attributes, '{}'::jsonb), r.extra, r.content_hash,
         false, $2, $3, now()
       FROM jsonb_to_recordset($1::jsonb) AS r(entity_id bigint, ${isProduct ? 'product_id text, ' : ''}field_set_id text,
         attributes jsonb, extra jsonb, content_hash text)
       ON CONFLICT (entity_id) DO UPDATE SET ${isProduct ? 'product_id = EXCLUDED.product_id, ' : ''}${TRACKED_SET}`,
    [JSON.stringify(rows), ctx.sourceFile, ctx.eventId]);
}

/** Live items of products, one index probe per product. */
export async function liveItemsOf(q: Queryable, productIds: string[]): Promise<string[]> {
  const rows: { entity_id: string }[] = await q.query(
    `SELECT i.entity_id FROM unnest($1::bigint[]) AS p(id)
       CROSS JOIN LATERAL (SELECT entity_id FROM item WHERE product_entity_id = p.id AND NOT deleted OFFSET 0) i`, [productIds]);
  return rows.map((r) => String(r.entity_id));
}

/** Marks live rows deleted (callers recorded their history first). */
export async function markDeleted(ctx: HistoryWrite, table: TopTable | 'item', ids: string[]): Promise<void> {
  if (!ids.length) return;
  await ctx.runner.query(
    `UPDATE ${table} SET deleted = true, deleted_at = now(), deleted_by_file = $2, source_file = $2, event_id = $3, updated_at = now()
     WHERE entity_id = ANY($1::bigint[]) AND NOT deleted`,
    [ids, ctx.sourceFile, ctx.eventId]);
}

/**
 * Rows of a child table by owner, found by one primary-key probe per owner and deleted by their
 * row addresses: a plan that cannot become a scan of the table whatever the planner's statistics
 * say (they are those of before the load, or claim an empty table after an interrupted one).
 */
const deleteByOwnerSql = (table: string) => `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
  SELECT c.ctid FROM unnest($2::bigint[]) AS o(id)
  CROSS JOIN LATERAL (SELECT ctid FROM ${table} WHERE owner_type = $1 AND owner_entity_id = o.id OFFSET 0) c))`;

/** The resources and links of owners (before they are written again, or when the owners are gone). */
export async function deleteChildren(q: Queryable, ownerType: OwnerType, ids: string[]): Promise<void> {
  for (const table of ['resource', 'entity_link']) await q.query(deleteByOwnerSql(table), [ownerType, ids]);
}

export async function insertResources(q: Queryable, ownerType: OwnerType, resources: EntityRecord[]): Promise<void> {
  await q.query(
    `INSERT INTO resource (owner_type, owner_entity_id, resource_entity_id, sort_order, field_set_id, attributes, extra)
       SELECT $2, r.owner_entity_id, r.resource_entity_id, r.sort_order, r.field_set_id, coalesce(r.attributes, '{}'::jsonb), r.extra
       FROM jsonb_to_recordset($1::jsonb) AS r(owner_entity_id bigint, resource_entity_id bigint, sort_order int,
         field_set_id text, attributes jsonb, extra jsonb)`,
    [JSON.stringify(resources), ownerType]);
}

export async function insertLinks(q: Queryable, ownerType: OwnerType, links: EntityRecord[]): Promise<void> {
  await q.query(
    `INSERT INTO entity_link (owner_type, owner_entity_id, direction, sort_order, link_type_id, other_entity_type_id, other_entity_id, extra)
       SELECT $2, r.owner_entity_id, r.direction, r.sort_order, r.link_type_id, r.other_entity_type_id, r.other_entity_id, r.extra
       FROM jsonb_to_recordset($1::jsonb) AS r(owner_entity_id bigint, direction text, sort_order int, link_type_id text,
         other_entity_type_id text, other_entity_id bigint, extra jsonb)`,
    [JSON.stringify(links), ownerType]);
}

/** Every category membership of the products. */
export async function deleteMembership(q: Queryable, productIds: string[]): Promise<void> {
  await q.query(`DELETE FROM channel_node_product WHERE ctid = ANY(ARRAY(
    SELECT m.ctid FROM unnest($1::bigint[]) AS p(id) CROSS JOIN LATERAL (SELECT ctid FROM channel_node_product WHERE product_entity_id = p.id OFFSET 0) m))`,
  [productIds]);
}

export async function insertMembership(q: Queryable, rows: { channel_node_id: string; product_entity_id: string; sort_order: number }[]): Promise<void> {
  await q.query(
    `INSERT INTO channel_node_product (channel_node_id, product_entity_id, sort_order)
       SELECT r.channel_node_id, r.product_entity_id, r.sort_order
       FROM jsonb_to_recordset($1::jsonb) AS r(channel_node_id bigint, product_entity_id bigint, sort_order int)`,
    [JSON.stringify(rows)]);
}

/** Products of `claims` that do not own the item they claim (it is missing, deleted, or another product's). */
export async function productsNotOwning(q: Queryable, claims: { item_id: string; product_id: string }[]): Promise<string[]> {
  const rows: { product_id: string }[] = await q.query(
    `SELECT DISTINCT r.product_id FROM jsonb_to_recordset($1::jsonb) AS r(item_id bigint, product_id bigint)
       LEFT JOIN LATERAL (SELECT deleted, product_entity_id FROM item WHERE entity_id = r.item_id OFFSET 0) i ON true
       WHERE i.product_entity_id IS NULL OR i.deleted OR i.product_entity_id <> r.product_id`,
    [JSON.stringify(claims)]);
  return rows.map((r) => String(r.product_id));
}

/**
 * The stored items of these products and the items with these ids. Two probes per id, never a
 * scan of every item: the planner may believe item is small (statistics of before the load) and
 * scan it per batch.
 */
export function storedItems(q: Queryable, productIds: string[], itemIds: string[]): Promise<Map<string, StoredItem>> {
  return storedStates<StoredItem>(q,
    `SELECT i.* FROM unnest($1::bigint[]) AS p(id)
       CROSS JOIN LATERAL (SELECT entity_id, product_entity_id, sort_order, content_hash, deleted FROM item WHERE product_entity_id = p.id OFFSET 0) i
     UNION
     SELECT i.* FROM unnest($2::bigint[]) AS k(id)
       CROSS JOIN LATERAL (SELECT entity_id, product_entity_id, sort_order, content_hash, deleted FROM item WHERE entity_id = k.id OFFSET 0) i`,
    [productIds, itemIds]);
}

/** Inserts or replaces item rows (with product_entity_id and sort_order). */
export async function upsertItems(ctx: HistoryWrite, rows: EntityRecord[]): Promise<void> {
  await ctx.runner.query(
    `INSERT INTO item (entity_id, product_entity_id, sort_order, field_set_id, attributes, extra, content_hash,
         deleted, source_file, event_id, updated_at)
       SELECT r.entity_id, r.product_entity_id, r.sort_order, r.field_set_id, coalesce(r.attributes, '{}'::jsonb), r.extra,
         r.content_hash, false, $2, $3, now()
       FROM jsonb_to_recordset($1::jsonb) AS r(entity_id bigint, product_entity_id bigint, sort_order int,
         field_set_id text, attributes jsonb, extra jsonb, content_hash text)
       ON CONFLICT (entity_id) DO UPDATE SET product_entity_id = EXCLUDED.product_entity_id,
         sort_order = EXCLUDED.sort_order, ${TRACKED_SET}`,
    [JSON.stringify(rows), ctx.sourceFile, ctx.eventId]);
}

/** Channel nodes the file (`ctx.sourceFile`) delivered before and `presentIds` no longer lists. */
export async function nodesOfFileExcept(ctx: HistoryWrite, presentIds: string[]): Promise<string[]> {
  const gone: { entity_id: string }[] = await ctx.runner.query(
    `SELECT entity_id FROM channel_node WHERE source_file = $1 AND entity_id <> ALL($2::bigint[])`, [ctx.sourceFile, presentIds]);
  return gone.map((g) => String(g.entity_id));
}

/** Removes channel node rows (not marked: see removeNodesAbsentFrom). */
export async function deleteNodes(q: Queryable, ids: string[]): Promise<void> {
  await q.query('DELETE FROM channel_node WHERE entity_id = ANY($1::bigint[])', [ids]);
}

/**
 * Merges the attribute GIN indexes' pending entries into their trees (migration 0011's function;
 * gin_clean_pending_list needs the index owner). Returns the pending pages it merged.
 */
export async function cleanAttributeIndexes(q: Queryable): Promise<number> {
  const [row]: { pages: string }[] = await q.query('SELECT clean_attribute_index_pending_lists() AS pages');
  return Number(row.pages);
}
