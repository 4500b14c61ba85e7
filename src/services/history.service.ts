import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { HISTORY_ENTITY_TYPES } from '../entities/entity-types';
import { badInput } from '../errors/domain-error';
import { ChangesQuery, HistoryRow, changesAfter, latestVersions } from '../repositories/entity-history.repository';
import { checkPageSize, decodeCursor, encodeCursor } from './pagination';

/** Reads of entity_history: per-entity versions, and "what changed since" for syncing systems. */
export class HistoryService {
  constructor(private readonly db: Database) {}

  /** The latest `first` valid versions of each entity, newest first, each with the content after its change. */
  async versions(bu: BusinessUnit, entityType: string, keys: readonly string[], first: number): Promise<Map<string, HistoryRow[]>> {
    const size = checkPageSize(first, 20);
    return this.db.withBu(bu, (m) => latestVersions(m, entityType, keys, size), { readOnly: true, isolation: 'REPEATABLE READ' });
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
    const rows = await this.db.withBu(bu, (m) => changesAfter(m, query, afterId, size + 1), { readOnly: true });
    const nodes = rows.slice(0, size);
    return {
      nodes,
      pageInfo: { hasNextPage: rows.length > size, endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].id) : (after ?? null) },
    };
  }
}
