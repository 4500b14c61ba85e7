import { Queryable } from '../db/queryable';
import { ENTITY_TYPE_OF, EntityTable, OwnerType, TABLE_OF } from '../entities/entity-types';
import { badInput } from '../errors/domain-error';
import { validEvent } from './load-event.repository';

// Every statement about entity_history: the loader's writes, the API's reads, and the replay's
// restore, which reads it to put the tables back.
//
// The history is an undo log: each change appends one row with the entity's stored image from
// just BEFORE it (NULL for an insert: there was nothing before). What a change made is the next
// row's before-image, or the current row for the latest change, so nothing the tables already
// hold is stored twice, and a first load, all inserts, writes no image at all. A replay from an
// event puts every entity it touched back to the before-image of its first change at or after
// that event (docs/loading-and-replay.md, "History").

export type ChangeOperation = 'INSERT' | 'UPDATE' | 'DELETE';
export type HistoryTable = EntityTable;

/** Where a history row comes from: the event and file of the change, on the caller's transaction. */
export interface HistoryWrite {
  runner: Queryable;
  eventId: string;
  sourceFile: string;
}

/**
 * The stored image of entities of `table` whose ids are in the `ops` relation (`o.id`): the row
 * plus its resources, links and, for products, category membership, as jsonb. Each part is one
 * index probe per entity (LATERAL), so the plan does not depend on table statistics, which inside
 * a load describe the tables before it.
 */
export function imageSql(table: HistoryTable): string {
  const ownerType = ENTITY_TYPE_OF[table];
  return `to_jsonb(t) || jsonb_build_object(
      'resources', coalesce((SELECT jsonb_agg(to_jsonb(r) - 'owner_type' - 'owner_entity_id' ORDER BY r.sort_order, r.resource_entity_id)
        FROM resource r WHERE r.owner_type = '${ownerType}' AND r.owner_entity_id = t.entity_id), '[]'::jsonb),
      'links', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'owner_type' - 'owner_entity_id' ORDER BY l.direction, l.sort_order)
        FROM entity_link l WHERE l.owner_type = '${ownerType}' AND l.owner_entity_id = t.entity_id), '[]'::jsonb)
      ${table === 'product' ? `, 'membership', coalesce((SELECT jsonb_agg(to_jsonb(m) - 'product_entity_id' ORDER BY m.sort_order, m.channel_node_id)
        FROM channel_node_product m WHERE m.product_entity_id = t.entity_id), '[]'::jsonb)` : ''})`;
}

/** Current images of entities by id (history versions, a replay's own rows). */
export async function currentImages(db: Queryable, table: HistoryTable, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  if (!ids.length) return new Map();
  const rows: { id: string; image: Record<string, unknown> }[] = await db.query(
    `SELECT t.entity_id::text AS id, ${imageSql(table)} AS image
     FROM unnest($1::bigint[]) AS o(id) CROSS JOIN LATERAL (SELECT * FROM ${table} t WHERE t.entity_id = o.id OFFSET 0) t`, [ids]);
  return new Map(rows.map((r) => [r.id, r.image]));
}

/**
 * Appends one history row per entity of `ops`, BEFORE the batch writes them: the image as it is
 * now for an update or delete, nothing for an insert (no read at all).
 */
export async function recordBefore(ctx: HistoryWrite, table: HistoryTable, ops: Map<string, ChangeOperation>): Promise<void> {
  if (!ops.size) return;
  const all = [...ops].map(([id, op]) => ({ id, op }));
  const inserts = all.filter((o) => o.op === 'INSERT');
  const others = all.filter((o) => o.op !== 'INSERT');
  const entityType = ENTITY_TYPE_OF[table];
  if (inserts.length) {
    await ctx.runner.query(
      `INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
       SELECT $1, $2, k, 'INSERT', now(), $3, NULL FROM unnest($4::text[]) AS k`,
      [ctx.eventId, entityType, ctx.sourceFile, inserts.map((o) => o.id)]);
  }
  if (others.length) {
    await ctx.runner.query(
      `WITH ops AS (SELECT * FROM jsonb_to_recordset($4::jsonb) AS o(id bigint, op text))
       INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
       SELECT $1, $2, t.entity_id::text, o.op, now(), $3, ${imageSql(table)}
       FROM ops o CROSS JOIN LATERAL (SELECT * FROM ${table} t WHERE t.entity_id = o.id OFFSET 0) t`,
      [ctx.eventId, entityType, ctx.sourceFile, JSON.stringify(others)]);
  }
}

/**
 * One history row per changed attribute definition (key `EntityTypeId/AttributeId`), before the
 * definitions are written: the stored definition for an update or delete, nothing for an insert.
 */
export async function recordAttributesBefore(ctx: HistoryWrite, changes: { entity_type_id: string; attribute_id: string; op: string }[]): Promise<void> {
  await ctx.runner.query(
    `INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
       SELECT $1, 'AttributeDefinition', r.entity_type_id || '/' || r.attribute_id, r.op, now(), $2, CASE WHEN r.op = 'INSERT' THEN NULL ELSE to_jsonb(d) END
       FROM jsonb_to_recordset($3::jsonb) AS r(entity_type_id text, attribute_id text, op text)
       LEFT JOIN attribute_definition d USING (entity_type_id, attribute_id)`,
    [ctx.eventId, ctx.sourceFile, JSON.stringify(changes)]);
}

export interface HistoryRow {
  id: string;
  eventId: string;
  entityType: string;
  entityKey: string;
  operation: ChangeOperation;
  changedAt: Date;
  sourceFile: string;
  content: Record<string, unknown> | null;
}

export interface ChangesQuery {
  sinceEventId?: string | null;
  since?: Date | null;
  entityTypes?: string[] | null;
}

// Only the valid chain: history written by events a replay has since marked was undone by it.
const VALID = `JOIN load_event e ON e.id = h.event_id AND ${validEvent('e')}`;

const toRow = (r: Record<string, any>): HistoryRow => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
  id: String(r.id), eventId: String(r.event_id), entityType: r.entity_type, entityKey: r.entity_key,
  operation: r.operation, changedAt: r.changed_at, sourceFile: r.source_file, content: r.content,
});

/**
 * The latest `size` valid versions of each entity, newest first, each with the content after its
 * change. The history keeps before-images (an undo log), so that is the next row's before-image
 * (replayed rows included: they happened), or the current row for the latest.
 */
export async function latestVersions(m: Queryable, entityType: string, keys: readonly string[], size: number): Promise<Map<string, HistoryRow[]>> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rows: (Record<string, any> & { after: unknown; latest: boolean })[] = await m.query(`
    SELECT * FROM (
      SELECT v.*, row_number() OVER (PARTITION BY v.entity_key ORDER BY v.event_id DESC, v.id DESC) AS rn FROM (
        SELECT h.id, h.event_id, h.entity_type, h.entity_key, h.operation, h.changed_at, h.source_file,
          lead(h.content) OVER w AS after, lead(h.id) OVER w IS NULL AS latest, ${validEvent('e')} AS valid
        FROM entity_history h JOIN load_event e ON e.id = h.event_id
        WHERE h.entity_type = $1 AND h.entity_key = ANY($2::text[])
        WINDOW w AS (PARTITION BY h.entity_key ORDER BY h.id)) v
      WHERE v.valid) x
    WHERE x.rn <= $3 ORDER BY x.entity_key, x.rn`, [entityType, keys, size]);
  const current = await currentContent(m, entityType, rows.filter((r) => r.latest).map((r) => r.entity_key));
  const out = new Map<string, HistoryRow[]>(keys.map((k) => [k, []]));
  for (const r of rows) out.get(r.entity_key)?.push(toRow({ ...r, content: r.latest ? current.get(r.entity_key) ?? null : r.after }));
  return out;
}

/** Valid changes in event order after history row `afterId`, `limit` of them, without content. */
export async function changesAfter(m: Queryable, query: ChangesQuery, afterId: string | null, limit: number): Promise<HistoryRow[]> {
  const rows = await m.query(`
      SELECT h.id, h.event_id, h.entity_type, h.entity_key, h.operation, h.changed_at, h.source_file, NULL::jsonb AS content
      FROM entity_history h ${VALID}
      WHERE ($1::bigint IS NULL OR h.event_id > $1::bigint)
        AND ($2::timestamptz IS NULL OR h.changed_at >= $2::timestamptz)
        AND ($3::text[] IS NULL OR h.entity_type = ANY($3::text[]))
        AND ($4::bigint IS NULL OR h.id > $4::bigint)
      ORDER BY h.id LIMIT $5`,
  [query.sinceEventId ?? null, query.since ?? null, query.entityTypes?.length ? query.entityTypes : null, afterId, limit]);
  return rows.map(toRow);
}

/** The current stored image of entities (the content after their latest change). */
async function currentContent(m: Queryable, entityType: string, keys: string[]): Promise<Map<string, Record<string, unknown>>> {
  if (!keys.length) return new Map();
  if (entityType !== 'AttributeDefinition') return currentImages(m, TABLE_OF[entityType as OwnerType], keys);
  const rows: { key: string; image: Record<string, unknown> }[] = await m.query(
    `SELECT d.entity_type_id || '/' || d.attribute_id AS key, to_jsonb(d) AS image FROM attribute_definition d
     WHERE d.entity_type_id || '/' || d.attribute_id = ANY($1::text[])`, [keys]);
  return new Map(rows.map((r) => [r.key, r.image]));
}

export interface RestoreCounts {
  [entityType: string]: { restored: number; removed: number };
}

interface OwnedTable {
  entityType: OwnerType;
  table: EntityTable;
  /** Nested sets stored in the image: [image key, table, column naming the owner, extra owner columns]. */
  children: { key: string; table: string; ownerColumns: (keyExpr: string) => string }[];
}

const owned = (entityType: string) => (keyExpr: string) =>
  `jsonb_build_object('owner_type', '${entityType}', 'owner_entity_id', ${keyExpr})`;

const OWNED: OwnedTable[] = [
  {
    entityType: 'Product', table: TABLE_OF.Product, children: [
      { key: 'resources', table: 'resource', ownerColumns: owned('Product') },
      { key: 'links', table: 'entity_link', ownerColumns: owned('Product') },
      { key: 'membership', table: 'channel_node_product', ownerColumns: (k) => `jsonb_build_object('product_entity_id', ${k})` },
    ],
  },
  {
    entityType: 'Item', table: TABLE_OF.Item, children: [
      { key: 'resources', table: 'resource', ownerColumns: owned('Item') },
      { key: 'links', table: 'entity_link', ownerColumns: owned('Item') },
    ],
  },
  {
    entityType: 'ChannelNode', table: TABLE_OF.ChannelNode, children: [
      { key: 'resources', table: 'resource', ownerColumns: owned('ChannelNode') },
      { key: 'links', table: 'entity_link', ownerColumns: owned('ChannelNode') },
    ],
  },
];

const CHILD_OWNER_MATCH: Record<string, (entityType: string) => string> = {
  resource: (t) => `c.owner_type = '${t}' AND c.owner_entity_id = r.entity_key::bigint`,
  entity_link: (t) => `c.owner_type = '${t}' AND c.owner_entity_id = r.entity_key::bigint`,
  channel_node_product: () => 'c.product_entity_id = r.entity_key::bigint',
};

/**
 * Puts the state back to what it was just before event `fromEventId`, using entity_history, an
 * undo log (recordBefore above): every entity changed from that event on is set to the
 * content of its first history row at or after it: the before-image of a change (NULL for an
 * insert: the entity is removed), or, when `fromEventId` is itself a replay, the image that replay
 * restored. Rows are in the order the changes happened; the events between an earlier replay and
 * the event it replayed from are all marked, so the first row at or after a valid event describes
 * the valid state before it. Runs inside the replay's transaction; writes a history row per
 * restored entity under the replay's own event, holding what it restored.
 */
export async function restoreStateBefore(db: Queryable, fromEventId: string, replayEventId: string, sourceFile: string): Promise<RestoreCounts> {
  // The entity's rows from the event on, first one kept: the cost follows what changed since then.
  await db.query(`
    CREATE TEMP TABLE replay_target ON COMMIT DROP AS
    SELECT DISTINCT ON (h.entity_type, h.entity_key) h.entity_type, h.entity_key, h.content, h.operation, h.event_id
    FROM entity_history h WHERE h.event_id >= $1
    ORDER BY h.entity_type, h.entity_key, h.id`, [fromEventId]);

  // A row whose before-image is not known: an UPDATE without one. Only entities stored before the
  // history was kept have such a row (a database written before migration 0002: 0007 and 0009 give
  // each its first row that way): removing them would lose them, and how they were is not known.
  // Refused, changing nothing, unless E is the BU's first event (a rebuild from the source).
  const unknown: { entity_type: string; entity_key: string; event_id: string }[] = await db.query(`
    SELECT r.entity_type, r.entity_key, r.event_id::text AS event_id FROM replay_target r
    WHERE r.content IS NULL AND r.operation = 'UPDATE' AND $1::bigint > (SELECT min(id) FROM load_event)
    ORDER BY r.event_id DESC, r.entity_type, r.entity_key`, [fromEventId]);
  if (unknown.length) {
    const named = unknown.slice(0, 3).map((u) => `${u.entity_type} ${u.entity_key}`).join(', ');
    throw badInput(`cannot replay from event ${fromEventId}: ${unknown.length} entit${unknown.length === 1 ? 'y was' : 'ies were'} `
      + `stored before this database kept history (${named}${unknown.length > 3 ? ' …' : ''}), and how they were before event `
      + `${unknown[0].event_id} is not known. Replay from a later event than ${unknown[0].event_id}, or from the first event `
      + 'of the business unit (a rebuild from the source). Nothing was changed.');
  }

  // Downstream systems that sync through `changes` must hear about entities a replay put back. A
  // replay's own rows keep the image it restored (not the one before it, as other rows do): what
  // was there before a replay is the excursion it undoes, and nothing ever needs it again, while a
  // replay from this replay's event needs exactly what it restored.
  await db.query(`
    INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
    SELECT $1, r.entity_type, r.entity_key,
      CASE WHEN r.content IS NULL OR coalesce((r.content ->> 'deleted')::boolean, false) THEN 'DELETE' ELSE 'UPDATE' END,
      now(), $2, r.content
    FROM replay_target r ORDER BY r.entity_type, r.entity_key`, [replayEventId, sourceFile]);

  for (const { entityType, table, children } of OWNED) {
    for (const child of children) {
      await db.query(`DELETE FROM ${child.table} c USING replay_target r WHERE r.entity_type = '${entityType}' AND ${CHILD_OWNER_MATCH[child.table](entityType)}`);
    }
    await db.query(`DELETE FROM ${table} t USING replay_target r WHERE r.entity_type = '${entityType}' AND t.entity_id = r.entity_key::bigint`);
    await db.query(`INSERT INTO ${table} SELECT e.*
      FROM replay_target r CROSS JOIN LATERAL jsonb_populate_record(NULL::${table}, r.content) AS e
      WHERE r.entity_type = '${entityType}' AND r.content IS NOT NULL`);
    for (const child of children) {
      await db.query(`
        INSERT INTO ${child.table} SELECT c.*
        FROM replay_target r CROSS JOIN LATERAL jsonb_array_elements(r.content -> '${child.key}') AS x
          CROSS JOIN LATERAL jsonb_populate_record(NULL::${child.table}, x || ${child.ownerColumns('r.entity_key::bigint')}) AS c
        WHERE r.entity_type = '${entityType}' AND r.content IS NOT NULL`);
    }
  }
  await db.query(`DELETE FROM attribute_definition d USING replay_target r
    WHERE r.entity_type = 'AttributeDefinition' AND d.entity_type_id || '/' || d.attribute_id = r.entity_key`);
  await db.query(`INSERT INTO attribute_definition SELECT d.*
    FROM replay_target r CROSS JOIN LATERAL jsonb_populate_record(NULL::attribute_definition, r.content) AS d
    WHERE r.entity_type = 'AttributeDefinition' AND r.content IS NOT NULL`);

  const rows: { entity_type: string; restored: number; removed: number }[] = await db.query(`
    SELECT entity_type, count(*) FILTER (WHERE content IS NOT NULL)::int AS restored, count(*) FILTER (WHERE content IS NULL)::int AS removed
    FROM replay_target GROUP BY entity_type ORDER BY entity_type`);
  return Object.fromEntries(rows.map((r) => [r.entity_type, { restored: r.restored, removed: r.removed }]));
}

