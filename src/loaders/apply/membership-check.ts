import { Queryable } from '../../db/queryable';
import { membershipDisagreements } from '../../repositories/channel-node.repository';
import type { PlannedFile } from '../plan/load-planner';

/**
 * Membership is owned by the product side; node lines that list products are kept but only
 * compared. Counts, for the entities of this file only (so the cost follows the file, not the
 * catalogue), node-side claims the product side does not confirm, and the reverse (the latter
 * only for nodes that list products at all).
 */
export async function membershipCheck(db: Queryable, file: PlannedFile, ids: Set<string>): Promise<Record<string, unknown>> {
  if (file.kind === 'attributes' || ids.size === 0) return {};
  const byNode = file.kind === 'channel';
  const row = await membershipDisagreements(db, byNode, [...ids]);
  return { membershipDisagreements: row.node_only, membershipOnlyOnProductSide: row.product_only };
}
