import { EntityManager } from 'typeorm';
import { Queryable } from '../db/queryable';
import { AttributeDefinitionEntity } from '../entities';
import type { HistoryWrite } from './entity-history.repository';

// Every statement about attribute_definition, the attribute schema of SHARED/AttributeFile.json:
// the API's and the export's reads, and the loader's writes (loaders/apply/attribute-writer.ts
// decides what changed).

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

/** Every stored definition's key and content hash (the loader compares the AttributeFile with them). */
export function definitionHashes(q: Queryable): Promise<{ entity_type_id: string; attribute_id: string; content_hash: string }[]> {
  return q.query(
    'SELECT entity_type_id, attribute_id, content_hash FROM attribute_definition');
}

/** Inserts or replaces definitions (rows as jsonb_to_recordset reads them). */
export async function upsertDefinitions(ctx: HistoryWrite, rows: Record<string, unknown>[]): Promise<void> {
  await ctx.runner.query(
    `INSERT INTO attribute_definition (entity_type_id, attribute_id, data_type, names, sort_order, is_multi_value,
         allowed_values, fieldsets, extra, content_hash, source_file, event_id, updated_at)
       SELECT r.entity_type_id, r.attribute_id, r.data_type, coalesce(r.names, '{}'::jsonb), r.sort_order, r.is_multi_value,
         r.allowed_values, r.fieldsets, r.extra, r.content_hash, $2, $3, now()
       FROM jsonb_to_recordset($1::jsonb) AS r(entity_type_id text, attribute_id text, data_type text, names jsonb,
         sort_order int, is_multi_value boolean, allowed_values jsonb, fieldsets jsonb, extra jsonb, content_hash text)
       ON CONFLICT (entity_type_id, attribute_id) DO UPDATE SET data_type = EXCLUDED.data_type, names = EXCLUDED.names,
         sort_order = EXCLUDED.sort_order, is_multi_value = EXCLUDED.is_multi_value, allowed_values = EXCLUDED.allowed_values,
         fieldsets = EXCLUDED.fieldsets, extra = EXCLUDED.extra, content_hash = EXCLUDED.content_hash,
         source_file = EXCLUDED.source_file, event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at`,
    [JSON.stringify(rows), ctx.sourceFile, ctx.eventId]);
}

export async function deleteDefinitions(q: Queryable, gone: { entity_type_id: string; attribute_id: string }[]): Promise<void> {
  await q.query(
    `DELETE FROM attribute_definition d USING jsonb_to_recordset($1::jsonb) AS r(entity_type_id text, attribute_id text)
       WHERE d.entity_type_id = r.entity_type_id AND d.attribute_id = r.attribute_id`,
    [JSON.stringify(gone.map((g) => ({ entity_type_id: g.entity_type_id, attribute_id: g.attribute_id })))]);
}
