import { Queryable } from '../db/queryable';
import { CsvEncoding, FormulaEscape, LineEnding, MappingConfig, Quoting, TemplateConfig } from '../entities/export-settings.types';

/**
 * Reads of the export configuration tables, shared by the API and the export job (which calls
 * them inside its snapshot, so the files and the configuration they were made with agree).
 */

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
