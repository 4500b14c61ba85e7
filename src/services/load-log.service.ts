import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { LoadEventEntity, QuarantinedLineEntity } from '../entities';
import { badInput } from '../errors/domain-error';
import { LoadEventQuery, listEvents } from '../repositories/load-event.repository';
import { listQuarantined } from '../repositories/quarantine.repository';
import { ListOptions, Page, checkPageSize, decodeCursor, toPage } from './pagination';

/** Reads of the event log and the quarantine, newest first as operators read them. */
export class LoadLogService {
  constructor(private readonly db: Database) {}

  async listEvents(bu: BusinessUnit, filter: LoadEventQuery, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions = {}): Promise<Page<LoadEventEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    if (filter.since && filter.until && filter.since > filter.until) throw badInput('filter.since is after filter.until');
    return this.db.withBu(bu, async (m) => {
      const { rows, totalCount } = await listEvents(m, filter, { afterKey, size, countTotal: opts.countTotal !== false });
      return toPage(rows, size, totalCount, (r) => r.id);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async listQuarantined(bu: BusinessUnit, sourceFile: string | null | undefined, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions = {}): Promise<Page<QuarantinedLineEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    return this.db.withBu(bu, async (m) => {
      const { rows, totalCount } = await listQuarantined(m, sourceFile, { afterKey, size, countTotal: opts.countTotal !== false });
      return toPage(rows, size, totalCount, (r) => r.id);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }
}
