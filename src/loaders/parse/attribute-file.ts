import { hasLoneSurrogate, hashOf } from './entity-line';
import { hasNulEscape, indexedTextProblem } from './json-limits';

// Parsing SHARED/AttributeFile.json and checking delivered values against it. Pure.

export interface ParsedAttributeDefinition {
  entityTypeId: string;
  attributeId: string;
  dataType: string;
  names: Record<string, string>;
  sortOrder: number | null;
  isMultiValue: boolean;
  allowedValues: Record<string, string> | null;
  fieldsets: unknown;
  extra: Record<string, unknown> | null;
  hash: string;
}

export interface AttributeFileResult {
  definitions: ParsedAttributeDefinition[];
  rejected: { position: number; reason: string; raw: string }[];
}

const KNOWN = new Set(['AttributeId', 'Name', 'SortOrder', 'DataType', 'AvailableFieldsets', 'IsMultiValue', 'AllowedValues']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseAttributeFile(value: unknown): AttributeFileResult {
  if (!Array.isArray(value)) throw new Error('AttributeFile.json must be a JSON array of entity types');
  const definitions: ParsedAttributeDefinition[] = [];
  const rejected: AttributeFileResult['rejected'] = [];
  const seen = new Set<string>();
  let position = 0;
  for (const group of value) {
    if (!isObject(group) || typeof group.EntityTypeId !== 'string' || !Array.isArray(group.Attributes)) {
      rejected.push({ position: ++position, reason: 'an entity type entry needs EntityTypeId (string) and Attributes (array)', raw: JSON.stringify(group) });
      continue;
    }
    const groupProblem = indexedTextProblem('EntityTypeId', group.EntityTypeId) ?? unstorable(group.EntityTypeId);
    if (groupProblem) {
      rejected.push({ position: ++position, reason: `an entity type entry: ${groupProblem}`, raw: JSON.stringify(group) });
      continue;
    }
    for (const attr of group.Attributes) {
      position++;
      if (!isObject(attr) || typeof attr.AttributeId !== 'string' || !attr.AttributeId || typeof attr.DataType !== 'string') {
        rejected.push({ position, reason: `${group.EntityTypeId}: an attribute needs AttributeId and DataType strings`, raw: JSON.stringify(attr) });
        continue;
      }
      // Like a bad line: one definition PostgreSQL would refuse must not fail the whole file.
      const problem = indexedTextProblem('AttributeId', attr.AttributeId) ?? unstorable(attr);
      if (problem) {
        rejected.push({ position, reason: `${group.EntityTypeId}: ${problem}`, raw: JSON.stringify(attr) });
        continue;
      }
      const key = `${group.EntityTypeId}\u0000${attr.AttributeId}`;
      if (seen.has(key)) {
        rejected.push({ position, reason: `${group.EntityTypeId}.${attr.AttributeId} is defined twice; the first definition is kept`, raw: JSON.stringify(attr) });
        continue;
      }
      seen.add(key);
      const name = isObject(attr.Name) && isObject(attr.Name.stringMap) ? attr.Name.stringMap : {};
      const extra: Record<string, unknown> = {};
      for (const k of Object.keys(attr)) if (!KNOWN.has(k)) extra[k] = attr[k];
      const def = {
        entityTypeId: group.EntityTypeId,
        attributeId: attr.AttributeId,
        dataType: attr.DataType,
        names: name as Record<string, string>,
        sortOrder: typeof attr.SortOrder === 'number' ? Math.trunc(attr.SortOrder) : null,
        isMultiValue: attr.IsMultiValue === true,
        allowedValues: isObject(attr.AllowedValues) ? (attr.AllowedValues as Record<string, string>) : null,
        fieldsets: attr.AvailableFieldsets ?? null,
        extra: Object.keys(extra).length ? extra : null,
      };
      definitions.push({ ...def, hash: hashOf(def) });
    }
  }
  return { definitions, rejected };
}

/**
 * Text PostgreSQL refuses in jsonb or text: NUL, or a lone UTF-16 surrogate. The document's depth
 * was checked when it was read, so walking an entry cannot overflow the stack.
 */
function unstorable(value: unknown): string | null {
  if (hasNulEscape(JSON.stringify(value))) return 'contains \\u0000, which PostgreSQL cannot store in text or JSONB';
  if (hasLoneSurrogate(value)) return 'contains a lone UTF-16 surrogate (e.g. \\ud800 without its pair), which PostgreSQL cannot store in JSONB';
  return null;
}

export interface AttributeTypeInfo {
  dataType: string;
  isMultiValue: boolean;
}

/** entityTypeId → attributeId → type, as stored for a BU. */
export type AttributeSchema = Map<string, Map<string, AttributeTypeInfo>>;

/** Does a delivered value fit its DataType? null always fits. */
export function valueFitsType(value: unknown, type: AttributeTypeInfo): boolean {
  if (value === null || value === undefined) return true;
  switch (type.dataType) {
    case 'String':
      return typeof value === 'string';
    case 'LocaleString':
      return isObject(value) && Object.values(value).every((v) => v === null || typeof v === 'string');
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'Double':
      return typeof value === 'number';
    case 'CVLString':
      return type.isMultiValue
        ? isObject(value) && Array.isArray(value.keys)
        : isObject(value) && 'key' in value;
    case 'File':
      return typeof value === 'number' || typeof value === 'string';
    default:
      return true; // a DataType this service does not know: nothing to check against
  }
}

/** Counts, per "EntityType.AttributeId", attributes missing from the schema and values of the wrong type. */
export class AttributeReport {
  readonly drift: Record<string, number> = {};
  readonly mismatches: Record<string, number> = {};

  constructor(private readonly schema: AttributeSchema) {}

  check(entityTypeId: string, attributes: Record<string, unknown>): void {
    const types = this.schema.get(entityTypeId);
    if (!types) return; // no definitions loaded for this type yet: nothing to compare with
    for (const [id, value] of Object.entries(attributes)) {
      const type = types.get(id);
      const key = `${entityTypeId}.${id}`;
      if (!type) this.drift[key] = (this.drift[key] ?? 0) + 1;
      else if (!valueFitsType(value, type)) this.mismatches[key] = (this.mismatches[key] ?? 0) + 1;
    }
  }
}
