import type { OwnerType } from '../entities/resource.entity';
import { ParsedDelete, ParsedEntity, ParsedItem, ParsedLine, ParsedUpsert } from './entity-line';
import { HistoryOperation, recordBefore } from './history-writer';
import { ApplyCounts, WriteContext } from './write-context';

/**
 * Writes batches of parsed lines into one BU schema, inside the file's transaction (the caller's
 * runner has `search_path` set). A batch holds each top-level EntityId at most once, so set-based
 * statements see each entity once and the counts are exact per line. Unchanged entities are not
 * written at all.
 */

type TopTable = 'product' | 'channel_node';

interface StoredState { entity_id: string; content_hash: string; deleted: boolean }
interface StoredItem extends StoredState { product_entity_id: string; sort_order: number }

const TRACKED_SET = `field_set_id = EXCLUDED.field_set_id, attributes = EXCLUDED.attributes, extra = EXCLUDED.extra,
  content_hash = EXCLUDED.content_hash, deleted = false, deleted_at = NULL, deleted_by_file = NULL,
  source_file = EXCLUDED.source_file, event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at`;

const entityRow = (e: ParsedEntity) => ({
  entity_id: e.entityId, field_set_id: e.fieldSetId, attributes: e.attributes, extra: e.extra, content_hash: e.hash,
});

async function storedStates<T extends StoredState>(ctx: WriteContext, sql: string, params: unknown[]): Promise<Map<string, T>> {
  const rows: T[] = await ctx.runner.query(sql, params);
  return new Map(rows.map((r) => [String(r.entity_id), r]));
}

/** Applies a batch of top-level lines of one table (Product or ChannelNode lines). */
export async function writeTopLevelBatch(ctx: WriteContext, table: TopTable, lines: ParsedLine[]): Promise<void> {
  const ownerType: OwnerType = table === 'product' ? 'Product' : 'ChannelNode';
  const stored = await storedStates<StoredState>(ctx,
    `SELECT entity_id, content_hash, deleted FROM ${table} WHERE entity_id = ANY($1::bigint[])`,
    [lines.map((l) => l.entityId)]);

  const upserts: ParsedUpsert[] = [];
  const deletes: ParsedDelete[] = [];
  const unchangedProducts: ParsedUpsert[] = [];
  const history = new Map<string, HistoryOperation>();
  for (const line of lines) {
    const before = stored.get(line.entityId);
    if (line.deleted) {
      if (!before) ctx.counts.deletesOfUnknown++, ctx.counts.unchanged++;
      else if (before.deleted) ctx.counts.unchanged++;
      else deletes.push(line), ctx.counts.deleted++, history.set(line.entityId, 'DELETE');
    } else if (!before) {
      upserts.push(line), ctx.counts.inserted++, history.set(line.entityId, 'INSERT');
    } else if (before.deleted || before.content_hash !== line.hash) {
      upserts.push(line), ctx.counts.updated++, history.set(line.entityId, 'UPDATE');
    } else {
      ctx.counts.unchanged++;
      if (table === 'product' && line.items.length) unchangedProducts.push(line);
    }
  }

  // Before anything of the batch is written: the history keeps each entity's image from before the change.
  await recordBefore(ctx, table, history);
  if (upserts.length) {
    const isProduct = table === 'product';
    const rows = upserts.map((l) => ({ ...entityRow(l), ...(isProduct ? { product_id: productIdOf(l) } : {}) }));
    await ctx.runner.query(
      `INSERT INTO ${table} (entity_id, ${isProduct ? 'product_id, ' : ''}field_set_id, attributes, extra, content_hash,
         deleted, source_file, event_id, updated_at)
       SELECT r.entity_id, ${isProduct ? 'r.product_id, ' : ''}r.field_set_id, coalesce(r.attributes, '{}'::jsonb), r.extra, r.content_hash,
         false, $2, $3, now()
       FROM jsonb_to_recordset($1::jsonb) AS r(entity_id bigint, ${isProduct ? 'product_id text, ' : ''}field_set_id text,
         attributes jsonb, extra jsonb, content_hash text)
       ON CONFLICT (entity_id) DO UPDATE SET ${isProduct ? 'product_id = EXCLUDED.product_id, ' : ''}${TRACKED_SET}`,
      [JSON.stringify(rows), ctx.sourceFile, ctx.eventId]);
    await replaceChildren(ctx, ownerType, upserts);
    if (isProduct) await replaceMembership(ctx, upserts);
  }
  if (table === 'product') {
    // An unchanged product line still states its whole item set: an item another product's line took
    // (or dropped) since comes back to it. Items are written for both kinds of lines in file order, so
    // within the batch, too, the later line that lists an item wins.
    const reclaiming = await productsReclaimingItems(ctx, unchangedProducts, upserts);
    const changed = new Set<ParsedLine>(upserts);
    const owners = lines.filter((l): l is ParsedUpsert => !l.deleted && (changed.has(l) || reclaiming.has(l.entityId)));
    if (owners.length) await writeItems(ctx, owners);
  }
  if (deletes.length) {
    const ids = deletes.map((d) => d.entityId);
    await markDeleted(ctx, table, ids);
    if (table === 'product') {
      const items = await liveItemsOf(ctx, ids);
      await recordBefore(ctx, 'item', new Map(items.map((id) => [id, 'DELETE'])));
      await markDeleted(ctx, 'item', items);
      ctx.counts.items.deleted += items.length;
    }
  }
}

/** Live items of products, one index probe per product. */
async function liveItemsOf(ctx: WriteContext, productIds: string[]): Promise<string[]> {
  const rows: { entity_id: string }[] = await ctx.runner.query(
    `SELECT i.entity_id FROM unnest($1::bigint[]) AS p(id)
       CROSS JOIN LATERAL (SELECT entity_id FROM item WHERE product_entity_id = p.id AND NOT deleted OFFSET 0) i`, [productIds]);
  return rows.map((r) => String(r.entity_id));
}

function productIdOf(line: ParsedUpsert): string | null {
  const v = line.attributes.ProductId;
  return typeof v === 'string' ? v : v === undefined || v === null ? null : String(v);
}

/** Marks live rows deleted (callers recorded their history first). */
async function markDeleted(ctx: WriteContext, table: TopTable | 'item', ids: string[]): Promise<void> {
  if (!ids.length) return;
  await ctx.runner.query(
    `UPDATE ${table} SET deleted = true, deleted_at = now(), deleted_by_file = $2, source_file = $2, event_id = $3, updated_at = now()
     WHERE entity_id = ANY($1::bigint[]) AND NOT deleted`,
    [ids, ctx.sourceFile, ctx.eventId]);
}

/** The resources and links of owners (before they are written again, or when the owners are gone). */
async function deleteChildren(ctx: WriteContext, ownerType: OwnerType, ids: string[]): Promise<void> {
  for (const table of ['resource', 'entity_link']) await ctx.runner.query(deleteByOwnerSql(table), [ownerType, ids]);
}

/**
 * Rows of a child table by owner, found by one primary-key probe per owner and deleted by their
 * row addresses: a plan that cannot become a scan of the table whatever the planner's statistics
 * say (they are those of before the load, or claim an empty table after an interrupted one).
 */
const deleteByOwnerSql = (table: string) => `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
  SELECT c.ctid FROM unnest($2::bigint[]) AS o(id)
  CROSS JOIN LATERAL (SELECT ctid FROM ${table} WHERE owner_type = $1 AND owner_entity_id = o.id OFFSET 0) c))`;

/** Whole-set rule for resources and links: the line's arrays replace what its owner had. */
async function replaceChildren(ctx: WriteContext, ownerType: OwnerType, owners: ParsedEntity[]): Promise<void> {
  await deleteChildren(ctx, ownerType, owners.map((o) => o.entityId));
  const resources = owners.flatMap((o) => {
    const seen = new Set<string>();
    // A resource listed twice under one owner keeps its first position.
    return o.resources.filter((r) => !seen.has(r.entityId) && seen.add(r.entityId)).map((r) => ({
      owner_entity_id: o.entityId, resource_entity_id: r.entityId, sort_order: r.sortOrder,
      field_set_id: r.fieldSetId, attributes: r.attributes, extra: r.extra,
    }));
  });
  if (resources.length) {
    await ctx.runner.query(
      `INSERT INTO resource (owner_type, owner_entity_id, resource_entity_id, sort_order, field_set_id, attributes, extra)
       SELECT $2, r.owner_entity_id, r.resource_entity_id, r.sort_order, r.field_set_id, coalesce(r.attributes, '{}'::jsonb), r.extra
       FROM jsonb_to_recordset($1::jsonb) AS r(owner_entity_id bigint, resource_entity_id bigint, sort_order int,
         field_set_id text, attributes jsonb, extra jsonb)`,
      [JSON.stringify(resources), ownerType]);
  }
  const links = owners.flatMap((o) => o.links.map((l) => ({
    owner_entity_id: o.entityId, direction: l.direction, sort_order: l.sortOrder, link_type_id: l.linkTypeId,
    other_entity_type_id: l.otherEntityTypeId, other_entity_id: l.otherEntityId, extra: l.extra,
  })));
  if (links.length) {
    await ctx.runner.query(
      `INSERT INTO entity_link (owner_type, owner_entity_id, direction, sort_order, link_type_id, other_entity_type_id, other_entity_id, extra)
       SELECT $2, r.owner_entity_id, r.direction, r.sort_order, r.link_type_id, r.other_entity_type_id, r.other_entity_id, r.extra
       FROM jsonb_to_recordset($1::jsonb) AS r(owner_entity_id bigint, direction text, sort_order int, link_type_id text,
         other_entity_type_id text, other_entity_id bigint, extra jsonb)`,
      [JSON.stringify(links), ownerType]);
  }
}

/**
 * Category membership comes from the product side only, so the state does not depend on when the
 * channel file arrives (docs/input-format.md, "Categories").
 */
async function replaceMembership(ctx: WriteContext, products: ParsedUpsert[]): Promise<void> {
  await ctx.runner.query(`DELETE FROM channel_node_product WHERE ctid = ANY(ARRAY(
    SELECT m.ctid FROM unnest($1::bigint[]) AS p(id) CROSS JOIN LATERAL (SELECT ctid FROM channel_node_product WHERE product_entity_id = p.id OFFSET 0) m))`,
  [products.map((p) => p.entityId)]);
  const rows = products.flatMap((p) => {
    const seen = new Set<string>();
    return p.links
      .filter((l) => l.direction === 'INBOUND' && l.linkTypeId === 'ChannelNodeProduct' && l.otherEntityTypeId === 'ChannelNode')
      .filter((l) => !seen.has(l.otherEntityId) && seen.add(l.otherEntityId))
      .map((l) => ({ channel_node_id: l.otherEntityId, product_entity_id: p.entityId, sort_order: l.sortOrder }));
  });
  if (rows.length) {
    await ctx.runner.query(
      `INSERT INTO channel_node_product (channel_node_id, product_entity_id, sort_order)
       SELECT r.channel_node_id, r.product_entity_id, r.sort_order
       FROM jsonb_to_recordset($1::jsonb) AS r(channel_node_id bigint, product_entity_id bigint, sort_order int)`,
      [JSON.stringify(rows)]);
  }
}

/** Unchanged product lines listing an item that is no longer theirs, or that a changed line of the batch also lists. */
async function productsReclaimingItems(ctx: WriteContext, unchanged: ParsedUpsert[], upserts: ParsedUpsert[]): Promise<Set<string>> {
  const reclaiming = new Set<string>();
  if (!unchanged.length) return reclaiming;
  const claimedInBatch = new Set(upserts.flatMap((p) => p.items.map((i) => i.entityId)));
  const claims: { item_id: string; product_id: string }[] = [];
  for (const p of unchanged) {
    for (const i of p.items) {
      if (claimedInBatch.has(i.entityId)) reclaiming.add(p.entityId);
      else claims.push({ item_id: i.entityId, product_id: p.entityId });
    }
  }
  if (claims.length) {
    const rows: { product_id: string }[] = await ctx.runner.query(
      `SELECT DISTINCT r.product_id FROM jsonb_to_recordset($1::jsonb) AS r(item_id bigint, product_id bigint)
       LEFT JOIN LATERAL (SELECT deleted, product_entity_id FROM item WHERE entity_id = r.item_id OFFSET 0) i ON true
       WHERE i.product_entity_id IS NULL OR i.deleted OR i.product_entity_id <> r.product_id`,
      [JSON.stringify(claims)]);
    for (const r of rows) reclaiming.add(String(r.product_id));
  }
  return reclaiming;
}

/** Items of changed product lines: upsert the delivered set, mark the ones no longer listed deleted. */
async function writeItems(ctx: WriteContext, products: ParsedUpsert[]): Promise<void> {
  const history = new Map<string, HistoryOperation>();
  // An item listed under two products of one batch belongs to the later line.
  const incoming = new Map<string, { item: ParsedItem; productId: string }>();
  for (const p of products) for (const item of p.items) {
    incoming.delete(item.entityId);
    incoming.set(item.entityId, { item, productId: p.entityId });
  }
  const productIds = products.map((p) => p.entityId);
  // Two probes per id (an item of these products, an item these lines list), never a scan of every
  // item: the planner may believe item is small (statistics of before the load) and scan it per batch.
  const stored = await storedStates<StoredItem>(ctx,
    `SELECT i.* FROM unnest($1::bigint[]) AS p(id)
       CROSS JOIN LATERAL (SELECT entity_id, product_entity_id, sort_order, content_hash, deleted FROM item WHERE product_entity_id = p.id OFFSET 0) i
     UNION
     SELECT i.* FROM unnest($2::bigint[]) AS k(id)
       CROSS JOIN LATERAL (SELECT entity_id, product_entity_id, sort_order, content_hash, deleted FROM item WHERE entity_id = k.id OFFSET 0) i`,
    [productIds, [...incoming.keys()]]);

  const changed: { item: ParsedItem; productId: string }[] = [];
  for (const entry of incoming.values()) {
    const before = stored.get(entry.item.entityId);
    if (!before) {
      changed.push(entry), ctx.counts.items.inserted++, history.set(entry.item.entityId, 'INSERT');
    } else if (before.deleted || before.content_hash !== entry.item.hash
      || String(before.product_entity_id) !== entry.productId || before.sort_order !== entry.item.sortOrder) {
      changed.push(entry), ctx.counts.items.updated++, history.set(entry.item.entityId, 'UPDATE');
    } else {
      ctx.counts.items.unchanged++;
    }
  }
  const removed = [...stored.values()]
    .filter((s) => !s.deleted && !incoming.has(String(s.entity_id)) && productIds.includes(String(s.product_entity_id)))
    .map((s) => String(s.entity_id));

  for (const id of removed) history.set(id, 'DELETE');
  await recordBefore(ctx, 'item', history);
  if (changed.length) {
    const rows = changed.map(({ item, productId }) => ({ ...entityRow(item), product_entity_id: productId, sort_order: item.sortOrder }));
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
    // Only items whose own content changed get their resources and links replaced.
    const contentChanged = changed.filter(({ item }) => stored.get(item.entityId)?.content_hash !== item.hash || stored.get(item.entityId)?.deleted);
    if (contentChanged.length) await replaceChildren(ctx, 'Item', contentChanged.map((c) => c.item));
  }
  if (removed.length) {
    await markDeleted(ctx, 'item', removed);
    ctx.counts.items.removed += removed.length;
  }
}

/**
 * The channel file is overwritten in place and states the whole tree it carries: a node that the
 * previous version of this file delivered and this one lacks is gone. It is removed (not marked),
 * so the state equals a fresh load of the file as it is now.
 */
export async function removeNodesAbsentFrom(ctx: WriteContext, presentIds: string[]): Promise<number> {
  const gone: { entity_id: string }[] = await ctx.runner.query(
    `SELECT entity_id FROM channel_node WHERE source_file = $1 AND entity_id <> ALL($2::bigint[])`, [ctx.sourceFile, presentIds]);
  if (!gone.length) return 0;
  const ids = gone.map((g) => String(g.entity_id));
  await recordBefore(ctx, 'channel_node', new Map(ids.map((id) => [id, 'DELETE'])));
  await ctx.runner.query('DELETE FROM channel_node WHERE entity_id = ANY($1::bigint[])', [ids]);
  await deleteChildren(ctx, 'ChannelNode', ids);
  return ids.length;
}
