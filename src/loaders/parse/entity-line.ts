import { createHash } from 'node:crypto';
import { deeperThan, hasNulEscape, indexedTextProblem, isStackOverflow, nestingReason } from './json-limits';

// Parsing one delivered line into the shapes the loader stores. Pure: no I/O.

export type LinkDirection = 'INBOUND' | 'OUTBOUND';

export interface ParsedLink {
  direction: LinkDirection;
  sortOrder: number;
  linkTypeId: string;
  otherEntityTypeId: string;
  otherEntityId: string;
  extra: Record<string, unknown> | null;
}

export interface ParsedResource {
  entityId: string;
  sortOrder: number;
  fieldSetId: string | null;
  attributes: Record<string, unknown>;
  extra: Record<string, unknown> | null;
}

export interface ParsedEntity {
  entityTypeId: string;
  entityId: string;
  fieldSetId: string | null;
  attributes: Record<string, unknown>;
  extra: Record<string, unknown> | null;
  resources: ParsedResource[];
  links: ParsedLink[];
  /** Hash of everything the line says about this entity (for products: items included). */
  hash: string;
}

export interface ParsedItem extends ParsedEntity {
  sortOrder: number;
}

export interface ParsedUpsert extends ParsedEntity {
  deleted: false;
  items: ParsedItem[];
}

export interface ParsedDelete {
  deleted: true;
  entityTypeId: string;
  entityId: string;
}

export type ParsedLine = ParsedUpsert | ParsedDelete;

export type LineResult = { ok: true; line: ParsedLine } | { ok: false; reason: string };

const ENVELOPE_KEYS = new Set([
  'EntityId', 'EntityTypeId', 'FieldSetId', 'Attributes', 'Items', 'Resources', 'InboundLinks', 'OutboundLinks', 'Deleted',
]);

class LineError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function entityIdOf(raw: Record<string, unknown>, where: string): string {
  const id = raw.EntityId;
  if (id === undefined || id === null) throw new LineError(`${where}EntityId is missing`);
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new LineError(`${where}EntityId must be a non-negative integer, got ${JSON.stringify(id)}`);
  }
  return String(id);
}

function entityTypeOf(raw: Record<string, unknown>, where: string): string {
  const t = raw.EntityTypeId;
  if (t === undefined || t === null) throw new LineError(`${where}EntityTypeId is missing`);
  if (typeof t !== 'string' || t.trim() === '') throw new LineError(`${where}EntityTypeId must be a non-empty string, got ${JSON.stringify(t)}`);
  return t;
}

function arrayOf(raw: Record<string, unknown>, key: string, where: string): unknown[] {
  const v = raw[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new LineError(`${where}${key} must be an array`);
  return v;
}

function extraOf(raw: Record<string, unknown>, known: Set<string>): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) (extra ??= {})[key] = raw[key];
  }
  return extra;
}

function attributesOf(raw: Record<string, unknown>, where: string): Record<string, unknown> {
  const a = raw.Attributes;
  if (a === undefined || a === null) return {};
  if (!isObject(a)) throw new LineError(`${where}Attributes must be an object`);
  return a;
}

function fieldSetOf(raw: Record<string, unknown>, where: string): string | null {
  const f = raw.FieldSetId;
  if (f === undefined || f === null) return null;
  if (typeof f !== 'string') throw new LineError(`${where}FieldSetId must be a string or null`);
  return f;
}

const INBOUND_KEYS = new Set(['LinkTypeId', 'SourceEntityTypeId', 'SourceEntityId']);
const OUTBOUND_KEYS = new Set(['LinkTypeId', 'TargetEntityTypeId', 'TargetEntityId']);

function linksOf(raw: Record<string, unknown>, where: string): ParsedLink[] {
  const links: ParsedLink[] = [];
  for (const direction of ['INBOUND', 'OUTBOUND'] as const) {
    const key = direction === 'INBOUND' ? 'InboundLinks' : 'OutboundLinks';
    const side = direction === 'INBOUND' ? 'Source' : 'Target';
    arrayOf(raw, key, where).forEach((link, index) => {
      const at = `${where}${key}[${index}].`;
      if (!isObject(link)) throw new LineError(`${at.slice(0, -1)} must be an object`);
      const typeId = link.LinkTypeId;
      const otherType = link[`${side}EntityTypeId`];
      const otherId = link[`${side}EntityId`];
      if (typeof typeId !== 'string' || !typeId) throw new LineError(`${at}LinkTypeId must be a non-empty string`);
      if (typeof otherType !== 'string' || !otherType) throw new LineError(`${at}${side}EntityTypeId must be a non-empty string`);
      if (typeof otherId !== 'number' || !Number.isSafeInteger(otherId)) throw new LineError(`${at}${side}EntityId must be an integer`);
      const tooLong = indexedTextProblem(`${at}LinkTypeId`, typeId) ?? indexedTextProblem(`${at}${side}EntityTypeId`, otherType);
      if (tooLong) throw new LineError(tooLong);
      links.push({
        direction,
        sortOrder: index,
        linkTypeId: typeId,
        otherEntityTypeId: otherType,
        otherEntityId: String(otherId),
        extra: extraOf(link, direction === 'INBOUND' ? INBOUND_KEYS : OUTBOUND_KEYS),
      });
    });
  }
  return links;
}

function resourcesOf(raw: Record<string, unknown>, where: string): ParsedResource[] {
  return arrayOf(raw, 'Resources', where).map((r, index) => {
    const at = `${where}Resources[${index}].`;
    if (!isObject(r)) throw new LineError(`${at.slice(0, -1)} must be an object`);
    return {
      entityId: entityIdOf(r, at),
      sortOrder: index,
      fieldSetId: fieldSetOf(r, at),
      attributes: attributesOf(r, at),
      extra: extraOf(r, ENVELOPE_KEYS),
    };
  });
}

export function hashOf(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64');
}

function entityOf(raw: Record<string, unknown>, where: string): Omit<ParsedEntity, 'hash'> {
  return {
    entityTypeId: entityTypeOf(raw, where),
    entityId: entityIdOf(raw, where),
    fieldSetId: fieldSetOf(raw, where),
    attributes: attributesOf(raw, where),
    extra: extraOf(raw, ENVELOPE_KEYS),
    resources: resourcesOf(raw, where),
    links: linksOf(raw, where),
  };
}

/** Validates an already-parsed JSON value as one entity line. Throws nothing: bad lines get a reason. */
export function parseEntityValue(value: unknown): LineResult {
  try {
    if (!isObject(value)) throw new LineError(`a line must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
    const entityTypeId = entityTypeOf(value, '');
    const entityId = entityIdOf(value, '');
    if (value.Deleted === true) return { ok: true, line: { deleted: true, entityTypeId, entityId } };
    if (value.Deleted !== undefined && value.Deleted !== false && value.Deleted !== null) {
      throw new LineError(`Deleted must be true or false, got ${JSON.stringify(value.Deleted)}`);
    }
    const base = entityOf(value, '');
    // Stored in product.product_id (indexed) as text.
    const productId = base.attributes.ProductId;
    if (entityTypeId === 'Product' && productId !== undefined && productId !== null) {
      const tooLong = indexedTextProblem('Attributes.ProductId', typeof productId === 'string' ? productId : String(productId));
      if (tooLong) throw new LineError(tooLong);
    }
    const items: ParsedItem[] = arrayOf(value, 'Items', '').map((item, index) => {
      const at = `Items[${index}].`;
      if (!isObject(item)) throw new LineError(`Items[${index}] must be an object`);
      const parsed = entityOf(item, at);
      return { ...parsed, sortOrder: index, hash: hashOf([parsed.fieldSetId, parsed.attributes, parsed.extra, parsed.resources, parsed.links]) };
    });
    const hash = hashOf([base.fieldSetId, base.attributes, base.extra, base.resources, base.links, items.map((i) => [i.entityId, i.hash])]);
    return { ok: true, line: { ...base, deleted: false, items, hash } };
  } catch (err) {
    if (err instanceof LineError) return { ok: false, reason: err.message };
    // Hashing recurses: a value deeper than the stack (only possible when nothing checked the
    // depth first) is a bad line, never a failed file.
    if (isStackOverflow(err)) return { ok: false, reason: TOO_DEEP_TO_PROCESS };
    throw err;
  }
}

const TOO_DEEP_TO_PROCESS = 'nested too deeply to process (a recursive step ran out of stack)';

/**
 * A line of a product or channel file, refused with its reason when PostgreSQL could not store it.
 * `maxNestingDepth` (LOAD_MAX_NESTING_DEPTH) is checked on the text before anything walks the value.
 */
export function parseEntityLine(text: string, maxNestingDepth: number): LineResult {
  if (hasNulEscape(text)) return { ok: false, reason: 'contains \\u0000, which PostgreSQL cannot store in text or JSONB' };
  if (deeperThan(text, maxNestingDepth) >= 0) return { ok: false, reason: nestingReason(maxNestingDepth) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
  const result = parseEntityValue(value);
  try {
    // Only an escape can make a lone surrogate (raw bytes decode to U+FFFD), so most lines skip the walk.
    if (result.ok && SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(result.line)) {
      return { ok: false, reason: 'contains a lone UTF-16 surrogate escape (e.g. \\ud800 without its pair), which PostgreSQL cannot store in JSONB' };
    }
  } catch (err) {
    if (isStackOverflow(err)) return { ok: false, reason: TOO_DEEP_TO_PROCESS };
    throw err;
  }
  return result;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** jsonb rejects a lone surrogate anywhere (key or value): such a line would fail the whole file's transaction. */
export function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([k, v]) => LONE_SURROGATE.test(k) || hasLoneSurrogate(v));
  }
  return false;
}

