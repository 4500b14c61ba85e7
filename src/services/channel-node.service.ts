import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ChannelNodeEntity } from '../entities';
import { Page, checkPageSize, countOf, decodeCursor, parseEntityIds, toPage } from './pagination';

/**
 * The tree is the parents' side of the channel file: a parent ChannelNode's OutboundLinks of type
 * ChannelNodeChannelNodes list its children, in array order (docs/input-format.md). Only live
 * parents count, so a node whose parent was deleted becomes a root.
 */
export const CHILD_LINK_SQL = `l.owner_type = 'ChannelNode' AND l.direction = 'OUTBOUND'
  AND l.link_type_id = 'ChannelNodeChannelNodes' AND l.other_entity_type_id = 'ChannelNode'`;

/** Reads of the category tree. Deleted nodes are not served (the contract has no includeDeleted for nodes). */
export class ChannelNodeService {
  constructor(private readonly db: Database) {}

  async getNode(bu: BusinessUnit, entityId: string): Promise<ChannelNodeEntity | null> {
    const [id] = parseEntityIds([entityId], 'entityId')!;
    return this.db.withBu(bu, (m) => m.getRepository(ChannelNodeEntity).findOne({ where: { entityId: id, deleted: false } }), { readOnly: true });
  }

  /** Live nodes in EntityId order; `rootsOnly`: those no live node lists as a child. */
  async listNodes(bu: BusinessUnit, opts: { rootsOnly?: boolean | null; countTotal?: boolean },
    first: number | null | undefined, after: string | null | undefined): Promise<Page<ChannelNodeEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(ChannelNodeEntity).createQueryBuilder('n').where('NOT n.deleted');
      if (opts.rootsOnly) {
        // entity_link_other_idx (other_entity_type_id, other_entity_id, link_type_id) answers this per node.
        qb.andWhere(`NOT EXISTS (SELECT 1 FROM entity_link l JOIN channel_node pn ON pn.entity_id = l.owner_entity_id AND NOT pn.deleted
          WHERE ${CHILD_LINK_SQL} AND l.other_entity_id = n.entity_id)`);
      }
      const totalCount = opts.countTotal === false ? Number.NaN : await countOf(qb);
      if (afterKey) qb.andWhere('n.entity_id > :afterKey', { afterKey });
      const rows = await qb.orderBy('n.entity_id', 'ASC').limit(size + 1).getMany();
      return toPage(rows, size, totalCount, (r) => r.entityId);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }
}
