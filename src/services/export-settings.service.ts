import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { DecoratorInput, MappingConfig, MappingInput, TemplateConfig, TemplateInput } from '../entities/export-settings.types';
import { DecoratorEntity } from '../entities/index';
import { badInput, notFound } from '../errors/domain-error';
import { CASE_COLLISION, LOCALE_CODE } from '../export/settings/settings-names';
import { canonicalDecoratorEntityType, normalizeDecorator, normalizeMapping, normalizeTemplate, validateTemplate } from '../export/settings/settings-validation';
import {
  deleteDecorator, deleteMapping, deleteTemplate, findCaseClash, listDecorators, lockTemplateNames, readDefaultLocale, readMappings,
  readTemplates, saveDefaultLocale, saveMapping, saveTemplate, updateDecorator, upsertDecorator,
} from '../repositories/export-settings.repository';

const refuse = (what: string, problems: string[]) => badInput(`${what} not saved: ${problems.join('; ')}`, { problems });

function parseId(id: string, what: string): number {
  if (!/^\d{1,9}$/.test(id)) throw badInput(`${what} id must be a positive integer, got ${JSON.stringify(id)}`);
  return Number(id);
}

/**
 * The export configuration (templates, field mappings, decorators, the default locale): reads and
 * validated writes. Every write validates the whole input first and saves nothing when any part
 * is wrong; each call is one transaction of the BU.
 */
export class ExportSettingsService {
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
      const clash = await findCaseClash(m, t.name);
      if (clash) throw refuse(`template "${t.name}"`, [`"${clash}" and "${t.name}" ${CASE_COLLISION}; pick another name (to change that template, save it as "${clash}")`]);
      await saveTemplate(m, t);
      return (await readTemplates(m, [t.name]))[0];
    });
  }

  deleteTemplate(bu: BusinessUnit, name: string): Promise<boolean> {
    return this.db.withBu(bu, (m) => deleteTemplate(m, name));
  }

  listMappings(bu: BusinessUnit): Promise<MappingConfig[]> {
    return this.db.withBu(bu, (m) => readMappings(m), { readOnly: true });
  }

  async upsertMapping(bu: BusinessUnit, input: MappingInput): Promise<MappingConfig> {
    const id = input.id != null ? parseId(input.id, 'field mapping') : null;
    const { mapping, problems } = normalizeMapping(input);
    if (problems.length) throw refuse('field mapping', problems);
    return this.db.withBu(bu, async (m) => {
      const saved = await saveMapping(m, mapping, id);
      if (saved === null) throw notFound(`no field mapping ${id} in ${bu.code}`);
      return { ...mapping, id: saved };
    });
  }

  deleteMapping(bu: BusinessUnit, id: string): Promise<boolean> {
    const n = parseId(id, 'field mapping');
    return this.db.withBu(bu, (m) => deleteMapping(m, n));
  }

  async listDecorators(bu: BusinessUnit, entityType?: string | null, entityId?: string | null): Promise<DecoratorEntity[]> {
    const type = entityType ? canonicalDecoratorEntityType(entityType) : null;
    if (entityType && !type) return [];
    return this.db.withBu(bu, (m) => listDecorators(m, type, entityId), { readOnly: true });
  }

  /** With an id: updates that row. Without: inserts, or updates the row of the same entity and decorator type. */
  async upsertDecorator(bu: BusinessUnit, input: DecoratorInput): Promise<DecoratorEntity> {
    const id = input.id != null ? parseId(input.id, 'decorator') : null;
    const { decorator: d, problems } = normalizeDecorator(input);
    if (problems.length) throw refuse('decorator', problems);
    return this.db.withBu(bu, async (m) => {
      if (id === null) return upsertDecorator(m, d);
      const updated = await updateDecorator(m, id, d);
      if (!updated) throw notFound(`no decorator ${id} in ${bu.code}`);
      if ('clash' in updated) throw badInput(`decorator ${updated.clash} already holds ${d.decoratorType} of ${d.entityType} ${d.entityId}`);
      return updated.saved;
    });
  }

  deleteDecorator(bu: BusinessUnit, id: string): Promise<boolean> {
    const n = parseId(id, 'decorator');
    return this.db.withBu(bu, (m) => deleteDecorator(m, n));
  }

  getDefaultLocale(bu: BusinessUnit): Promise<string> {
    return this.db.withBu(bu, (m) => readDefaultLocale(m), { readOnly: true });
  }

  async setDefaultLocale(bu: BusinessUnit, locale: string): Promise<void> {
    if (!LOCALE_CODE.test(locale)) throw badInput(`default locale "${locale}" is not a locale code such as en or fr-CA`);
    await this.db.withBu(bu, (m) => saveDefaultLocale(m, locale));
  }
}
