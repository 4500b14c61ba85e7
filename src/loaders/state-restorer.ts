import { Queryable } from '../db/queryable';
import { badInput } from '../errors/domain-error';

/**
 * Puts the state back to what it was just before event `fromEventId`, using entity_history, an
 * undo log (src/loaders/history-writer.ts): every entity changed from that event on is set to the
 * content of its first history row at or after it: the before-image of a change (NULL for an
 * insert: the entity is removed), or, when `fromEventId` is itself a replay, the image that replay
 * restored. Rows are in the order the changes happened; the events between an earlier replay and
 * the event it replayed from are all marked, so the first row at or after a valid event describes
 * the valid state before it. Runs inside the replay's transaction; writes a history row per
 * restored entity under the replay's own event, holding what it restored.
 */

export interface RestoreCounts {
  [entityType: string]: { restored: number; removed: number };
}

interface OwnedTable {
  entityType: 'Product' | 'Item' | 'ChannelNode';
  table: string;
  /** Nested sets stored in the image: [image key, table, column naming the owner, extra owner columns]. */
  children: { key: string; table: string; ownerColumns: (keyExpr: string) => string }[];
}

const owned = (entityType: string) => (keyExpr: string) =>
  `jsonb_build_object('owner_type', '${entityType}', 'owner_entity_id', ${keyExpr})`;

const OWNED: OwnedTable[] = [
  {
    entityType: 'Product', table: 'product', children: [
      { key: 'resources', table: 'resource', ownerColumns: owned('Product') },
      { key: 'links', table: 'entity_link', ownerColumns: owned('Product') },
      { key: 'membership', table: 'channel_node_product', ownerColumns: (k) => `jsonb_build_object('product_entity_id', ${k})` },
    ],
  },
  {
    entityType: 'Item', table: 'item', children: [
      { key: 'resources', table: 'resource', ownerColumns: owned('Item') },
      { key: 'links', table: 'entity_link', ownerColumns: owned('Item') },
    ],
  },
  {
    entityType: 'ChannelNode', table: 'channel_node', children: [
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
    await db.query(`INSERT INTO ${table} SELECT (jsonb_populate_record(NULL::${table}, r.content)).*
      FROM replay_target r WHERE r.entity_type = '${entityType}' AND r.content IS NOT NULL`);
    for (const child of children) {
      await db.query(`
        INSERT INTO ${child.table}
        SELECT (jsonb_populate_record(NULL::${child.table}, x || ${child.ownerColumns('r.entity_key::bigint')})).*
        FROM replay_target r CROSS JOIN LATERAL jsonb_array_elements(r.content -> '${child.key}') AS x
        WHERE r.entity_type = '${entityType}' AND r.content IS NOT NULL`);
    }
  }
  await db.query(`DELETE FROM attribute_definition d USING replay_target r
    WHERE r.entity_type = 'AttributeDefinition' AND d.entity_type_id || '/' || d.attribute_id = r.entity_key`);
  await db.query(`INSERT INTO attribute_definition
    SELECT (jsonb_populate_record(NULL::attribute_definition, r.content)).*
    FROM replay_target r WHERE r.entity_type = 'AttributeDefinition' AND r.content IS NOT NULL`);

  const rows: { entity_type: string; restored: number; removed: number }[] = await db.query(`
    SELECT entity_type, count(*) FILTER (WHERE content IS NOT NULL)::int AS restored, count(*) FILTER (WHERE content IS NULL)::int AS removed
    FROM replay_target GROUP BY entity_type ORDER BY entity_type`);
  return Object.fromEntries(rows.map((r) => [r.entity_type, { restored: r.restored, removed: r.removed }]));
}

