import { Queryable } from '../../db/queryable';
import {
  attributeTypes, definitionHashes, deleteDefinitions, upsertDefinitions,
} from '../../repositories/attribute-definition.repository';
import { recordAttributesBefore } from '../../repositories/entity-history.repository';
import { AttributeSchema, ParsedAttributeDefinition } from '../parse/attribute-file';
import { WriteContext } from './write-context';

/** The AttributeFile is the whole schema: upsert what changed, drop definitions it no longer has. */
export async function writeAttributeDefinitions(ctx: WriteContext, defs: ParsedAttributeDefinition[]): Promise<void> {
  const stored = await definitionHashes(ctx.runner);
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
  if (changes.length) await recordAttributesBefore(ctx, changes);
  if (changed.length) {
    const rows = changed.map((d) => ({
      entity_type_id: d.entityTypeId, attribute_id: d.attributeId, data_type: d.dataType, names: d.names,
      sort_order: d.sortOrder, is_multi_value: d.isMultiValue, allowed_values: d.allowedValues, fieldsets: d.fieldsets,
      extra: d.extra, content_hash: d.hash,
    }));
    await upsertDefinitions(ctx, rows);
  }
  if (gone.length) {
    await deleteDefinitions(ctx.runner, gone);
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
