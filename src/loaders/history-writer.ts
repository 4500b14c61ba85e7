import type { WriteContext } from './entity-writer';

/** Appends to entity_history inside the file's transaction: the image after each change. */

export type HistoryOperation = 'INSERT' | 'UPDATE' | 'DELETE';
export type HistoryTable = 'product' | 'item' | 'channel_node';

const ENTITY_TYPE: Record<HistoryTable, string> = { product: 'Product', item: 'Item', channel_node: 'ChannelNode' };

/** Records the current stored image of each entity in `ops` (taken after the batch wrote it). */
export async function recordHistory(ctx: WriteContext, table: HistoryTable, ops: Map<string, HistoryOperation>): Promise<void> {
  if (!ops.size) return;
  await ctx.runner.query(
    `INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
     SELECT $1, $2, t.entity_id::text, o.op, now(), $3, ${table}_image(t)
     FROM jsonb_to_recordset($4::jsonb) AS o(id bigint, op text) JOIN ${table} t ON t.entity_id = o.id
     ORDER BY o.id`,
    [ctx.eventId, ENTITY_TYPE[table], ctx.sourceFile, JSON.stringify([...ops].map(([id, op]) => ({ id, op })))]);
}

/** Records entities whose row is gone altogether (content NULL). */
export async function recordRemovals(ctx: WriteContext, entityType: string, keys: string[]): Promise<void> {
  if (!keys.length) return;
  await ctx.runner.query(
    `INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
     SELECT $1, $2, k, 'DELETE', now(), $3, NULL FROM unnest($4::text[]) AS k ORDER BY k`,
    [ctx.eventId, entityType, ctx.sourceFile, keys]);
}
