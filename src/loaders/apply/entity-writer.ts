import { ENTITY_TYPE_OF, type OwnerType } from '../../entities/entity-types';
import {
  TopTable, deleteChildren, deleteMembership, deleteNodes, insertLinks, insertMembership, insertResources, liveItemsOf, markDeleted,
  nodesOfFileExcept, productsNotOwning, storedItems, storedTopLevel, upsertItems, upsertTopLevel,
} from '../../repositories/catalogue-write.repository';
import { ChangeOperation, recordBefore } from '../../repositories/entity-history.repository';
import { ParsedDelete, ParsedEntity, ParsedItem, ParsedLine, ParsedUpsert } from '../parse/entity-line';
import { WriteContext } from './write-context';

// Writes batches of parsed lines into one BU schema, inside the file's transaction (the caller's
// runner has `search_path` set). A batch holds each top-level EntityId at most once, so set-based
// statements see each entity once and the counts are exact per line. Unchanged entities are not
// written at all.

const entityRow = (e: ParsedEntity) => ({
  entity_id: e.entityId, field_set_id: e.fieldSetId, attributes: e.attributes, extra: e.extra, content_hash: e.hash,
});

/** Applies a batch of top-level lines of one table (Product or ChannelNode lines). */
export async function writeTopLevelBatch(ctx: WriteContext, table: TopTable, lines: ParsedLine[]): Promise<void> {
  const ownerType: OwnerType = ENTITY_TYPE_OF[table];
  const stored = await storedTopLevel(ctx.runner, table, lines.map((l) => l.entityId));

  const upserts: ParsedUpsert[] = [];
  const deletes: ParsedDelete[] = [];
  const unchangedProducts: ParsedUpsert[] = [];
  const history = new Map<string, ChangeOperation>();
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
    await upsertTopLevel(ctx, table, rows);
    await replaceChildren(ctx, ownerType, upserts, stored);
    if (isProduct) await replaceMembership(ctx, upserts, stored);
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
      const items = await liveItemsOf(ctx.runner, ids);
      await recordBefore(ctx, 'item', new Map(items.map((id) => [id, 'DELETE'])));
      await markDeleted(ctx, 'item', items);
      ctx.counts.items.deleted += items.length;
    }
  }
}

function productIdOf(line: ParsedUpsert): string | null {
  const v = line.attributes.ProductId;
  return typeof v === 'string' ? v : v === undefined || v === null ? null : String(v);
}

/** The ids of `owners` that had a row before the batch. */
const idsStored = (owners: ParsedEntity[], stored: ReadonlyMap<string, unknown>) => owners.filter((o) => stored.has(o.entityId)).map((o) => o.entityId);

/**
 * Whole-set rule for resources and links: the line's arrays replace what its owner had. Only
 * owners with a row before this batch (in `stored`) can have any: an entity's row goes only with
 * its children (channel nodes removed, replays), so a first load deletes nothing.
 */
async function replaceChildren(ctx: WriteContext, ownerType: OwnerType, owners: ParsedEntity[], stored: ReadonlyMap<string, unknown>): Promise<void> {
  const storedIds = idsStored(owners, stored);
  if (storedIds.length) await deleteChildren(ctx.runner, ownerType, storedIds);
  const resources = owners.flatMap((o) => {
    const seen = new Set<string>();
    // A resource listed twice under one owner keeps its first position.
    return o.resources.filter((r) => !seen.has(r.entityId) && seen.add(r.entityId)).map((r) => ({
      owner_entity_id: o.entityId, resource_entity_id: r.entityId, sort_order: r.sortOrder,
      field_set_id: r.fieldSetId, attributes: r.attributes, extra: r.extra,
    }));
  });
  if (resources.length) await insertResources(ctx.runner, ownerType, resources);
  const links = owners.flatMap((o) => o.links.map((l) => ({
    owner_entity_id: o.entityId, direction: l.direction, sort_order: l.sortOrder, link_type_id: l.linkTypeId,
    other_entity_type_id: l.otherEntityTypeId, other_entity_id: l.otherEntityId, extra: l.extra,
  })));
  if (links.length) await insertLinks(ctx.runner, ownerType, links);
}

/**
 * Category membership comes from the product side only, so the state does not depend on when the
 * channel file arrives (docs/input-format.md, "Categories").
 */
async function replaceMembership(ctx: WriteContext, products: ParsedUpsert[], stored: ReadonlyMap<string, unknown>): Promise<void> {
  const storedIds = idsStored(products, stored);
  if (storedIds.length) await deleteMembership(ctx.runner, storedIds);
  const rows = products.flatMap((p) => {
    const seen = new Set<string>();
    return p.links
      .filter((l) => l.direction === 'INBOUND' && l.linkTypeId === 'ChannelNodeProduct' && l.otherEntityTypeId === 'ChannelNode')
      .filter((l) => !seen.has(l.otherEntityId) && seen.add(l.otherEntityId))
      .map((l) => ({ channel_node_id: l.otherEntityId, product_entity_id: p.entityId, sort_order: l.sortOrder }));
  });
  if (rows.length) await insertMembership(ctx.runner, rows);
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
  if (claims.length) for (const id of await productsNotOwning(ctx.runner, claims)) reclaiming.add(id);
  return reclaiming;
}

/** Items of changed product lines: upsert the delivered set, mark the ones no longer listed deleted. */
async function writeItems(ctx: WriteContext, products: ParsedUpsert[]): Promise<void> {
  const history = new Map<string, ChangeOperation>();
  // An item listed under two products of one batch belongs to the later line.
  const incoming = new Map<string, { item: ParsedItem; productId: string }>();
  for (const p of products) for (const item of p.items) {
    incoming.delete(item.entityId);
    incoming.set(item.entityId, { item, productId: p.entityId });
  }
  const productIds = products.map((p) => p.entityId);
  // Items of these products and items these lines list, by id.
  const stored = await storedItems(ctx.runner, productIds, [...incoming.keys()]);

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
    await upsertItems(ctx, rows);
    // Only items whose own content changed get their resources and links replaced.
    const contentChanged = changed.filter(({ item }) => stored.get(item.entityId)?.content_hash !== item.hash || stored.get(item.entityId)?.deleted);
    if (contentChanged.length) await replaceChildren(ctx, 'Item', contentChanged.map((c) => c.item), stored);
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
  const ids = await nodesOfFileExcept(ctx, presentIds);
  if (!ids.length) return 0;
  await recordBefore(ctx, 'channel_node', new Map(ids.map((id) => [id, 'DELETE'])));
  await deleteNodes(ctx.runner, ids);
  await deleteChildren(ctx.runner, 'ChannelNode', ids);
  return ids.length;
}
