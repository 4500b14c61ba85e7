import { z } from 'zod';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { badInput } from '../errors/domain-error';
import { CASE_COLLISION, LOCALE_CODE, caseCollisions } from '../export/settings/settings-names';
import { normalizeDecorator, normalizeMapping, normalizeTemplate, validateTemplate } from '../export/settings/settings-validation';
import {
  allDecorators, deleteTemplatesExcept, lockTemplateNames, readDefaultLocale, readMappings, readTemplates, replaceDecorators,
  replaceMappings, saveDefaultLocale, saveTemplate,
} from '../repositories/export-settings.repository';

// The export configuration as one JSON file (`npm run config -- export|import`), so operators can
// keep it in version control. Import makes each section present in the file the whole truth for
// that section (templates not in the file are deleted, mappings and decorators replaced), all in
// one transaction after validating everything; sections left out of the file are not touched.

const str = z.string();
const optStr = z.string().nullable().optional();
const optBool = z.boolean().nullable().optional();

const columnSchema = z.object({
  columnName: str, sourceType: str, sourceValue: optStr, defaultValue: optStr, transformation: optStr, required: optBool, notes: optStr,
}).strict();
const templateSchema = z.object({
  name: str, rowSource: str, delimiter: optStr, enabled: optBool, header: optBool,
  quoting: z.enum(['minimal', 'all']).nullable().optional(), lineEnding: z.enum(['LF', 'CRLF']).nullable().optional(),
  encoding: z.enum(['UTF-8', 'UTF-8-BOM']).nullable().optional(),
  // Absent in files written before it existed: they import with the default, none.
  formulaEscape: z.enum(['none', 'quote']).nullable().optional(), notes: optStr, columns: z.array(columnSchema),
}).strict();
const mappingSchema = z.object({
  inriverEntity: str, inriverField: str, heilerCsv: str, heilerColumn: str, transformationRule: optStr, active: optBool, notes: optStr,
}).strict();
const decoratorSchema = z.object({
  entityType: str, entityId: z.union([str, z.number().int()]).transform(String), decoratorType: str, decoratorValue: optStr,
  source: optStr, notes: optStr, createdAt: z.string().datetime({ offset: true }).nullable().optional(),
}).strict();

export const configFileSchema = z.object({
  formatVersion: z.literal(1),
  businessUnit: z.string().optional(),
  defaultLocale: z.string().optional(),
  templates: z.array(templateSchema).optional(),
  fieldMappings: z.array(mappingSchema).optional(),
  decorators: z.array(decoratorSchema).optional(),
}).strict();

export type ConfigFile = z.input<typeof configFileSchema>;

export interface ImportSummary {
  dryRun: boolean;
  templates?: { inFile: number; changed: number; deleted: string[] };
  fieldMappings?: number;
  decorators?: number;
  defaultLocale?: string;
}


export class SettingsFileService {
  constructor(private readonly db: Database) {}

  async exportConfig(bu: BusinessUnit): Promise<ConfigFile> {
    return this.db.withBu(bu, async (m) => {
      const templates = await readTemplates(m);
      const mappings = await readMappings(m);
      const decorators = await allDecorators(m);
      return {
        formatVersion: 1 as const,
        businessUnit: bu.code,
        defaultLocale: await readDefaultLocale(m),
        templates: templates.map(({ version: _v, ...t }) => t),
        fieldMappings: mappings.map(({ id: _id, ...rest }) => rest),
        decorators: decorators.map((d) => ({
          entityType: d.entityType, entityId: d.entityId, decoratorType: d.decoratorType, decoratorValue: d.decoratorValue,
          source: d.source, notes: d.notes, createdAt: d.createdAt.toISOString(),
        })),
      };
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async importConfig(bu: BusinessUnit, raw: unknown, opts: { dryRun?: boolean } = {}): Promise<ImportSummary> {
    const parsed = configFileSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
      throw badInput(`configuration file not imported: ${problems.join('; ')}`, { problems });
    }
    const file = parsed.data;
    const problems: string[] = [];
    if (file.defaultLocale !== undefined && !LOCALE_CODE.test(file.defaultLocale)) problems.push(`defaultLocale "${file.defaultLocale}" is not a locale code`);
    const templates = (file.templates ?? []).map(normalizeTemplate);
    const names = new Set<string>();
    templates.forEach((t) => {
      if (names.has(t.name)) problems.push(`templates: "${t.name}" appears twice`);
      names.add(t.name);
      problems.push(...validateTemplate(t).map((p) => `template "${t.name}": ${p}`));
    });
    problems.push(...caseCollisions(templates.map((t) => t.name)).map((pair) => `templates: ${pair} ${CASE_COLLISION}`));
    const mappings = (file.fieldMappings ?? []).map((input, i) => {
      const r = normalizeMapping(input);
      problems.push(...r.problems.map((p) => `fieldMappings[${i}]: ${p}`));
      return r.mapping;
    });
    const seen = new Set<string>();
    const decorators = (file.decorators ?? []).map((input, i) => {
      const r = normalizeDecorator({ ...input, createdAt: input.createdAt ? new Date(input.createdAt) : null });
      problems.push(...r.problems.map((p) => `decorators[${i}]: ${p}`));
      const key = `${r.decorator.entityType}/${r.decorator.entityId}/${r.decorator.decoratorType}`;
      if (seen.has(key)) problems.push(`decorators[${i}]: ${key} appears twice`);
      seen.add(key);
      return r.decorator;
    });
    if (problems.length) throw badInput(`configuration file not imported: ${problems.join('; ')}`, { problems });

    const summary: ImportSummary = { dryRun: opts.dryRun ?? false };
    if (file.templates) summary.templates = { inFile: templates.length, changed: 0, deleted: [] };
    if (file.fieldMappings) summary.fieldMappings = mappings.length;
    if (file.decorators) summary.decorators = decorators.length;
    if (file.defaultLocale) summary.defaultLocale = file.defaultLocale;
    await this.db.withBu(bu, async (m) => {
      if (file.defaultLocale) await saveDefaultLocale(m, file.defaultLocale);
      if (file.templates) {
        // Every template not in the file goes first, so the file's names (checked above) are all there is.
        await lockTemplateNames(m);
        summary.templates!.deleted = await deleteTemplatesExcept(m, [...names]);
        for (const t of templates) if (await saveTemplate(m, t)) summary.templates!.changed++;
      }
      if (file.fieldMappings) await replaceMappings(m, mappings);
      if (file.decorators) await replaceDecorators(m, decorators);
      // A dry run does all of it, reports, and rolls back: it checks against the database too.
      if (opts.dryRun) throw new DryRunRollback();
    }).catch((err) => {
      if (!(err instanceof DryRunRollback)) throw err;
    });
    return summary;
  }
}

class DryRunRollback extends Error {}
