import { ColumnConfig, MappingConfig, TemplateConfig } from '../../entities/export-settings.types';
import { DECORATOR_TYPE, FIELD_NAME, FILE_NAME, reservedFileName } from '../settings/settings-names';
import { lookupComputed, mappingValue } from './computed-functions';
import { ExpressionSyntaxError, parseCall } from './expression-parser';
import {
  ENVELOPE_FIELDS, EntityScope, FieldRef, ROW_SOURCE_SPECS, RowSource, SCOPES, SqlParams, decoratorSql, fieldSql, isRowSource,
  isSourceType, quoteIdent,
} from './row-sources';
import { CompilerApi, SettingsProblem, EvalContext, Getter, InternalColumn, Row } from './template-types';
import { TransformationError, compileTransformation } from './transformations';
import { renderDefault } from './value-render';

// Turns a template's configuration into one SQL query (only the fields its columns need, so a
// 1,000-attribute item is never shipped whole) and one function per column that renders a row.
// The same compilation validates a template when it is saved, so what saves also exports.

export interface CompiledColumn {
  name: string;
  required: boolean;
  render(row: Row, ctx: EvalContext): string;
}

export interface CompiledTemplate {
  name: string;
  rowSource: RowSource;
  sql: string;
  params: unknown[];
  /** The SQL of each value of a row, by position (its length sizes the fetch batches). */
  selects: string[];
  /** Names the row's entity in warnings ("Item 12"). */
  idOf(row: Row): string;
  columns: CompiledColumn[];
  needsTree: boolean;
  /** Attribute references, to warn about ones the AttributeFile does not know. */
  attributeRefs: FieldRef[];
  /** Rows that are not rows of the file (ITEM_ATTRIBUTE: the mapped value renders empty). */
  skip?(row: Row, ctx: EvalContext): boolean;
}

const SCOPE_ALIASES: Record<string, EntityScope> = { Category: 'ChannelNode' };

/** The SQL of the internal columns (the aliases of the row sources that have them). */
const INTERNAL_SQL: Record<InternalColumn, string> = {
  mappingId: 'm.id::text', mappingColumn: 'm.heiler_column', mappingField: 'm.inriver_field', mappingEntity: 'm.inriver_entity',
  mappingValue: 'mv.value', resourceOwner: 'r.owner_type',
};

class TemplateCompiler implements CompilerApi {
  readonly params = new SqlParams();
  /** The select list: a row holds the value of selects[i] at position i. */
  readonly selects: string[] = [];
  private readonly indexBySql = new Map<string, number>();
  readonly attributeRefs: FieldRef[] = [];
  /** Attributes read per entity alias: extracted with one jsonb_to_record per row (see build). */
  readonly attributeFields = new Map<string, Set<string>>();
  needsTree = false;

  constructor(readonly rowSource: RowSource) {}

  /** The position of an expression in the row (selected once however many columns use it). */
  select(sql: string): number {
    let i = this.indexBySql.get(sql);
    if (i === undefined) {
      i = this.selects.length;
      this.indexBySql.set(sql, i);
      this.selects.push(sql);
    }
    return i;
  }

  treeNode(): (row: Row) => string {
    this.needsTree = true;
    const i = this.select(`${this.rowSource === 'ITEM_CATEGORY' ? 'c' : 's'}.entity_id::text`);
    return (row) => String(row[i]);
  }

  internal(column: InternalColumn): Getter {
    const i = this.select(INTERNAL_SQL[column]);
    return (row) => row[i];
  }

  private mappedValue?: Getter;

  mappingValue(): Getter {
    return (this.mappedValue ??= mappingValue(this));
  }

  /** The SQL of one attribute of the entity at `alias`, as a column of its extracted record. */
  attribute(alias: string, field: string): string {
    let fields = this.attributeFields.get(alias);
    if (!fields) this.attributeFields.set(alias, (fields = new Set()));
    fields.add(field);
    return `${alias}_a.${quoteIdent(field)}`;
  }

  /**
   * One jsonb_to_record per entity and row: PostgreSQL detoasts (decompresses) a JSONB value for
   * every operator applied to it, so 40 `attributes -> 'x'` cost 40 decompressions of a wide item;
   * one record extraction costs one, whatever the number of columns.
   */
  laterals(): string {
    return [...this.attributeFields].map(([alias, fields]) =>
      `CROSS JOIN LATERAL jsonb_to_record(${alias}.attributes) AS ${alias}_a(${[...fields].map((f) => `${quoteIdent(f)} jsonb`).join(', ')})`)
      .join('\n      ');
  }

  parseRef(text: string, scope?: EntityScope): FieldRef {
    const spec = ROW_SOURCE_SPECS[this.rowSource];
    const t = text.trim();
    const dot = t.indexOf('.');
    let target: EntityScope = scope ?? spec.self;
    let field = t;
    if (dot >= 0) {
      const prefix = t.slice(0, dot);
      const named = (SCOPES as readonly string[]).includes(prefix) ? (prefix as EntityScope) : SCOPE_ALIASES[prefix];
      if (!named) throw new SettingsProblem(`"${t}": "${prefix}" is not an entity; use one of ${[spec.self, ...spec.related].join(', ')}`);
      if (scope && named !== scope) throw new SettingsProblem(`"${t}": expected a ${scope} field`);
      target = named;
      field = t.slice(dot + 1);
    }
    if (target !== spec.self && !spec.related.includes(target)) {
      throw new SettingsProblem(`"${t}": ${this.rowSource} rows reach ${[spec.self, ...spec.related].join(', ')}, not ${target}`);
    }
    if (!FIELD_NAME.test(field)) throw new SettingsProblem(`"${t}" is not a field name (letters, digits and _)`);
    const envelope = ENVELOPE_FIELDS[target].includes(field);
    if (target === 'Attribute' && !envelope) {
      throw new SettingsProblem(`"${t}": an attribute definition has the fields ${ENVELOPE_FIELDS.Attribute.join(', ')}`);
    }
    const ref = { scope: target, field, envelope };
    if (!envelope) this.attributeRefs.push(ref);
    return ref;
  }

  ref(text: string, scope?: EntityScope): Getter {
    const ref = this.parseRef(text, scope);
    const sql = fieldSql(this.rowSource, ref, this.params);
    if ('treeSortOrder' in sql) {
      const nodeOf = this.treeNode();
      return (row, ctx) => ctx.tree!.sortOrderOf(nodeOf(row));
    }
    if ('attribute' in sql) {
      const i = this.select(this.attribute(sql.attribute.alias, sql.attribute.field));
      return (row) => row[i];
    }
    const i = this.select(sql.sql);
    const convert = sql.convert;
    return convert ? (row) => convert(row[i]) : (row) => row[i];
  }

  decorator(text: string): Getter {
    const spec = ROW_SOURCE_SPECS[this.rowSource];
    const t = text.trim();
    const dot = t.indexOf('.');
    let scope: EntityScope = spec.self;
    let type = t;
    if (dot >= 0) {
      const prefix = t.slice(0, dot);
      const named = (SCOPES as readonly string[]).includes(prefix) ? (prefix as EntityScope) : SCOPE_ALIASES[prefix];
      if (!named || (named !== spec.self && !spec.related.includes(named))) {
        throw new SettingsProblem(`decorator "${t}": ${this.rowSource} rows reach ${[spec.self, ...spec.related].join(', ')}`);
      }
      scope = named;
      type = t.slice(dot + 1);
    }
    if (!DECORATOR_TYPE.test(type)) throw new SettingsProblem(`decorator "${t}": the decorator type must be letters, digits, _ or -`);
    const i = this.select(decoratorSql(this.rowSource, scope, type, this.params));
    return (row) => row[i];
  }

  computed(text: string): Getter {
    let call;
    try {
      call = parseCall(text);
    } catch (err) {
      if (err instanceof ExpressionSyntaxError) throw new SettingsProblem(`computed ${err.message}`);
      throw err;
    }
    const spec = lookupComputed(call.name, this.rowSource);
    if (call.args.length < spec.arity[0] || call.args.length > spec.arity[1]) {
      throw new SettingsProblem(`${call.name}: expected the form ${spec.usage}`);
    }
    try {
      return spec.build(call.args, this);
    } catch (err) {
      if (err instanceof SettingsProblem) throw new SettingsProblem(`${call.name}(): ${err.message}`);
      throw err;
    }
  }

  column(col: ColumnConfig): CompiledColumn {
    const value = col.sourceValue ?? '';
    if (!isSourceType(col.sourceType)) {
      throw new SettingsProblem(`unknown source type "${col.sourceType}"; use inriver_field, decorator, static or computed`);
    }
    if (col.sourceType !== 'static' && value.trim() === '') throw new SettingsProblem(`a ${col.sourceType} column needs a source value`);
    let get: Getter;
    switch (col.sourceType) {
      case 'inriver_field': get = this.ref(value); break;
      case 'decorator': get = this.decorator(value); break;
      case 'computed': get = this.computed(value); break;
      default: get = () => value;
    }
    let transform;
    try {
      transform = compileTransformation(col.transformation);
    } catch (err) {
      if (err instanceof TransformationError) throw new SettingsProblem(err.message);
      throw err;
    }
    const fallback = col.defaultValue;
    return {
      name: col.columnName,
      required: col.required,
      render(row, ctx) {
        let v = get(row, ctx);
        if (transform) v = transform(v, ctx);
        const text = renderDefault(v, ctx);
        return text === '' && fallback !== null ? fallback : text;
      },
    };
  }
}

/** Problems with the file-level settings of a template (everything but its columns). */
export function templateSettingsProblems(t: Pick<TemplateConfig, 'name' | 'rowSource' | 'delimiter'>): string[] {
  const problems: string[] = [];
  const reserved = reservedFileName(t.name);
  if (!FILE_NAME.test(t.name)) problems.push(`file name "${t.name}": letters, digits, ".", "_" and "-" only (max 128)`);
  else if (reserved) problems.push(`file name "${t.name}" is reserved in any case (${reserved}): not manifest.json, nor a name ending in .partial`);
  if (!isRowSource(t.rowSource)) {
    problems.push(`unknown row source "${t.rowSource}"; use one of ${Object.keys(ROW_SOURCE_SPECS).join(', ')}`);
  }
  if ([...t.delimiter].length !== 1 || /["\r\n]/.test(t.delimiter)) {
    problems.push(`delimiter ${JSON.stringify(t.delimiter)}: one character, not a quote or a line break`);
  }
  return problems;
}

export class TemplateInvalidError extends Error {
  constructor(readonly template: string, readonly problems: string[]) {
    super(`template "${template}" is not valid: ${problems.join('; ')}`);
  }
}

/**
 * Compiles a template; every problem of every column is reported at once. An ITEM_ATTRIBUTE
 * template needs the active mappings of its file (read in the export's snapshot); validation
 * compiles it without.
 */
export function compileTemplate(t: TemplateConfig, opts: { mappings?: readonly MappingConfig[] } = {}): CompiledTemplate {
  const problems = templateSettingsProblems(t);
  if (t.columns.length === 0) problems.push('a template needs at least one column');
  const seen = new Set<string>();
  for (const c of t.columns) {
    if (c.columnName.trim() === '') problems.push('a column has an empty name');
    else if (seen.has(c.columnName)) problems.push(`column "${c.columnName}" appears twice`);
    seen.add(c.columnName);
  }
  if (!isRowSource(t.rowSource)) throw new TemplateInvalidError(t.name, problems);
  const rowSource = t.rowSource;
  const compiler = new TemplateCompiler(rowSource);
  const columns: CompiledColumn[] = [];
  for (const c of t.columns) {
    try {
      columns.push(compiler.column(c));
    } catch (err) {
      if (err instanceof SettingsProblem) problems.push(`column "${c.columnName}": ${err.message}`);
      else throw err;
    }
  }
  if (problems.length) throw new TemplateInvalidError(t.name, problems);

  const spec = ROW_SOURCE_SPECS[rowSource];
  const id = compiler.select(spec.idSql);
  let skip: CompiledTemplate['skip'];
  let mapped = '';
  let where = spec.where;
  if (rowSource === 'ITEM_ATTRIBUTE') {
    const value = compiler.mappingValue();
    skip = (row, ctx) => renderDefault(value(row, ctx), ctx) === '';
    // One (mapping id, value) pair per active mapping of this file, from the records extracted above.
    const pairs = (opts.mappings ?? []).map((m) =>
      `(${compiler.params.add(Number(m.id))}::int, ${compiler.attribute(m.inriverEntity === 'Product' ? 'p' : 's', m.inriverField)})`);
    mapped = `CROSS JOIN LATERAL ${pairs.length ? `(VALUES ${pairs.join(', ')})` : '(SELECT NULL::int, NULL::jsonb WHERE false)'} AS mv(mapping_id, value)
      JOIN field_mapping m ON m.id = mv.mapping_id
      LEFT JOIN attribute_definition ad ON ad.entity_type_id = m.inriver_entity AND ad.attribute_id = m.inriver_field`;
    where = `${where} AND mv.value IS NOT NULL AND mv.value <> 'null'::jsonb`;
  }
  return {
    name: t.name,
    rowSource,
    sql: `SELECT ${compiler.selects.join(', ')}
      FROM ${spec.from}
      ${compiler.laterals()}
      ${mapped}
      WHERE ${where} ORDER BY ${spec.orderBy}`,
    params: compiler.params.values,
    selects: compiler.selects,
    idOf: (row) => String(row[id]),
    columns,
    needsTree: compiler.needsTree,
    attributeRefs: compiler.attributeRefs,
    skip,
  };
}

/** The problems of a template, or [] when it would export. */
export function templateProblems(t: TemplateConfig): string[] {
  try {
    compileTemplate(t);
    return [];
  } catch (err) {
    if (err instanceof TemplateInvalidError) return err.problems;
    throw err;
  }
}
