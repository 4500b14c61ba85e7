import { Queryable } from '../db/queryable';
import { badInput } from '../errors/domain-error';

/**
 * Puts the state back to what it was just before event `fromEventId`, using entity_history:
 * only entities changed by valid events from that event on are touched, each set to its latest
 * image from a valid event before it (or removed when it had none). Runs inside the replay's
 * transaction; writes a history row per restored entity under the replay's own event.
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
  await db.query(`
    CREATE TEMP TABLE replay_target ON COMMIT DROP AS
    WITH touched AS (
      SELECT DISTINCT h.entity_type, h.entity_key
      FROM entity_history h JOIN load_event e ON e.id = h.event_id AND e.replay_date IS NULL
      WHERE h.event_id >= $1
    )
    SELECT t.entity_type, t.entity_key, (
      SELECT h.content FROM entity_history h JOIN load_event e ON e.id = h.event_id AND e.replay_date IS NULL
      WHERE h.entity_type = t.entity_type AND h.entity_key = t.entity_key AND h.event_id < $1
      ORDER BY h.event_id DESC, h.id DESC LIMIT 1
    ) AS content
    FROM touched t`, [fromEventId]);

  // An entity without an image before the event is removed: right when the history shows its creation (an INSERT, of
  // any validity), or when nothing existed yet (the BU's first event). An entity whose history begins with an UPDATE
  // was stored before the history was kept (a database written before migration 0002; 0007 recorded its image then):
  // how it was before that point is not known, and removing it would lose it. Refused, changing nothing.
  const unknown: { entity_type: string; entity_key: string; first_event: string }[] = await db.query(`
    SELECT r.entity_type, r.entity_key, f.event_id::text AS first_event
    FROM replay_target r CROSS JOIN LATERAL (
      SELECT h.operation, h.event_id FROM entity_history h
      WHERE h.entity_type = r.entity_type AND h.entity_key = r.entity_key ORDER BY h.event_id, h.id LIMIT 1) f
    WHERE r.content IS NULL AND f.operation <> 'INSERT' AND $1::bigint > (SELECT min(id) FROM load_event)
    ORDER BY f.event_id DESC, r.entity_type, r.entity_key`, [fromEventId]);
  if (unknown.length) {
    const named = unknown.slice(0, 3).map((u) => `${u.entity_type} ${u.entity_key}`).join(', ');
    throw badInput(`cannot replay from event ${fromEventId}: ${unknown.length} entit${unknown.length === 1 ? 'y was' : 'ies were'} `
      + `stored before this database kept history (${named}${unknown.length > 3 ? ' …' : ''}), and how they were before event `
      + `${unknown[0].first_event} is not known. Replay from a later event than ${unknown[0].first_event}, or from the first event `
      + 'of the business unit (a rebuild from the source). Nothing was changed.');
  }

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

  // Downstream systems that sync through `changes` must hear about entities a replay put back.
  await db.query(`
    INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
    SELECT $1, r.entity_type, r.entity_key,
      CASE WHEN r.content IS NULL OR coalesce((r.content ->> 'deleted')::boolean, false) THEN 'DELETE' ELSE 'UPDATE' END,
      now(), $2, r.content
    FROM replay_target r ORDER BY r.entity_type, r.entity_key`, [replayEventId, sourceFile]);

  const rows: { entity_type: string; restored: number; removed: number }[] = await db.query(`
    SELECT entity_type, count(*) FILTER (WHERE content IS NOT NULL)::int AS restored, count(*) FILTER (WHERE content IS NULL)::int AS removed
    FROM replay_target GROUP BY entity_type ORDER BY entity_type`);
  return Object.fromEntries(rows.map((r) => [r.entity_type, { restored: r.restored, removed: r.removed }]));
}
