import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TempBucket, productLine } from '../support/bucket-factory';
import { exportAndWait, fileByName, parseCsv, readLocal } from '../support/export-helpers';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

/**
 * The configuration tables through the GraphQL API (admin) and what they do to the next export:
 * a custom template, validation at save time, field mappings driving the long file, decorators,
 * required columns. Data: the sample bucket plus one later file with awkward text.
 */

const READER = 'reader-key-123';
const OPERATOR = 'operator-key-123';
const ADMIN = 'admin-key-12345';

const TRICKY_DESCRIPTION = 'Cap, 45/5 "round" 440V\nsecond line';
const CR_DESCRIPTION = 'carriage\rreturn; with semicolon';
const UNICODE_NAME = 'Ünïcödé — 中文 🚀';

const TEMPLATE_MUTATION = `mutation($input: CsvTemplateInput!) { upsertCsvTemplate(businessUnit: "bak", input: $input) {
  name rowSource delimiter enabled version columns { position columnName sourceType sourceValue defaultValue transformation required } } }`;

describe('export configuration over GraphQL', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let bucket: TempBucket;
  let dir: string;

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    bucket = new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket'));
    bucket.product('BAK', 'ecommerce_20260416080000_001.jsonl', [productLine({
      id: 19470, productId: 'P-TRICKY', attrs: { ProductShortDescription: { en: UNICODE_NAME, 'fr-CA': 'Élément' } },
      items: [
        { id: 3470, attrs: { ItemSupplierShortDescriptionEN: TRICKY_DESCRIPTION, ItemUPCCode: '000000003470', ItemItemImperialWeightinPounds: 2.5 } },
        { id: 3471, attrs: { ItemSupplierShortDescriptionEN: CR_DESCRIPTION } },
      ],
    })]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-export-'));
    s = await startTestServer(t, {
      bucketDir: bucket.root, exportUrl: pathToFileURL(dir).href,
      apiKeys: `${READER}:reader,${OPERATOR}:operator,${ADMIN}:admin`,
    });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 5 });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the default templates, field mappings and (no) decorators to readers', async () => {
    const r = await s.gql(`{ csvTemplates(businessUnit: "bak") { name rowSource delimiter enabled version
      columns { position columnName sourceType sourceValue transformation required } }
      fieldMappings(businessUnit: "bak") { inriverEntity inriverField heilerCsv heilerColumn transformationRule active }
      decorators(businessUnit: "bak") { id } }`, {}, READER);
    expect(r.body.errors).toBeUndefined();
    const templates = r.body.data.csvTemplates;
    expect(templates.map((x: any) => [x.name, x.rowSource])).toEqual([
      ['attributes.csv', 'ATTRIBUTE'], ['categories.csv', 'CHANNEL_NODE'], ['item-attributes.csv', 'ITEM_ATTRIBUTE'],
      ['item-categories.csv', 'ITEM_CATEGORY'], ['item-media.csv', 'ITEM_RESOURCE'], ['itemdataflex.csv', 'ITEM'],
      ['items.csv', 'ITEM'], ['products.csv', 'PRODUCT'],
    ].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    const items = templates.find((x: any) => x.name === 'items.csv');
    expect(items).toMatchObject({ delimiter: ',', enabled: true, version: 1 });
    expect(items.columns.slice(0, 3)).toEqual([
      { position: 1, columnName: 'item_id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId', transformation: null, required: true },
      { position: 2, columnName: 'item_no', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemWatscoItemNo', transformation: null, required: true },
      { position: 3, columnName: 'product_id', sourceType: 'INRIVER_FIELD', sourceValue: 'Product.ProductId', transformation: null, required: true },
    ]);
    expect(r.body.data.fieldMappings).toHaveLength(5);
    expect(r.body.data.fieldMappings[0]).toEqual({ inriverEntity: 'Item', inriverField: 'ItemItemImperialWeightinPounds',
      heilerCsv: 'item-attributes.csv', heilerColumn: 'weight', transformationRule: 'decimals(2)', active: true });
    expect(r.body.data.decorators).toEqual([]);
  });

  it('only admins change the configuration', async () => {
    const input = { name: 'x.csv', rowSource: 'ITEM', columns: [{ columnName: 'id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId' }] };
    for (const key of [READER, OPERATOR]) {
      expect(errorCodes(await s.gql(TEMPLATE_MUTATION, { input }, key))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await s.gql('mutation { deleteCsvTemplate(businessUnit: "bak", name: "items.csv") }', {}, key))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await s.gql(`mutation { upsertDecorator(businessUnit: "bak", input: { entityType: "Item", entityId: "3424",
        decoratorType: "purpose", decoratorValue: "x" }) { id } }`, {}, key))).toEqual(['FORBIDDEN']);
    }
  });

  it('refuses a bad template at save time, naming every problem, and saves nothing', async () => {
    const input = {
      name: 'bad.csv', rowSource: 'ITEM', columns: [
        { columnName: 'id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId', transformation: 'shout' },
        { columnName: 'id', sourceType: 'STATIC', sourceValue: 'x' },
        { columnName: 'cat', sourceType: 'INRIVER_FIELD', sourceValue: 'ChannelNode.ChannelNodeName' },
        { columnName: 'lvl', sourceType: 'COMPUTED', sourceValue: 'level()' },
        { columnName: 'f', sourceType: 'COMPUTED', sourceValue: 'frobnicate(EntityId)' },
        { columnName: 'd', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemX', transformation: 'decimals(two)' },
      ],
    };
    const r = await s.gql(TEMPLATE_MUTATION, { input }, ADMIN);
    expect(errorCodes(r)).toEqual(['BAD_USER_INPUT']);
    const message = r.body.errors![0].message;
    expect(message).toMatch(/^template "bad\.csv" not saved: /);
    expect(message).toContain('unknown transformation "shout"');
    expect(message).toContain('column "id" appears twice');
    expect(message).toContain('ITEM rows reach Item, Product, not ChannelNode');
    expect(message).toContain('level() works on CHANNEL_NODE and ITEM_CATEGORY rows only');
    expect(message).toContain('unknown computed function "frobnicate"');
    expect(message).toContain('decimals(): "two" is not a whole number');
    const list = await s.gql('{ csvTemplates(businessUnit: "bak") { name } }', {}, ADMIN);
    expect(list.body.data.csvTemplates.map((x: any) => x.name)).not.toContain('bad.csv');

    // Enum values (row source, source type) are checked by GraphQL itself.
    const badEnum = await s.gql(TEMPLATE_MUTATION, { input: { ...input, rowSource: 'ORDERS' } }, ADMIN);
    expect(errorCodes(badEnum)).toEqual(['BAD_USER_INPUT']);
    expect(badEnum.body.errors![0].message).toMatch(/ORDERS/);
    const badType = await s.gql(TEMPLATE_MUTATION, { input: { name: 'b.csv', rowSource: 'ITEM', columns: [{ columnName: 'a', sourceType: 'SQL' }] } }, ADMIN);
    expect(errorCodes(badType)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses reserved names in any case, and names differing only in case from another template, also when saved at once', async () => {
    const columns = [{ columnName: 'id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId' }];
    for (const name of ['MANIFEST.JSON', 'Manifest.json', 'manifest.json.partial', 'items.csv.partial', 'x.Partial']) {
      const r = await s.gql(TEMPLATE_MUTATION, { input: { name, rowSource: 'ITEM', columns } }, ADMIN);
      expect([name, errorCodes(r)]).toEqual([name, ['BAD_USER_INPUT']]);
      expect(r.body.errors![0].message).toContain(`file name "${name}" is reserved in any case`);
    }
    const clash = await s.gql(TEMPLATE_MUTATION, { input: { name: 'Items.csv', rowSource: 'ITEM', columns } }, ADMIN);
    expect(errorCodes(clash)).toEqual(['BAD_USER_INPUT']);
    expect(clash.body.errors![0].message).toBe('template "Items.csv" not saved: "items.csv" and "Items.csv" differ only in case: '
      + 'they are one file on a case-insensitive file system (a Windows share, macOS); pick another name (to change that template, save it as "items.csv")');

    // Five spellings of one new name saved at the same moment: exactly one gets in.
    const spellings = ['Case.csv', 'CASE.csv', 'case.csv', 'cAsE.csv', 'case.CSV'];
    const answers = await Promise.all(spellings.map((name) => s.gql(TEMPLATE_MUTATION, { input: { name, rowSource: 'ITEM', columns } }, ADMIN)));
    expect(answers.filter((a) => !a.body.errors)).toHaveLength(1);
    expect(answers.filter((a) => a.body.errors).map(errorCodes)).toEqual(Array(4).fill(['BAD_USER_INPUT']));
    const names = (await s.gql('{ csvTemplates(businessUnit: "bak") { name } }', {}, ADMIN)).body.data.csvTemplates.map((x: any) => x.name);
    expect(names.filter((n: string) => n.toLowerCase() === 'case.csv')).toHaveLength(1);
    expect(names.some((n: string) => n.toLowerCase().startsWith('manifest') || n.toLowerCase().endsWith('.partial'))).toBe(false);

    // The template itself saves under its own name as before.
    const saved = names.find((n: string) => n.toLowerCase() === 'case.csv');
    const again = await s.gql(TEMPLATE_MUTATION, { input: { name: saved, rowSource: 'ITEM', columns, enabled: false } }, ADMIN);
    expect(again.body.data.upsertCsvTemplate).toMatchObject({ name: saved, version: 2 });
    expect((await s.gql(`mutation { deleteCsvTemplate(businessUnit: "bak", name: "${saved}") }`, {}, ADMIN)).body.data.deleteCsvTemplate).toBe(true);
  });

  it('a custom template added through the API appears in the next export, RFC 4180 text round-tripping', async () => {
    const input = {
      name: 'tricky.csv', rowSource: 'ITEM', delimiter: ';', columns: [
        { columnName: 'item_id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId', required: true },
        { columnName: 'description', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemSupplierShortDescriptionEN' },
        { columnName: 'product_name', sourceType: 'INRIVER_FIELD', sourceValue: 'Product.ProductShortDescription' },
        { columnName: 'product_name_fr', sourceType: 'INRIVER_FIELD', sourceValue: 'Product.ProductShortDescription', transformation: 'locale(fr-CA) | upper' },
        { columnName: 'label', sourceType: 'COMPUTED', sourceValue: 'concat(Product.ProductId, "/", EntityId)' },
        { columnName: 'origin', sourceType: 'STATIC', sourceValue: 'inRiver, "PIM"' },
        { columnName: 'weight', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemItemImperialWeightinPounds', transformation: 'decimals(1)', defaultValue: 'n/a' },
        { columnName: 'note', sourceType: 'DECORATOR', sourceValue: 'note' },
      ],
    };
    const saved = await s.gql(TEMPLATE_MUTATION, { input }, ADMIN);
    expect(saved.body.errors).toBeUndefined();
    expect(saved.body.data.upsertCsvTemplate).toMatchObject({ name: 'tricky.csv', delimiter: ';', enabled: true, version: 1 });
    const note = await s.gql(`mutation { upsertDecorator(businessUnit: "bak", input: { entityType: "item", entityId: "3470",
      decoratorType: "note", decoratorValue: "hand-kept; \\"quoted\\"" }) { id entityType entityId decoratorType decoratorValue source createdAt } }`, {}, ADMIN);
    expect(note.body.data.upsertDecorator).toMatchObject({ entityType: 'Item', entityId: '3470', decoratorType: 'note',
      decoratorValue: 'hand-kept; "quoted"', source: 'manual' });

    const job = await exportAndWait(s.gql, 'bak', { templates: ['tricky.csv'], key: OPERATOR });
    expect(job).toMatchObject({ status: 'SUCCEEDED', warnings: [] });
    const text = readLocal(fileByName(job, 'tricky.csv').uri);
    expect(parseCsv(text, { delimiter: ';' })).toEqual([
      ['item_id', 'description', 'product_name', 'product_name_fr', 'label', 'origin', 'weight', 'note'],
      ['3424', 'Round run capacitor 45/5', 'Capacitor 45/5 MFD 440V', 'CONDENSATEUR 45/5 MFD 440V', 'P100982724/3424', 'inRiver, "PIM"', '0.9', ''],
      ['3430', 'Definite purpose contactor 2P 30A', 'Contactor 2-pole 30A', 'CONTACTOR 2-POLE 30A', 'P100982731/3430', 'inRiver, "PIM"', '1.2', ''],
      ['3450', 'Liquid line filter drier 3/8 SAE', 'Filter drier 3/8 SAE', 'FILTRE DÉSHYDRATEUR 3/8 SAE', 'P100982790/3450', 'inRiver, "PIM"', '0.6', ''],
      ['3470', TRICKY_DESCRIPTION, UNICODE_NAME, 'ÉLÉMENT', 'P-TRICKY/3470', 'inRiver, "PIM"', '2.5', 'hand-kept; "quoted"'],
      ['3471', CR_DESCRIPTION, UNICODE_NAME, 'ÉLÉMENT', 'P-TRICKY/3471', 'inRiver, "PIM"', 'n/a', ''],
    ]);
    // The awkward fields are quoted on disk, quotes doubled.
    expect(text.toString('utf8')).toContain('"Cap, 45/5 ""round"" 440V\nsecond line"');
    expect(text.toString('utf8')).toContain('"carriage\rreturn; with semicolon"');
  });

  it('leaves out rows missing a required value and counts them in the warnings', async () => {
    const input = {
      name: 'upc.csv', rowSource: 'ITEM', columns: [
        { columnName: 'item_id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId', required: true },
        { columnName: 'upc', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemUPCCode', required: true },
        { columnName: 'mfr', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemManufacturerItemNo', required: true },
      ],
    };
    expect((await s.gql(TEMPLATE_MUTATION, { input }, ADMIN)).body.errors).toBeUndefined();
    const job = await exportAndWait(s.gql, 'bak', { templates: ['upc.csv'], key: OPERATOR });
    expect(job.status).toBe('SUCCEEDED');
    expect(parseCsv(readLocal(fileByName(job, 'upc.csv').uri))).toEqual([
      ['item_id', 'upc', 'mfr'],
      ['3424', '012345678905', 'C45-5R'],
      ['3430', '012345678929', 'CT2-30'],
      ['3450', '012345678943', 'FD-083S'],
    ]);
    expect(fileByName(job, 'upc.csv')).toMatchObject({ rows: 3, rowsLeftOut: 2 });
    expect(job.warnings).toEqual([
      'upc.csv: 2 row(s) left out because a required column was empty (upc: 1, mfr: 2); e.g. Item 3470 (mfr); Item 3471 (upc, mfr)',
    ]);
    const manifest = JSON.parse(readLocal(job.manifestUri).toString('utf8'));
    expect(manifest.warnings).toEqual(job.warnings);
  });

  it('field_mapping drives the long file: new, deactivated and removed mappings show in the next export', async () => {
    const list = await s.gql('{ fieldMappings(businessUnit: "bak") { id heilerColumn } }', {}, READER);
    const weight = list.body.data.fieldMappings.find((m: any) => m.heilerColumn === 'weight');
    const upc = list.body.data.fieldMappings.find((m: any) => m.heilerColumn === 'upc');
    const mapping = `mutation($input: FieldMappingInput!) { upsertFieldMapping(businessUnit: "bak", input: $input) {
      id inriverEntity inriverField heilerCsv heilerColumn transformationRule active } }`;
    const added = await s.gql(mapping, { input: { inriverEntity: 'item', inriverField: 'ItemManufacturerItemNo', heilerCsv: 'item-attributes.csv',
      heilerColumn: 'mfr_no', transformationRule: 'lower' } }, ADMIN);
    expect(added.body.data.upsertFieldMapping).toMatchObject({ inriverEntity: 'Item', heilerColumn: 'mfr_no', active: true });
    const off = await s.gql(mapping, { input: { id: weight.id, inriverEntity: 'Item', inriverField: 'ItemItemImperialWeightinPounds',
      heilerCsv: 'item-attributes.csv', heilerColumn: 'weight', active: false } }, ADMIN);
    expect(off.body.data.upsertFieldMapping).toMatchObject({ id: weight.id, active: false });
    expect((await s.gql(`mutation { deleteFieldMapping(businessUnit: "bak", id: "${upc.id}") }`, {}, ADMIN)).body.data.deleteFieldMapping).toBe(true);
    expect((await s.gql(`mutation { deleteFieldMapping(businessUnit: "bak", id: "${upc.id}") }`, {}, ADMIN)).body.data.deleteFieldMapping).toBe(false);
    const bad = await s.gql(mapping, { input: { inriverEntity: 'Channel', inriverField: 'Bad Field', heilerCsv: 'x.csv', heilerColumn: 'x',
      transformationRule: 'join(' } }, ADMIN);
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.body.errors![0].message).toMatch(/inriver_entity "Channel".*inriver_field "Bad Field".*transformation_rule/);
    const purpose = await s.gql(`mutation { upsertDecorator(businessUnit: "bak", input: { entityType: "attribute", entityId: "ItemManufacturerItemNo",
      decoratorType: "purpose", decoratorValue: "searchable" }) { entityType } }`, {}, ADMIN);
    expect(purpose.body.data.upsertDecorator).toEqual({ entityType: 'Attribute' });

    const job = await exportAndWait(s.gql, 'bak', { templates: ['item-attributes.csv'], key: OPERATOR });
    const rows = parseCsv(readLocal(fileByName(job, 'item-attributes.csv').uri));
    const forItem = (id: string) => rows.filter((r) => r[0] === id).map((r) => [r[2], r[3], r[4], r[5]]);
    expect(forItem('3424')).toEqual([
      ['uom', 'Quantity Type', 'EA', ''],
      ['country_of_origin', 'Country of Origin', 'United States, Mexico', ''],
      ['product_family', 'Product Family', 'PML320', ''],
      ['mfr_no', 'Manufacturer Item No', 'c45-5r', 'searchable'],
    ]);
    // 3470 has no quantity type, country or family; a mapping whose field has no value yields no row.
    expect(forItem('3470')).toEqual([]);
    expect(rows.filter((r) => r[2] === 'weight' || r[2] === 'upc')).toEqual([]);
  });

  it('decorators: listed by entity, updated in place by entity and type, deleted', async () => {
    const up = `mutation($input: DecoratorInput!) { upsertDecorator(businessUnit: "bak", input: $input) { id decoratorValue } }`;
    const first = await s.gql(up, { input: { entityType: 'Item', entityId: '3424', decoratorType: 'role', decoratorValue: 'a' } }, ADMIN);
    const second = await s.gql(up, { input: { entityType: 'ITEM', entityId: '3424', decoratorType: 'role', decoratorValue: 'b' } }, ADMIN);
    expect(second.body.data.upsertDecorator).toEqual({ id: first.body.data.upsertDecorator.id, decoratorValue: 'b' });
    const listed = await s.gql('{ decorators(businessUnit: "bak", entityType: "item", entityId: "3424") { decoratorType decoratorValue } }', {}, READER);
    expect(listed.body.data.decorators).toEqual([{ decoratorType: 'role', decoratorValue: 'b' }]);
    const bad = await s.gql(up, { input: { entityType: 'Order', entityId: 'abc', decoratorType: 'has space' } }, ADMIN);
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.body.errors![0].message).toMatch(/entity_type "Order".*decorator_type "has space"/);
    const notNumeric = await s.gql(up, { input: { entityType: 'Item', entityId: 'W-100245', decoratorType: 'role' } }, ADMIN);
    expect(notNumeric.body.errors![0].message).toMatch(/numeric inRiver EntityId/);
    const id = first.body.data.upsertDecorator.id;
    expect((await s.gql(`mutation { deleteDecorator(businessUnit: "bak", id: "${id}") }`, {}, ADMIN)).body.data.deleteDecorator).toBe(true);
    expect((await s.gql('{ decorators(businessUnit: "bak", entityType: "Item", entityId: "3424") { id } }', {}, READER)).body.data.decorators).toEqual([]);
  });

  it('versions templates, and deletes them', async () => {
    const input = { name: 'v.csv', rowSource: 'PRODUCT', columns: [{ columnName: 'id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId' }] };
    expect((await s.gql(TEMPLATE_MUTATION, { input }, ADMIN)).body.data.upsertCsvTemplate.version).toBe(1);
    expect((await s.gql(TEMPLATE_MUTATION, { input }, ADMIN)).body.data.upsertCsvTemplate.version).toBe(1);
    const changed = await s.gql(TEMPLATE_MUTATION, { input: { ...input, enabled: false } }, ADMIN);
    expect(changed.body.data.upsertCsvTemplate).toMatchObject({ version: 2, enabled: false });
    const job = await exportAndWait(s.gql, 'bak', { templates: ['v.csv'], idempotencyKey: 'v-run-1', key: OPERATOR });
    expect(fileByName(job, 'v.csv')).toMatchObject({ rows: 4, templateVersion: 2 });
    expect((await s.gql('mutation { deleteCsvTemplate(businessUnit: "bak", name: "v.csv") }', {}, ADMIN)).body.data.deleteCsvTemplate).toBe(true);
    expect((await s.gql('mutation { deleteCsvTemplate(businessUnit: "bak", name: "v.csv") }', {}, ADMIN)).body.data.deleteCsvTemplate).toBe(false);
    const gone = await s.gql('mutation { requestExport(businessUnit: "bak", templates: ["v.csv"]) { id } }', {}, OPERATOR);
    expect(errorCodes(gone)).toEqual(['BAD_USER_INPUT']);
    // A retry of the earlier request still gets its job back.
    const retry = await s.gql('mutation { requestExport(businessUnit: "bak", templates: ["v.csv"], idempotencyKey: "v-run-1") { id status } }', {}, OPERATOR);
    expect(retry.body.data.requestExport).toEqual({ id: job.id, status: 'SUCCEEDED' });
  });
});
