import { DecoratorInput, MappingConfig, MappingInput, TemplateConfig, TemplateInput } from '../../entities/export-settings.types';
import { templateProblems } from '../template/template-compiler';
import { transformationProblem } from '../template/transformations';
import { DECORATOR_TYPE, FIELD_NAME, FILE_NAME } from './settings-names';

// Save-time validation of the export configuration, shared by the API and the config import:
// what passes here exports; what does not is refused with every problem named, nothing saved.

const blankToNull = (s: string | null | undefined) => (s === undefined || s === null || s.trim() === '' ? null : s);

/** The input with defaults applied (version is the stored one's business, set to 0 here). */
export function normalizeTemplate(input: TemplateInput): TemplateConfig {
  return {
    name: input.name.trim(),
    rowSource: input.rowSource,
    delimiter: input.delimiter ?? ',',
    enabled: input.enabled ?? true,
    header: input.header ?? true,
    quoting: input.quoting ?? 'minimal',
    lineEnding: input.lineEnding ?? 'LF',
    encoding: input.encoding ?? 'UTF-8',
    formulaEscape: input.formulaEscape ?? 'none',
    version: 0,
    notes: blankToNull(input.notes),
    columns: input.columns.map((c) => ({
      columnName: c.columnName.trim(),
      sourceType: c.sourceType,
      // A static column keeps its text as given (a single space is a value); others are trimmed.
      sourceValue: c.sourceType === 'static' ? (c.sourceValue ?? null) : blankToNull(c.sourceValue?.trim()),
      defaultValue: c.defaultValue ?? null,
      transformation: blankToNull(c.transformation),
      required: c.required ?? false,
      notes: blankToNull(c.notes),
    })),
  };
}

const QUOTING: readonly string[] = ['minimal', 'all'];
const LINE_ENDINGS: readonly string[] = ['LF', 'CRLF'];
const ENCODINGS: readonly string[] = ['UTF-8', 'UTF-8-BOM'];
const FORMULA_ESCAPES: readonly string[] = ['none', 'quote'];

export function validateTemplate(t: TemplateConfig): string[] {
  const problems: string[] = [];
  if (!QUOTING.includes(t.quoting)) problems.push(`quoting "${t.quoting}": use minimal or all`);
  if (!LINE_ENDINGS.includes(t.lineEnding)) problems.push(`line ending "${t.lineEnding}": use LF or CRLF`);
  if (!ENCODINGS.includes(t.encoding)) problems.push(`encoding "${t.encoding}": use UTF-8 or UTF-8-BOM`);
  if (!FORMULA_ESCAPES.includes(t.formulaEscape)) problems.push(`formula escape "${t.formulaEscape}": use none or quote`);
  return [...problems, ...templateProblems(t)];
}

const MAPPING_ENTITIES: Record<string, 'Item' | 'Product'> = { item: 'Item', product: 'Product' };

export function normalizeMapping(input: MappingInput): { mapping: Omit<MappingConfig, 'id'>; problems: string[] } {
  const problems: string[] = [];
  const entity = MAPPING_ENTITIES[input.inriverEntity.trim().toLowerCase()];
  if (!entity) problems.push(`inriver_entity "${input.inriverEntity}": use Item or Product (long files have one row per item; Product fields are inherited)`);
  const field = input.inriverField.trim();
  if (!FIELD_NAME.test(field)) problems.push(`inriver_field "${input.inriverField}" is not an attribute id (letters, digits and _)`);
  const csv = input.heilerCsv.trim();
  if (!FILE_NAME.test(csv)) problems.push(`heiler_csv "${input.heilerCsv}" is not a file name`);
  const column = input.heilerColumn.trim();
  if (column === '') problems.push('heiler_column is empty');
  const rule = blankToNull(input.transformationRule);
  const ruleProblem = transformationProblem(rule);
  if (ruleProblem) problems.push(`transformation_rule: ${ruleProblem}`);
  return {
    mapping: { inriverEntity: entity ?? input.inriverEntity, inriverField: field, heilerCsv: csv, heilerColumn: column,
      transformationRule: rule, active: input.active ?? true, notes: blankToNull(input.notes) },
    problems,
  };
}

/** Stored entity types of decorator_data; the customer's lower-case words are accepted too. */
const DECORATOR_ENTITY_TYPES: Record<string, string> = {
  product: 'Product', item: 'Item', channelnode: 'ChannelNode', channel_node: 'ChannelNode', category: 'ChannelNode',
  resource: 'Resource', attribute: 'Attribute',
};

export function canonicalDecoratorEntityType(value: string): string | null {
  return DECORATOR_ENTITY_TYPES[value.trim().toLowerCase()] ?? null;
}


export function normalizeDecorator(input: DecoratorInput): { decorator: DecoratorInput; problems: string[] } {
  const problems: string[] = [];
  const entityType = canonicalDecoratorEntityType(input.entityType);
  if (!entityType) problems.push(`entity_type "${input.entityType}": use Product, Item, ChannelNode (or category), Resource or Attribute`);
  const entityId = input.entityId.trim();
  if (entityId === '' || entityId.length > 200) problems.push('entity_id must be 1 to 200 characters');
  else if (entityType && entityType !== 'Attribute' && !/^\d{1,18}$/.test(entityId)) {
    problems.push(`entity_id "${input.entityId}": a ${entityType} is identified by its numeric inRiver EntityId`);
  }
  const decoratorType = input.decoratorType.trim();
  if (!DECORATOR_TYPE.test(decoratorType)) problems.push(`decorator_type "${input.decoratorType}": letters, digits, _ or - only`);
  return {
    decorator: { ...input, entityType: entityType ?? input.entityType, entityId, decoratorType, source: input.source ?? 'manual',
      notes: blankToNull(input.notes), decoratorValue: input.decoratorValue ?? null },
    problems,
  };
}
