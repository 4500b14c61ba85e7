import { BusinessUnit } from '../db/business-unit';
import { Database } from '../db/database';
import { badInput } from '../errors/domain-error';
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

  /** The latest `first` versions of each entity, newest first. */
  async versions(bu: BusinessUnit, entityType: string, keys: readonly string[], first: number): Promise<Map<string, HistoryRow[]>> {
    const size = checkPageSize(first, 20);
    const rows = await this.db.withBu(bu, (m) => m.query(`
      SELECT * FROM (
        SELECT h.*, row_number() OVER (PARTITION BY h.entity_key ORDER BY h.event_id DESC, h.id DESC) AS rn
        FROM entity_history h ${VALID}
        WHERE h.entity_type = $1 AND h.entity_key = ANY($2::text[])
      ) v WHERE v.rn <= $3 ORDER BY v.entity_key, v.rn`, [entityType, keys, size]), { readOnly: true });
    const out = new Map<string, HistoryRow[]>(keys.map((k) => [k, []]));
    for (const r of rows) out.get(r.entity_key)?.push(toRow(r));
    return out;
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
