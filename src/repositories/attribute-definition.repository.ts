import { EntityManager } from 'typeorm';
import { Queryable } from '../db/queryable';
import { AttributeDefinitionEntity } from '../entities';

// Reads of attribute_definition, the attribute schema of SHARED/AttributeFile.json; the loader's
// writes of it are in loaders/attribute-writer.ts.

/** Ordered by entity type, then the AttributeFile's SortOrder (unsorted last), then id: the order inRiver shows. */
export function listDefinitions(m: EntityManager, entityTypeId: string | null | undefined): Promise<AttributeDefinitionEntity[]> {
  const qb = m.getRepository(AttributeDefinitionEntity).createQueryBuilder('d');
  if (entityTypeId != null) qb.where('d.entity_type_id = :t', { t: entityTypeId });
  return qb.orderBy('d.entity_type_id', 'ASC').addOrderBy('d.sort_order', 'ASC', 'NULLS LAST').addOrderBy('d.attribute_id', 'ASC').getMany();
}

/** Every defined attribute's type and id. */
export function definedAttributes(q: Queryable): Promise<{ entity_type_id: string; attribute_id: string }[]> {
  return q.query('SELECT entity_type_id, attribute_id FROM attribute_definition');
}

/** Every defined attribute with what the loader checks values against. */
export function attributeTypes(q: Queryable): Promise<{ entity_type_id: string; attribute_id: string; data_type: string; is_multi_value: boolean }[]> {
  return q.query('SELECT entity_type_id, attribute_id, data_type, is_multi_value FROM attribute_definition');
}
