import { parseCall, parsePipeline } from '../../src/export/template/expression-parser';
import { caseCollisions } from '../../src/export/settings/settings-names';
import { normalizeDecorator, normalizeMapping, normalizeTemplate, validateTemplate } from '../../src/export/settings/settings-validation';
import { CompiledTemplate, compileTemplate, templateProblems } from '../../src/export/template/template-compiler';
import { TemplateConfig } from '../../src/entities/export-settings.types';

/** Save-time validation and what a template compiles to (the SQL it will run is exercised in the integration tests). */
const template = (rowSource: string, columns: { columnName: string; sourceType: string; sourceValue?: string; transformation?: string }[]): TemplateConfig =>
  normalizeTemplate({ name: 't.csv', rowSource, columns });
const col = (sourceType: string, sourceValue?: string, transformation?: string) => ({ columnName: `c_${Math.random()}`, sourceType, sourceValue, transformation });
/** A fetched row of a compiled template, from the value of each selected SQL expression (null for the others). */
const rowOf = (c: CompiledTemplate, values: Record<string, unknown>, other: (sql: string) => unknown = () => undefined) =>
  c.selects.map((sql) => (sql in values ? values[sql] : other(sql) ?? null));
const problemsOf = (rowSource: string, ...cols: ReturnType<typeof col>[]) => templateProblems(template(rowSource, cols)).join('\n');

describe('expression syntax', () => {
  it('parses calls, quoted and bare arguments, and pipelines', () => {
    expect(parseCall('concat(Product.ProductId, "-", \'x\\"y\')')).toEqual({ name: 'concat', parenthesized: true, args: [
      { kind: 'bare', value: 'Product.ProductId' }, { kind: 'quoted', value: '-' }, { kind: 'quoted', value: 'x"y' }] });
    expect(parsePipeline('cvl_value | join(", ") |upper').map((c) => c.name)).toEqual(['cvl_value', 'join', 'upper']);
    expect(() => parseCall('level() extra')).toThrow(/unexpected text/);
    expect(() => parseCall('concat(a b)')).toThrow(/expected "," or "\)"/);
    expect(() => parsePipeline('')).toThrow(/empty expression/);
  });
});

describe('template validation', () => {
  it('accepts every default-style column on its row source', () => {
    for (const [rowSource, value] of [['ITEM', 'Product.ProductId'], ['ITEM', 'SortOrder'], ['ITEM_RESOURCE', 'Resource.ResourceFilename'],
      ['ITEM_CATEGORY', 'ChannelNode.SortOrder'], ['ITEM_CATEGORY', 'Category.EntityId'], ['ATTRIBUTE', 'AllowedValues'],
      ['ITEM_ATTRIBUTE', 'Attribute.Name'], ['PRODUCT', 'UpdatedAt'], ['CHANNEL_NODE', 'ChannelNodeName']]) {
      expect(problemsOf(rowSource, col('inriver_field', value))).toBe('');
    }
    expect(problemsOf('CHANNEL_NODE', col('computed', 'category_path(ChannelNodeName, " / ")'), col('computed', 'parent(ChannelNodeID)'),
      col('computed', 'level()'), col('computed', 'parent_id()'))).toBe('');
    expect(problemsOf('ITEM_ATTRIBUTE', col('computed', 'mapping_value()'), col('decorator', 'Attribute.purpose'))).toBe('');
    expect(problemsOf('ITEM', col('static', ''), col('computed', 'coalesce(ItemX, Product.ProductId, "none")'), col('computed', 'export_date()'))).toBe('');
  });

  it('names the column and the reason of every problem', () => {
    expect(problemsOf('ITEM', col('inriver_field', 'Resource.ResourceFilename'))).toMatch(/ITEM rows reach Item, Product, not Resource/);
    expect(problemsOf('PRODUCT', col('inriver_field', 'Widget.X'))).toMatch(/"Widget" is not an entity/);
    expect(problemsOf('PRODUCT', col('inriver_field', 'Product Id'))).toMatch(/not a field name/);
    expect(problemsOf('ATTRIBUTE', col('inriver_field', 'ItemUPCCode'))).toMatch(/an attribute definition has the fields AttributeId/);
    expect(problemsOf('ITEM', col('inriver_field'))).toMatch(/needs a source value/);
    expect(problemsOf('ITEM', col('decorator', 'ChannelNode.purpose'))).toMatch(/ITEM rows reach Item, Product/);
    expect(problemsOf('ITEM', col('decorator', 'has space'))).toMatch(/letters, digits, _ or -/);
    expect(problemsOf('PRODUCT', col('computed', 'mapping_value()'))).toMatch(/mapping_value\(\) works on ITEM_ATTRIBUTE rows only/);
    expect(problemsOf('CHANNEL_NODE', col('computed', 'parent(UpdatedAt)'))).toMatch(/reads EntityId or an attribute/);
    expect(problemsOf('ITEM', col('computed', 'cvl_value("x")'))).toMatch(/expects a field/);
    expect(problemsOf('ITEM', col('computed', 'concat()'))).toMatch(/expected the form concat/);
    expect(problemsOf('ITEM', col('computed', 'eval(1)'))).toMatch(/unknown computed function "eval"/);
    expect(problemsOf('ITEM', col('mystery', 'x'))).toMatch(/unknown source type "mystery"; use inriver_field, decorator, static or computed/);
    expect(problemsOf('ORDERS', col('static', 'x'))).toMatch(/unknown row source "ORDERS"/);
    expect(problemsOf('ITEM', col('inriver_field', 'EntityId', 'date("YYYY") | frob'))).toMatch(/unknown transformation "frob"/);
  });

  it('checks file settings and column names', () => {
    const t = normalizeTemplate({ name: '../etc/passwd', rowSource: 'ITEM', delimiter: '"', quoting: 'some' as never, columns: [] });
    const problems = validateTemplate(t).join('\n');
    expect(problems).toMatch(/file name "..\/etc\/passwd"/);
    expect(problems).toMatch(/delimiter "\\""/);
    expect(problems).toMatch(/quoting "some"/);
    expect(problems).toMatch(/at least one column/);
    const nameProblems = (name: string) => validateTemplate(normalizeTemplate({ name, rowSource: 'ITEM', columns: [{ columnName: 'a', sourceType: 'static' }] }));
    // The job's manifest and the store's in-progress names, in any case.
    for (const name of ['manifest.json', 'MANIFEST.JSON', 'Manifest.Json', 'manifest.json.partial', 'items.csv.partial', 'x.PARTIAL', 'partial.Partial']) {
      expect([name, nameProblems(name).join()]).toEqual([name, expect.stringMatching(/is reserved in any case .*not manifest\.json, nor a name ending in \.partial/)]);
    }
    for (const name of ['manifest.json.csv', 'manifest.csv', 'partial.csv', 'items.partial.csv', 'x.partials']) expect([name, nameProblems(name)]).toEqual([name, []]);
    expect(caseCollisions(['items.csv', 'Items.csv', 'products.csv', 'ITEMS.CSV', 'items.csv', 'PRODUCTS.csv']))
      .toEqual(['"items.csv" and "Items.csv"', '"items.csv" and "ITEMS.CSV"', '"products.csv" and "PRODUCTS.csv"']);
    expect(validateTemplate(normalizeTemplate({ name: 'x.csv', rowSource: 'ITEM', columns: [
      { columnName: ' a ', sourceType: 'static' }, { columnName: 'a', sourceType: 'static' }, { columnName: ' ', sourceType: 'static' }] })).join('\n'))
      .toMatch(/column "a" appears twice[\s\S]*empty name/);
  });
});

describe('compiled templates', () => {
  it('select only the fields the columns use, once each, as bind parameters', () => {
    const c = compileTemplate(template('ITEM', [
      { columnName: 'a', sourceType: 'inriver_field', sourceValue: 'ItemUPCCode' },
      { columnName: 'b', sourceType: 'inriver_field', sourceValue: 'ItemUPCCode', transformation: 'upper' },
      { columnName: 'c', sourceType: 'computed', sourceValue: 'concat(Product.ProductId, "-", ItemUPCCode)' },
      { columnName: 'd', sourceType: 'decorator', sourceValue: 'Product.note' },
    ]));
    expect(c.sql).toMatch(/^SELECT s_a\."ItemUPCCode", p_a\."ProductId", \(SELECT d\.decorator_value.*, 'Item ' \|\| s\.entity_id\s+FROM/s);
    // Each entity's attributes come out of one jsonb_to_record per row, not one JSONB operator per column.
    expect(c.sql).toContain('CROSS JOIN LATERAL jsonb_to_record(s.attributes) AS s_a("ItemUPCCode" jsonb)');
    expect(c.sql).toContain('CROSS JOIN LATERAL jsonb_to_record(p.attributes) AS p_a("ProductId" jsonb)');
    expect(c.params).toEqual(['Product', 'note']);
    expect(c.needsTree).toBe(false);
    expect(c.attributeRefs.map((r) => `${r.scope}.${r.field}`)).toEqual(['Item.ItemUPCCode', 'Item.ItemUPCCode', 'Product.ProductId', 'Item.ItemUPCCode']);
    expect(c.selects).toHaveLength(4);
    const row = rowOf(c, { 's_a."ItemUPCCode"': '0123', 'p_a."ProductId"': { en: 'ignored' }, "'Item ' || s.entity_id": 'Item 1' },
      (sql) => (sql.includes('decorator_value') ? 'kept' : undefined));
    expect(c.idOf(row)).toBe('Item 1');
    const ctx = { defaultLocale: 'en', jobId: '1', snapshotEventId: '4', exportDate: '2026-04-16', tree: null, mappingRules: new Map() };
    expect(c.columns.map((x) => x.render(row, ctx))).toEqual(['0123', '0123', 'ignored-0123', 'kept']);
  });

  it('extract the mapped fields of a long file with the column fields, one pair per active mapping', () => {
    const t = normalizeTemplate({ name: 'eav.csv', rowSource: 'ITEM_ATTRIBUTE', columns: [
      { columnName: 'item', sourceType: 'inriver_field', sourceValue: 'ItemWatscoItemNo' },
      { columnName: 'code', sourceType: 'computed', sourceValue: 'mapping_column()' },
      { columnName: 'value', sourceType: 'computed', sourceValue: 'mapping_value()' },
    ] });
    const mapping = (id: string, inriverEntity: string, inriverField: string) => ({ id, inriverEntity, inriverField, heilerCsv: 'eav.csv',
      heilerColumn: inriverField.toLowerCase(), transformationRule: null, active: true, notes: null });
    const c = compileTemplate(t, { mappings: [mapping('7', 'Item', 'ItemUPCCode'), mapping('9', 'Product', 'ProductProductFamily'),
      mapping('12', 'Item', 'ItemWatscoItemNo')] });
    expect(c.sql).toContain('jsonb_to_record(s.attributes) AS s_a("ItemWatscoItemNo" jsonb, "ItemUPCCode" jsonb)');
    expect(c.sql).toContain('jsonb_to_record(p.attributes) AS p_a("ProductProductFamily" jsonb)');
    expect(c.sql).toContain('(VALUES ($1::int, s_a."ItemUPCCode"), ($2::int, p_a."ProductProductFamily"), ($3::int, s_a."ItemWatscoItemNo")) AS mv(mapping_id, value)');
    expect(c.params).toEqual([7, 9, 12]);
    const ctx = { defaultLocale: 'en', jobId: '1', snapshotEventId: null, exportDate: '2026-04-16', tree: null,
      mappingRules: new Map([['7', null], ['9', (v: unknown) => `family ${String(v)}`]]) };
    const values = { 's_a."ItemWatscoItemNo"': 'W-1', 'm.id::text': '9', 'm.heiler_column': 'productproductfamily', 'mv.value': 'PML320' };
    const row = rowOf(c, values);
    expect(c.columns.map((x) => x.render(row, ctx))).toEqual(['W-1', 'productproductfamily', 'family PML320']);
    expect(c.skip!(rowOf(c, { ...values, 'm.id::text': '7', 'mv.value': '' }), ctx)).toBe(true);
    expect(c.skip!(row, ctx)).toBe(false);
    // With no active mapping the file is its header alone.
    expect(compileTemplate(t).sql).toContain('(SELECT NULL::int, NULL::jsonb WHERE false) AS mv(mapping_id, value)');
  });

  it('apply default values only to empty renderings', () => {
    const c = compileTemplate(normalizeTemplate({ name: 'x.csv', rowSource: 'PRODUCT', columns: [
      { columnName: 'a', sourceType: 'inriver_field', sourceValue: 'ProductX', defaultValue: 'n/a' },
      { columnName: 'b', sourceType: 'static', sourceValue: ' ', defaultValue: 'n/a' },
    ] }));
    const ctx = { defaultLocale: 'en', jobId: '1', snapshotEventId: null, exportDate: '2026-04-16', tree: null, mappingRules: new Map() };
    expect(c.columns.map((x) => x.render(rowOf(c, {}), ctx))).toEqual(['n/a', ' ']);
    expect(c.columns.map((x) => x.render(rowOf(c, { 's_a."ProductX"': false }), ctx))).toEqual(['0', ' ']);
  });
});

describe('mapping and decorator validation', () => {
  it('normalizes entity names and refuses bad rows', () => {
    expect(normalizeMapping({ inriverEntity: 'product', inriverField: ' ProductId ', heilerCsv: 'items.csv', heilerColumn: 'Item#' }))
      .toEqual({ problems: [], mapping: { inriverEntity: 'Product', inriverField: 'ProductId', heilerCsv: 'items.csv', heilerColumn: 'Item#',
        transformationRule: null, active: true, notes: null } });
    expect(normalizeMapping({ inriverEntity: 'Product', inriverField: 'FieldValues.ShortDescription', heilerCsv: 'a b.csv', heilerColumn: ' ' }).problems)
      .toEqual(['inriver_field "FieldValues.ShortDescription" is not an attribute id (letters, digits and _)', 'heiler_csv "a b.csv" is not a file name',
        'heiler_column is empty']);
    expect(normalizeDecorator({ entityType: 'category', entityId: ' 50714 ', decoratorType: 'purpose' }))
      .toMatchObject({ problems: [], decorator: { entityType: 'ChannelNode', entityId: '50714', source: 'manual' } });
    expect(normalizeDecorator({ entityType: 'attribute', entityId: 'ATTR_001', decoratorType: 'purpose' }).problems).toEqual([]);
  });
});
