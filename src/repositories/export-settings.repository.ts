import { EntityManager } from 'typeorm';
import { Queryable } from '../db/queryable';
import { CsvTemplateEntity, DecoratorEntity, FieldMappingEntity } from '../entities';
import {
  CsvEncoding, DecoratorInput, FormulaEscape, LineEnding, MappingConfig, MappingInput, Quoting, TemplateConfig,
} from '../entities/export-settings.types';

// Every statement about the export settings (csv_templates, csv_template_config, field_mapping,
// decorator_data, export_setting). The reads are shared by the API and the export job, which
// calls them inside its snapshot, so the files and the settings they were made with agree.

interface TemplateRow {
  name: string; row_source: string; delimiter: string; enabled: boolean; header: boolean; quoting: Quoting;
  line_ending: LineEnding; encoding: CsvEncoding; formula_escape: FormulaEscape; version: number; notes: string | null; columns: ColumnRow[] | null;
}
interface ColumnRow {
  column_name: string; position: number; source_type: string; source_value: string | null; default_value: string | null;
  transformation: string | null; required: boolean; notes: string | null;
}

/** Templates by name (all when `names` is null), each with its columns in position order. */
export async function readTemplates(q: Queryable, names: readonly string[] | null = null): Promise<TemplateConfig[]> {
  const rows: TemplateRow[] = await q.query(
    `SELECT t.*, (SELECT jsonb_agg(to_jsonb(c) ORDER BY c.position) FROM csv_template_config c WHERE c.csv_name = t.name) AS columns
     FROM csv_templates t WHERE $1::text[] IS NULL OR t.name = ANY($1::text[]) ORDER BY t.name`, [names]);
  return rows.map((t) => ({
    name: t.name, rowSource: t.row_source, delimiter: t.delimiter, enabled: t.enabled, header: t.header, quoting: t.quoting,
    lineEnding: t.line_ending, encoding: t.encoding, formulaEscape: t.formula_escape, version: t.version, notes: t.notes,
    columns: (t.columns ?? []).map((c) => ({
      columnName: c.column_name, sourceType: c.source_type, sourceValue: c.source_value, defaultValue: c.default_value,
      transformation: c.transformation, required: c.required, notes: c.notes,
    })),
  }));
}

interface MappingRow {
  id: string | number; inriver_entity: string; inriver_field: string; heiler_csv: string; heiler_column: string;
  transformation_rule: string | null; active: boolean; notes: string | null;
}

export const mappingFromRow = (r: MappingRow): MappingConfig => ({
  id: String(r.id), inriverEntity: r.inriver_entity, inriverField: r.inriver_field, heilerCsv: r.heiler_csv,
  heilerColumn: r.heiler_column, transformationRule: r.transformation_rule, active: r.active, notes: r.notes,
});

/** Field mappings, optionally only the active ones of one file, by id. */
export async function readMappings(q: Queryable, opts: { csv?: string; activeOnly?: boolean } = {}): Promise<MappingConfig[]> {
  const rows: MappingRow[] = await q.query(
    `SELECT * FROM field_mapping WHERE ($1::text IS NULL OR heiler_csv = $1) AND (NOT $2 OR active) ORDER BY id`,
    [opts.csv ?? null, opts.activeOnly ?? false]);
  return rows.map(mappingFromRow);
}

export const DEFAULT_LOCALE_SETTING = 'default_locale';

/** The BU's default locale for LocaleString values ("en" when unset). */
export async function readDefaultLocale(q: Queryable): Promise<string> {
  const rows: { value: string }[] = await q.query('SELECT value FROM export_setting WHERE name = $1', [DEFAULT_LOCALE_SETTING]);
  return rows[0]?.value || 'en';
}

/** Everything of a template that matters for its output (to tell a real change from a re-save). */
const shapeOf = (t: TemplateConfig) => JSON.stringify({ ...t, version: 0 });

/**
 * Taken by every save of template names (API and import) until it commits: two names differing
 * only in case, saved at the same moment, would otherwise both pass the check. Reads, exports
 * included, do not wait for it.
 */
export async function lockTemplateNames(m: EntityManager): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('pim-accumulator:templates:' || current_schema(), 0))`);
}

/** Another template whose name differs from `name` only in case. */
export async function findCaseClash(m: EntityManager, name: string): Promise<string | null> {
  const [clash]: { name: string }[] = await m.query(
    'SELECT name FROM csv_templates WHERE lower(name) = lower($1) AND name <> $1 ORDER BY name LIMIT 1', [name]);
  return clash?.name ?? null;
}

/** Inserts or replaces a (validated) template and its columns; the version goes up only when something changed. */
export async function saveTemplate(m: EntityManager, t: TemplateConfig): Promise<boolean> {
  const [current] = await readTemplatesForUpdate(m, t.name);
  if (current && shapeOf(current) === shapeOf(t)) return false;
  const version = current ? current.version + 1 : 1;
  await m.query(
    `INSERT INTO csv_templates (name, row_source, delimiter, enabled, header, quoting, line_ending, encoding, formula_escape, version, notes, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
     ON CONFLICT (name) DO UPDATE SET row_source = EXCLUDED.row_source, delimiter = EXCLUDED.delimiter, enabled = EXCLUDED.enabled,
       header = EXCLUDED.header, quoting = EXCLUDED.quoting, line_ending = EXCLUDED.line_ending, encoding = EXCLUDED.encoding,
       formula_escape = EXCLUDED.formula_escape, version = EXCLUDED.version, notes = EXCLUDED.notes, updated_at = now()`,
    [t.name, t.rowSource, t.delimiter, t.enabled, t.header, t.quoting, t.lineEnding, t.encoding, t.formulaEscape, version, t.notes]);
  await m.query('DELETE FROM csv_template_config WHERE csv_name = $1', [t.name]);
  await m.query(
    `INSERT INTO csv_template_config (csv_name, position, column_name, source_type, source_value, default_value, transformation, required, notes)
     SELECT $1, c.position, c.column_name, c.source_type, c.source_value, c.default_value, c.transformation, c.required, c.notes
     FROM jsonb_to_recordset($2::jsonb) AS c(position int, column_name text, source_type text, source_value text, default_value text,
       transformation text, required boolean, notes text)`,
    [t.name, JSON.stringify(t.columns.map((c, i) => ({
      position: i + 1, column_name: c.columnName, source_type: c.sourceType, source_value: c.sourceValue, default_value: c.defaultValue,
      transformation: c.transformation, required: c.required, notes: c.notes,
    })))]);
  return true;
}

async function readTemplatesForUpdate(m: EntityManager, name: string): Promise<TemplateConfig[]> {
  await m.query('SELECT 1 FROM csv_templates WHERE name = $1 FOR UPDATE', [name]);
  return readTemplates(m, [name]);
}

/** Deletes the template (its columns go with it: ON DELETE CASCADE); whether there was one. */
export async function deleteTemplate(m: EntityManager, name: string): Promise<boolean> {
  return ((await m.getRepository(CsvTemplateEntity).delete({ name })).affected ?? 0) > 0;
}

/** Deletes every template whose name is not in `keep`; the names deleted. */
export async function deleteTemplatesExcept(m: EntityManager, keep: string[]): Promise<string[]> {
  const gone: { name: string }[] = await m.query('SELECT name FROM csv_templates WHERE NOT (name = ANY($1::text[])) ORDER BY name', [keep]);
  await m.query('DELETE FROM csv_templates WHERE NOT (name = ANY($1::text[]))', [keep]);
  return gone.map((g) => g.name);
}

/** Saves a (validated) mapping: the row `id` when given (null when there is none), else a new one; the id saved. */
export async function saveMapping(m: EntityManager, mapping: Omit<MappingConfig, 'id'>, id: number | null): Promise<string | null> {
  const repo = m.getRepository(FieldMappingEntity);
  if (id !== null && !(await repo.existsBy({ id }))) return null;
  const saved = await repo.save(Object.assign(new FieldMappingEntity(), mapping, id !== null ? { id } : {}));
  return String(saved.id);
}

export async function deleteMapping(m: EntityManager, id: number): Promise<boolean> {
  return ((await m.getRepository(FieldMappingEntity).delete({ id })).affected ?? 0) > 0;
}

/** Replaces every field mapping with `mappings`. */
export async function replaceMappings(m: EntityManager, mappings: MappingInput[]): Promise<void> {
  await m.query('DELETE FROM field_mapping');
  await m.query(
    `INSERT INTO field_mapping (inriver_entity, inriver_field, heiler_csv, heiler_column, transformation_rule, active, notes)
           SELECT r.inriver_entity, r.inriver_field, r.heiler_csv, r.heiler_column, r.transformation_rule, r.active, r.notes
           FROM jsonb_to_recordset($1::jsonb) AS r(inriver_entity text, inriver_field text, heiler_csv text, heiler_column text,
             transformation_rule text, active boolean, notes text)`,
    [JSON.stringify(mappings.map((x) => ({ inriver_entity: x.inriverEntity, inriver_field: x.inriverField, heiler_csv: x.heilerCsv,
      heiler_column: x.heilerColumn, transformation_rule: x.transformationRule, active: x.active, notes: x.notes })))]);
}

/** Decorators, of one entity type and/or entity when given, by entity type, entity and decorator type. */
export function listDecorators(m: EntityManager, entityType: string | null, entityId: string | null | undefined): Promise<DecoratorEntity[]> {
  const qb = m.getRepository(DecoratorEntity).createQueryBuilder('d');
  if (entityType) qb.andWhere('d.entity_type = :type', { type: entityType });
  if (entityId) qb.andWhere('d.entity_id = :entityId', { entityId: entityId.trim() });
  return qb.orderBy('d.entity_type').addOrderBy('d.entity_id').addOrderBy('d.decorator_type').getMany();
}

/** Updates decorator `id` (its row must exist) with a (validated) decorator; refused when another row holds the same key. */
export async function updateDecorator(m: EntityManager, id: number, d: DecoratorInput): Promise<{ clash: number } | { saved: DecoratorEntity } | null> {
  const repo = m.getRepository(DecoratorEntity);
  if (!(await repo.existsBy({ id }))) return null;
  const clash = await repo.findOneBy({ entityType: d.entityType, entityId: d.entityId, decoratorType: d.decoratorType });
  if (clash && clash.id !== id) return { clash: clash.id };
  await repo.update({ id }, { entityType: d.entityType, entityId: d.entityId, decoratorType: d.decoratorType,
    decoratorValue: d.decoratorValue ?? null, source: d.source ?? null, notes: d.notes ?? null });
  return { saved: await repo.findOneByOrFail({ id }) };
}

/** Inserts a (validated) decorator, or updates the row of the same entity and decorator type. */
export async function upsertDecorator(m: EntityManager, d: DecoratorInput): Promise<DecoratorEntity> {
  const [{ id: newId }]: { id: number }[] = await m.query(
    `INSERT INTO decorator_data (entity_type, entity_id, decorator_type, decorator_value, source, notes)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (entity_type, entity_id, decorator_type) DO UPDATE
           SET decorator_value = EXCLUDED.decorator_value, source = EXCLUDED.source, notes = EXCLUDED.notes
         RETURNING id`,
    [d.entityType, d.entityId, d.decoratorType, d.decoratorValue, d.source, d.notes]);
  return m.getRepository(DecoratorEntity).findOneByOrFail({ id: newId });
}

export async function deleteDecorator(m: EntityManager, id: number): Promise<boolean> {
  return ((await m.getRepository(DecoratorEntity).delete({ id })).affected ?? 0) > 0;
}

/** Every decorator, in the configuration file's order. */
export function allDecorators(m: EntityManager): Promise<DecoratorEntity[]> {
  return m.getRepository(DecoratorEntity).find({ order: { entityType: 'ASC', entityId: 'ASC', decoratorType: 'ASC' } });
}

/** Replaces every decorator with `decorators`. */
export async function replaceDecorators(m: EntityManager, decorators: DecoratorInput[]): Promise<void> {
  await m.query('DELETE FROM decorator_data');
  await m.query(
    `INSERT INTO decorator_data (entity_type, entity_id, decorator_type, decorator_value, source, notes, created_at)
           SELECT r.entity_type, r.entity_id, r.decorator_type, r.decorator_value, r.source, r.notes, coalesce(r.created_at, now())
           FROM jsonb_to_recordset($1::jsonb) AS r(entity_type text, entity_id text, decorator_type text, decorator_value text,
             source text, notes text, created_at timestamptz)`,
    [JSON.stringify(decorators.map((d) => ({ entity_type: d.entityType, entity_id: d.entityId, decorator_type: d.decoratorType,
      decorator_value: d.decoratorValue, source: d.source, notes: d.notes, created_at: d.createdAt ?? null })))]);
}

export async function saveDefaultLocale(m: EntityManager, locale: string): Promise<void> {
  await m.query(
    `INSERT INTO export_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
    [DEFAULT_LOCALE_SETTING, locale]);
}

/** Every template's name and whether it is enabled, by name. */
export function templateStates(m: Queryable): Promise<{ name: string; enabled: boolean }[]> {
  return m.query('SELECT name, enabled FROM csv_templates ORDER BY name');
}
