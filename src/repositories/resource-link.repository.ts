import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { entitiesFromRows } from '../db/entity-rows';
import type { OwnerType } from '../entities/entity-types';

/**
 * Rows of a nested table (resource, entity_link) by owner, in the owners' order, then `order`:
 * one index probe per owner (a LATERAL join), a plan that cannot become a scan of every row of
 * an owner type, whatever the statistics say (right after a large load they describe the table
 * before it, until autovacuum analyzes it).
 */
export async function rowsOfOwners<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, table: 'resource' | 'entity_link',
  order: string[], owners: readonly { ownerType: OwnerType; entityId: string }[]): Promise<T[]> {
  return entitiesFromRows(m, entity, await m.query(
    `SELECT x.* FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k(owner_type, owner_entity_id, n)
         CROSS JOIN LATERAL (SELECT * FROM ${table} t WHERE t.owner_type = k.owner_type AND t.owner_entity_id = k.owner_entity_id) x
         ORDER BY k.n, ${order.map((c) => `x.${c}`).join(', ')}`,
    [owners.map((k) => k.ownerType), owners.map((k) => k.entityId)]));
}
