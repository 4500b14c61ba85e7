import { attributeTypes } from '../repositories/attribute-definition.repository';
import { ParsedAttributeDefinition } from './attribute-file';
import { WriteContext } from './write-context';
import { AttributeSchema } from './attribute-file';
import { Queryable } from '../db/queryable';

/** The AttributeFile is the whole schema: upsert what changed, drop definitions it no longer has. */
export async function writeAttributeDefinitions(ctx: WriteContext, defs: ParsedAttributeDefinition[]): Promise<void> {
  const stored: { entity_type_id: string; attribute_id: string; content_hash: string }[] = await ctx.runner.query(
    'SELECT entity_type_id, attribute_id, content_hash FROM attribute_definition');
  const key = (t: string, a: string) => `${t}\u0000${a}`;
  const before = new Map(stored.map((s) => [key(s.entity_type_id, s.attribute_id), s.content_hash]));
  const changed = defs.filter((d) => {
    const hash = before.get(key(d.entityTypeId, d.attributeId));
    if (hash === undefined) ctx.counts.inserted++;
    else if (hash !== d.hash) ctx.counts.updated++;
    else ctx.counts.unchanged++;
    return hash !== d.hash;
  });
  const present = new Set(defs.map((d) => key(d.entityTypeId, d.attributeId)));
  const gone = stored.filter((s) => !present.has(key(s.entity_type_id, s.attribute_id)));
  // The history keeps each definition's image from before the change (none for a new one).
  const changes = [
    ...changed.map((d) => ({ entity_type_id: d.entityTypeId, attribute_id: d.attributeId, op: before.has(key(d.entityTypeId, d.attributeId)) ? 'UPDATE' : 'INSERT' })),
    ...gone.map((g) => ({ entity_type_id: g.entity_type_id, attribute_id: g.attribute_id, op: 'DELETE' })),
  ];
  if (changes.length) {
    await ctx.runner.query(
      `INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
       SELECT $1, 'AttributeDefinition', r.entity_type_id || '/' || r.attribute_id, r.op, now(), $2, CASE WHEN r.op = 'INSERT' THEN NULL ELSE to_jsonb(d) END
       FROM jsonb_to_recordset($3::jsonb) AS r(entity_type_id text, attribute_id text, op text)
       LEFT JOIN attribute_definition d USING (entity_type_id, attribute_id)`,
      [ctx.eventId, ctx.sourceFile, JSON.stringify(changes)]);
  }
  if (changed.length) {
    const rows = changed.map((d) => ({
      entity_type_id: d.entityTypeId, attribute_id: d.attributeId, data_type: d.dataType, names: d.names,
      sort_order: d.sortOrder, is_multi_value: d.isMultiValue, allowed_values: d.allowedValues, fieldsets: d.fieldsets,
      extra: d.extra, content_hash: d.hash,
    }));
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
  if (gone.length) {
    await ctx.runner.query(
      `DELETE FROM attribute_definition d USING jsonb_to_recordset($1::jsonb) AS r(entity_type_id text, attribute_id text)
       WHERE d.entity_type_id = r.entity_type_id AND d.attribute_id = r.attribute_id`,
      [JSON.stringify(gone.map((g) => ({ entity_type_id: g.entity_type_id, attribute_id: g.attribute_id })))]);
    ctx.counts.removedAbsent += gone.length;
  }
}

export async function readAttributeSchema(runner: Queryable): Promise<AttributeSchema> {
  const rows = await attributeTypes(runner);
  const schema: AttributeSchema = new Map();
  for (const r of rows) {
    let types = schema.get(r.entity_type_id);
    if (!types) schema.set(r.entity_type_id, (types = new Map()));
    types.set(r.attribute_id, { dataType: r.data_type, isMultiValue: r.is_multi_value });
  }
  return schema;
}
