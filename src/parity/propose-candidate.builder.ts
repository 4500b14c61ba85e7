import { Queryable } from '../db/queryable';
import { ENVELOPE_FIELDS, EntityScope } from '../export/template/row-sources';

/** A way to fill a column: a field of the row (or of an entity it reaches) and an optional transformation. */
export interface Candidate {
  /** `ItemUPCCode`, `Product.ProductShortDescription`. */
  field: string;
  transformation: string | null;
  /** Lower is simpler: of two candidates that match as often, the simpler is proposed. */
  cost: number;
}

export type ProposeRowSource = 'ITEM' | 'PRODUCT';

/** The entities a row reaches, with the prefix their fields take. */
const REACH: Record<ProposeRowSource, { scope: EntityScope; prefix: string }[]> = {
  ITEM: [{ scope: 'Item', prefix: '' }, { scope: 'Product', prefix: 'Product.' }],
  PRODUCT: [{ scope: 'Product', prefix: '' }],
};

const DATE_FORMATS = ['YYYY-MM-DD HH:mm:ss', 'YYYY-MM-DD', 'YYYY-MM-DDTHH:mm:ss'];

/**
 * The renderings of one attribute that the export already knows how to make, by its data type:
 * what a legacy column is likely to hold (a CVL's key or its display value, a LocaleString in each
 * locale of the BU, a number with fixed decimals, a boolean as Y/N …).
 */
function transformationsFor(dataType: string, multi: boolean, locales: string[], defaultLocale: string): (string | null)[] {
  const t = dataType.toLowerCase();
  if (t.startsWith('cvl')) {
    return multi ? [null, 'cvl_value', 'join(", ")', 'cvl_value | join(", ")'] : [null, 'cvl_value'];
  }
  if (t === 'localestring') return [null, ...locales.filter((l) => l !== defaultLocale).map((l) => `locale(${l})`)];
  if (t === 'double' || t === 'integer') return [null, 'decimals(2)', 'decimals(1)', 'decimals(0)'];
  if (t === 'boolean') return [null, 'bool_yn', 'bool("true", "false")', 'bool("Yes", "No")'];
  if (t === 'datetime') return [null, ...DATE_FORMATS.map((f) => `date("${f}")`)];
  return [null, 'upper', 'lower', 'trim'];
}

/**
 * Every candidate source of a row source's columns: each attribute the AttributeFile defines for
 * the row's entity and for the entities it reaches (an item's parent product), their envelope
 * fields, each with the transformations that fit its data type.
 */
export async function buildCandidates(q: Queryable, rowSource: ProposeRowSource, defaultLocale: string): Promise<Candidate[]> {
  const defs: { entity_type_id: string; attribute_id: string; data_type: string; is_multi_value: boolean }[] = await q.query(
    `SELECT entity_type_id, attribute_id, data_type, is_multi_value FROM attribute_definition
     WHERE entity_type_id = ANY($1::text[]) ORDER BY entity_type_id, sort_order NULLS LAST, attribute_id`,
    [REACH[rowSource].map((r) => r.scope)]);
  // The BU's languages, as the AttributeFile names attributes in them.
  const locales: string[] = (await q.query(
    `SELECT DISTINCT k FROM attribute_definition d, jsonb_object_keys(CASE WHEN jsonb_typeof(d.names) = 'object' THEN d.names ELSE '{}' END) k ORDER BY k`))
    .map((r: { k: string }) => r.k);
  const out: Candidate[] = [];
  REACH[rowSource].forEach(({ scope, prefix }, depth) => {
    const add = (field: string, transformations: (string | null)[]) => transformations.forEach((transformation, i) =>
      out.push({ field: `${prefix}${field}`, transformation, cost: depth * 10 + i }));
    for (const f of ENVELOPE_FIELDS[scope].filter((f) => f !== 'SourceFile')) {
      add(f, f === 'UpdatedAt' ? [null, ...DATE_FORMATS.map((d) => `date("${d}")`)] : [null]);
    }
    for (const d of defs.filter((x) => x.entity_type_id === scope)) {
      add(d.attribute_id, transformationsFor(d.data_type, d.is_multi_value, locales, defaultLocale));
    }
  });
  return out;
}
