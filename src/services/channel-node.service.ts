import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ChannelNodeEntity } from '../entities';
import { findLiveNode, listLiveNodes } from '../repositories/channel-node.repository';
import { Page, checkPageSize, decodeCursor, parseEntityIds, toPage } from './pagination';

/** Reads of the category tree. Deleted nodes are not served (the contract has no includeDeleted for nodes). */
export class ChannelNodeService {
  constructor(private readonly db: Database) {}

  async getNode(bu: BusinessUnit, entityId: string): Promise<ChannelNodeEntity | null> {
    const [id] = parseEntityIds([entityId], 'entityId')!;
    return this.db.withBu(bu, (m) => findLiveNode(m, id), { readOnly: true });
  }

  /** Live nodes in EntityId order; `rootsOnly`: those no live node lists as a child. */
  async listNodes(bu: BusinessUnit, opts: { rootsOnly?: boolean | null; countTotal?: boolean },
    first: number | null | undefined, after: string | null | undefined): Promise<Page<ChannelNodeEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    return this.db.withBu(bu, async (m) => {
      const { rows, totalCount } = await listLiveNodes(m, !!opts.rootsOnly, { afterKey, size, countTotal: opts.countTotal !== false });
      return toPage(rows, size, totalCount, (r) => r.entityId);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }
}
