import { EntityManager } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { CsvTemplateEntity, DecoratorEntity, FieldMappingEntity } from '../entities';
import { badInput, notFound } from '../errors/domain-error';
import { DEFAULT_LOCALE_SETTING, readDefaultLocale, readMappings, readTemplates } from '../export/config-queries';
import {
  DecoratorInput, MappingInput, TemplateInput, canonicalDecoratorEntityType, normalizeDecorator, normalizeMapping, normalizeTemplate,
  validateTemplate,
} from '../export/config-validation';
import { MappingConfig, TemplateConfig } from '../entities/export-settings.types';
import { CASE_COLLISION, LOCALE_CODE } from '../export/config-names';


const refuse = (what: string, problems: string[]) => badInput(`${what} not saved: ${problems.join('; ')}`, { problems });

function parseId(id: string, what: string): number {
  if (!/^\d{1,9}$/.test(id)) throw badInput(`${what} id must be a positive integer, got ${JSON.stringify(id)}`);
  return Number(id);
}

/** Everything of a template that matters for its output (to tell a real change from a re-save). */
const shapeOf = (t: TemplateConfig) => JSON.stringify({ ...t, version: 0 });

/**
 * The export configuration (templates, field mappings, decorators, the default locale): reads and
 * validated writes. Every write validates the whole input first and saves nothing when any part
 * is wrong; each call is one transaction of the BU.
 */
export class ExportConfigService {
  constructor(private readonly db: Database) {}

  listTemplates(bu: BusinessUnit): Promise<TemplateConfig[]> {
    return this.db.withBu(bu, (m) => readTemplates(m), { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async upsertTemplate(bu: BusinessUnit, input: TemplateInput): Promise<TemplateConfig> {
    const t = normalizeTemplate(input);
    const problems = validateTemplate(t);
    if (problems.length) throw refuse(`template "${t.name}"`, problems);
    return this.db.withBu(bu, async (m) => {
      await lockTemplateNames(m);
      const [clash]: { name: string }[] = await m.query(
        'SELECT name FROM csv_templates WHERE lower(name) = lower($1) AND name <> $1 ORDER BY name LIMIT 1', [t.name]);
      if (clash) throw refuse(`template "${t.name}"`, [`"${clash.name}" and "${t.name}" ${CASE_COLLISION}; pick another name (to change that template, save it as "${clash.name}")`]);
      await saveTemplate(m, t);
      return (await readTemplates(m, [t.name]))[0];
    });
  }

  deleteTemplate(bu: BusinessUnit, name: string): Promise<boolean> {
    // Its columns go with it (ON DELETE CASCADE).
    return this.db.withBu(bu, async (m) => ((await m.getRepository(CsvTemplateEntity).delete({ name })).affected ?? 0) > 0);
  }

  listMappings(bu: BusinessUnit): Promise<MappingConfig[]> {
    return this.db.withBu(bu, (m) => readMappings(m), { readOnly: true });
  }

  async upsertMapping(bu: BusinessUnit, input: MappingInput): Promise<MappingConfig> {
    const id = input.id != null ? parseId(input.id, 'field mapping') : null;
    const { mapping, problems } = normalizeMapping(input);
    if (problems.length) throw refuse('field mapping', problems);
    return this.db.withBu(bu, async (m) => {
      const repo = m.getRepository(FieldMappingEntity);
      if (id !== null && !(await repo.existsBy({ id }))) throw notFound(`no field mapping ${id} in ${bu.code}`);
      const saved = await repo.save(Object.assign(new FieldMappingEntity(), mapping, id !== null ? { id } : {}));
      return { ...mapping, id: String(saved.id) };
    });
  }

  deleteMapping(bu: BusinessUnit, id: string): Promise<boolean> {
    const n = parseId(id, 'field mapping');
    return this.db.withBu(bu, async (m) => ((await m.getRepository(FieldMappingEntity).delete({ id: n })).affected ?? 0) > 0);
  }

  async listDecorators(bu: BusinessUnit, entityType?: string | null, entityId?: string | null): Promise<DecoratorEntity[]> {
    const type = entityType ? canonicalDecoratorEntityType(entityType) : null;
    if (entityType && !type) return [];
    return this.db.withBu(bu, (m) => {
      const qb = m.getRepository(DecoratorEntity).createQueryBuilder('d');
      if (type) qb.andWhere('d.entity_type = :type', { type });
      if (entityId) qb.andWhere('d.entity_id = :entityId', { entityId: entityId.trim() });
      return qb.orderBy('d.entity_type').addOrderBy('d.entity_id').addOrderBy('d.decorator_type').getMany();
    }, { readOnly: true });
  }

  /** With an id: updates that row. Without: inserts, or updates the row of the same entity and decorator type. */
  async upsertDecorator(bu: BusinessUnit, input: DecoratorInput): Promise<DecoratorEntity> {
    const id = input.id != null ? parseId(input.id, 'decorator') : null;
    const { decorator: d, problems } = normalizeDecorator(input);
    if (problems.length) throw refuse('decorator', problems);
    return this.db.withBu(bu, async (m) => {
      const repo = m.getRepository(DecoratorEntity);
      if (id !== null) {
        if (!(await repo.existsBy({ id }))) throw notFound(`no decorator ${id} in ${bu.code}`);
        const clash = await repo.findOneBy({ entityType: d.entityType, entityId: d.entityId, decoratorType: d.decoratorType });
        if (clash && clash.id !== id) throw badInput(`decorator ${clash.id} already holds ${d.decoratorType} of ${d.entityType} ${d.entityId}`);
        await repo.update({ id }, { entityType: d.entityType, entityId: d.entityId, decoratorType: d.decoratorType,
          decoratorValue: d.decoratorValue ?? null, source: d.source ?? null, notes: d.notes ?? null });
        return repo.findOneByOrFail({ id });
      }
      const [{ id: newId }]: { id: number }[] = await m.query(
        `INSERT INTO decorator_data (entity_type, entity_id, decorator_type, decorator_value, source, notes)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (entity_type, entity_id, decorator_type) DO UPDATE
           SET decorator_value = EXCLUDED.decorator_value, source = EXCLUDED.source, notes = EXCLUDED.notes
         RETURNING id`,
        [d.entityType, d.entityId, d.decoratorType, d.decoratorValue, d.source, d.notes]);
      return repo.findOneByOrFail({ id: newId });
    });
  }

  deleteDecorator(bu: BusinessUnit, id: string): Promise<boolean> {
    const n = parseId(id, 'decorator');
    return this.db.withBu(bu, async (m) => ((await m.getRepository(DecoratorEntity).delete({ id: n })).affected ?? 0) > 0);
  }

  getDefaultLocale(bu: BusinessUnit): Promise<string> {
    return this.db.withBu(bu, (m) => readDefaultLocale(m), { readOnly: true });
  }

  async setDefaultLocale(bu: BusinessUnit, locale: string): Promise<void> {
    if (!LOCALE_CODE.test(locale)) throw badInput(`default locale "${locale}" is not a locale code such as en or fr-CA`);
    await this.db.withBu(bu, (m) => saveDefaultLocale(m, locale));
  }
}

/**
 * Taken by every save of template names (API and import) until it commits: two names differing
 * only in case, saved at the same moment, would otherwise both pass the check. Reads, exports
 * included, do not wait for it.
 */
export async function lockTemplateNames(m: EntityManager): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('pim-accumulator:templates:' || current_schema(), 0))`);
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

export async function saveDefaultLocale(m: EntityManager, locale: string): Promise<void> {
  await m.query(
    `INSERT INTO export_setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
    [DEFAULT_LOCALE_SETTING, locale]);
}
