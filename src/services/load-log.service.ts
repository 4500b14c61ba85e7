import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { LoadEventEntity, QuarantinedLineEntity } from '../entities';
import type { LoadEventType } from '../entities/load-event.entity';
import { badInput } from '../errors/domain-error';
import { ListOptions, Page, checkPageSize, countOf, decodeCursor, toPage } from './pagination';

export interface LoadEventQuery {
  sourceFile?: string | null;
  eventTypes?: LoadEventType[] | null;
  since?: Date | null;
  until?: Date | null;
  includeReplayed?: boolean | null;
}

/** Reads of the event log and the quarantine, newest first as operators read them. */
export class LoadLogService {
  constructor(private readonly db: Database) {}

  async listEvents(bu: BusinessUnit, filter: LoadEventQuery, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions = {}): Promise<Page<LoadEventEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    if (filter.since && filter.until && filter.since > filter.until) throw badInput('filter.since is after filter.until');
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(LoadEventEntity).createQueryBuilder('e');
      if (filter.sourceFile) qb.andWhere('(e.source_file = :sf OR e.source_key = :sf)', { sf: filter.sourceFile });
      if (filter.eventTypes?.length) qb.andWhere('e.event_type = ANY(CAST(:types AS text[]))', { types: filter.eventTypes });
      if (filter.since) qb.andWhere('e.event_time >= :since', { since: filter.since });
      if (filter.until) qb.andWhere('e.event_time <= :until', { until: filter.until });
      if (filter.includeReplayed === false) qb.andWhere('e.replay_date IS NULL');
      const totalCount = opts.countTotal === false ? Number.NaN : await countOf(qb);
      if (afterKey) qb.andWhere('e.id < :afterKey', { afterKey });
      const rows = await qb.orderBy('e.id', 'DESC').limit(size + 1).getMany();
      return toPage(rows, size, totalCount, (r) => r.id);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async listQuarantined(bu: BusinessUnit, sourceFile: string | null | undefined, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions = {}): Promise<Page<QuarantinedLineEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(QuarantinedLineEntity).createQueryBuilder('q');
      if (sourceFile) qb.andWhere('q.source_file = :sf', { sf: sourceFile });
      const totalCount = opts.countTotal === false ? Number.NaN : await countOf(qb);
      if (afterKey) qb.andWhere('q.id < :afterKey', { afterKey });
      const rows = await qb.orderBy('q.id', 'DESC').limit(size + 1).getMany();
      return toPage(rows, size, totalCount, (r) => r.id);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }
}
