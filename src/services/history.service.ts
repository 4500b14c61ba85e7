import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { Queryable } from '../db/queryable';
import { badInput } from '../errors/domain-error';
import { HistoryTable, currentImages } from '../loaders/history-writer';
import { checkPageSize, decodeCursor, encodeCursor } from './pagination';

export type ChangeOperation = 'INSERT' | 'UPDATE' | 'DELETE';

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

export const HISTORY_ENTITY_TYPES = ['Product', 'Item', 'ChannelNode', 'AttributeDefinition'];

// Only the valid chain: history written by events a replay has since marked was undone by it.
const VALID = 'JOIN load_event e ON e.id = h.event_id AND e.replay_date IS NULL';

const toRow = (r: Record<string, any>): HistoryRow => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
  id: String(r.id), eventId: String(r.event_id), entityType: r.entity_type, entityKey: r.entity_key,
  operation: r.operation, changedAt: r.changed_at, sourceFile: r.source_file, content: r.content,
});

/** Reads of entity_history: per-entity versions, and "what changed since" for syncing systems. */
export class HistoryService {
  constructor(private readonly db: Database) {}

  /**
   * The latest `first` valid versions of each entity, newest first, each with the content after
   * its change. The history keeps before-images (an undo log), so that is the next row's
   * before-image (replayed rows included: they happened), or the current row for the latest.
   */
  async versions(bu: BusinessUnit, entityType: string, keys: readonly string[], first: number): Promise<Map<string, HistoryRow[]>> {
    const size = checkPageSize(first, 20);
    return this.db.withBu(bu, async (m) => {
      const rows: (Record<string, any> & { after: unknown; latest: boolean })[] = await m.query(`
        SELECT * FROM (
          SELECT v.*, row_number() OVER (PARTITION BY v.entity_key ORDER BY v.event_id DESC, v.id DESC) AS rn FROM (
            SELECT h.id, h.event_id, h.entity_type, h.entity_key, h.operation, h.changed_at, h.source_file,
              lead(h.content) OVER w AS after, lead(h.id) OVER w IS NULL AS latest, e.replay_date IS NULL AS valid
            FROM entity_history h JOIN load_event e ON e.id = h.event_id
            WHERE h.entity_type = $1 AND h.entity_key = ANY($2::text[])
            WINDOW w AS (PARTITION BY h.entity_key ORDER BY h.id)) v
          WHERE v.valid) x
        WHERE x.rn <= $3 ORDER BY x.entity_key, x.rn`, [entityType, keys, size]);
      const current = await currentContent(m, entityType, rows.filter((r) => r.latest).map((r) => r.entity_key));
      const out = new Map<string, HistoryRow[]>(keys.map((k) => [k, []]));
      for (const r of rows) out.get(r.entity_key)?.push(toRow({ ...r, content: r.latest ? current.get(r.entity_key) ?? null : r.after }));
      return out;
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  /** Changes in event order after an event and/or since a time, cursor-paged. */
  async changes(bu: BusinessUnit, query: ChangesQuery, first: number | null | undefined, after: string | null | undefined) {
    const size = checkPageSize(first, 1000);
    const afterId = decodeCursor(after);
    if (query.sinceEventId != null && !/^\d{1,18}$/.test(String(query.sinceEventId))) {
      throw badInput(`sinceEventId must be a load event id, got ${JSON.stringify(query.sinceEventId)}`);
    }
    const unknown = (query.entityTypes ?? []).filter((t) => !HISTORY_ENTITY_TYPES.includes(t));
    if (unknown.length) throw badInput(`unknown entity type(s) ${unknown.join(', ')}; use ${HISTORY_ENTITY_TYPES.join(', ')}`);
    const rows = await this.db.withBu(bu, (m) => m.query(`
      SELECT h.id, h.event_id, h.entity_type, h.entity_key, h.operation, h.changed_at, h.source_file, NULL::jsonb AS content
      FROM entity_history h ${VALID}
      WHERE ($1::bigint IS NULL OR h.event_id > $1::bigint)
        AND ($2::timestamptz IS NULL OR h.changed_at >= $2::timestamptz)
        AND ($3::text[] IS NULL OR h.entity_type = ANY($3::text[]))
        AND ($4::bigint IS NULL OR h.id > $4::bigint)
      ORDER BY h.id LIMIT $5`,
    [query.sinceEventId ?? null, query.since ?? null, query.entityTypes?.length ? query.entityTypes : null, afterId, size + 1]), { readOnly: true });
    const nodes = rows.slice(0, size).map(toRow);
    return {
      nodes,
      pageInfo: { hasNextPage: rows.length > size, endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].id) : (after ?? null) },
    };
  }
}

const TABLES: Record<string, HistoryTable> = { Product: 'product', Item: 'item', ChannelNode: 'channel_node' };

/** The current stored image of entities (the content after their latest change). */
async function currentContent(m: Queryable, entityType: string, keys: string[]): Promise<Map<string, Record<string, unknown>>> {
  if (!keys.length) return new Map();
  if (entityType !== 'AttributeDefinition') return currentImages(m, TABLES[entityType], keys);
  const rows: { key: string; image: Record<string, unknown> }[] = await m.query(
    `SELECT d.entity_type_id || '/' || d.attribute_id AS key, to_jsonb(d) AS image FROM attribute_definition d
     WHERE d.entity_type_id || '/' || d.attribute_id = ANY($1::text[])`, [keys]);
  return new Map(rows.map((r) => [r.key, r.image]));
}
