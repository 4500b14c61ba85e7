import { SettingsFileService as ConfigFileService } from '../../src/services/settings-file.service';
import { ExportSettingsService as ExportConfigService } from '../../src/services/export-settings.service';
import { TestDatabase, createTestDatabase } from '../support/test-database';

/** The configuration as one JSON file (what `npm run config -- export|import` read and write). */
describe('export configuration file import and export', () => {
  let t: TestDatabase;
  let files: ConfigFileService;
  let config: ExportConfigService;
  const bu = () => t.bu('bak');

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    files = new ConfigFileService(t.db);
    config = new ExportConfigService(t.db);
  });
  afterAll(() => t.close());

  it('exports the defaults as a file that imports back unchanged', async () => {
    const file = await files.exportConfig(bu());
    expect(file).toMatchObject({ formatVersion: 1, businessUnit: 'bak', defaultLocale: 'en' });
    expect(file.templates).toHaveLength(8);
    expect(file.fieldMappings).toHaveLength(5);
    expect(file.decorators).toEqual([]);
    const items = file.templates!.find((x) => x.name === 'items.csv')!;
    expect(items.columns[2]).toEqual({ columnName: 'product_id', sourceType: 'inriver_field', sourceValue: 'Product.ProductId',
      defaultValue: null, transformation: null, required: true, notes: null });
    const summary = await files.importConfig(bu(), JSON.parse(JSON.stringify(file)));
    expect(summary).toEqual({ dryRun: false, templates: { inFile: 8, changed: 0, deleted: [] }, fieldMappings: 5, decorators: 0, defaultLocale: 'en' });
    expect(await files.exportConfig(bu())).toEqual(file);
  });

  it('makes each section in the file the whole truth, in one transaction, bumping changed templates', async () => {
    const summary = await files.importConfig(bu(), {
      formatVersion: 1,
      defaultLocale: 'fr-CA',
      templates: [
        { name: 'items.csv', rowSource: 'ITEM', columns: [{ columnName: 'id', sourceType: 'inriver_field', sourceValue: 'EntityId', required: true }] },
        { name: 'purpose.csv', rowSource: 'ATTRIBUTE', delimiter: '\t', columns: [
          { columnName: 'Feature_Purpose', sourceType: 'decorator', sourceValue: 'purpose' }] },
      ],
      decorators: [{ entityType: 'attribute', entityId: 'ATTR_001', decoratorType: 'purpose', decoratorValue: 'searchable', source: 'migration',
        notes: 'Migrated from Heiler', createdAt: '2026-03-03T09:39:29-07:00' }],
    });
    expect(summary).toEqual({ dryRun: false, templates: { inFile: 2, changed: 2, deleted: ['attributes.csv', 'categories.csv',
      'item-attributes.csv', 'item-categories.csv', 'item-media.csv', 'itemdataflex.csv', 'products.csv'] }, decorators: 1, defaultLocale: 'fr-CA' });
    const templates = await config.listTemplates(bu());
    expect(templates.map((x) => [x.name, x.version, x.delimiter])).toEqual([['items.csv', 2, ','], ['purpose.csv', 1, '\t']]);
    expect(await config.getDefaultLocale(bu())).toBe('fr-CA');
    // fieldMappings was not in the file: untouched.
    expect(await config.listMappings(bu())).toHaveLength(5);
    const [d] = await config.listDecorators(bu(), 'Attribute');
    expect(d).toMatchObject({ entityType: 'Attribute', entityId: 'ATTR_001', source: 'migration' });
    expect(d.createdAt.toISOString()).toBe('2026-03-03T16:39:29.000Z');
  });

  it('refuses a bad file with every problem and changes nothing; a dry run changes nothing either', async () => {
    const before = await files.exportConfig(bu());
    const bad = {
      formatVersion: 1,
      templates: [
        { name: 'a.csv', rowSource: 'ORDERS', columns: [{ columnName: 'x', sourceType: 'static', sourceValue: '1' }] },
        { name: 'b.csv', rowSource: 'ITEM', delimiter: ';;', columns: [
          { columnName: 'x', sourceType: 'sql', sourceValue: 'SELECT 1' },
          { columnName: 'x', sourceType: 'inriver_field', sourceValue: 'EntityId', transformation: 'uppercase' }] },
      ],
      fieldMappings: [{ inriverEntity: 'Item', inriverField: 'ItemUPCCode', heilerCsv: 'item-attributes.csv', heilerColumn: 'upc', transformationRule: 'date()' }],
      decorators: [{ entityType: 'widget', entityId: '1', decoratorType: 'purpose' }],
    };
    let message = '';
    await files.importConfig(bu(), bad).catch((err: Error) => { message = err.message; });
    expect(message).toMatch(/^configuration file not imported: /);
    for (const part of ['unknown row source "ORDERS"', 'delimiter ";;"', 'unknown source type "sql"', 'column "x" appears twice',
      'unknown transformation "uppercase"', 'fieldMappings[0]: transformation_rule: date: expected the form', 'decorators[0]: entity_type "widget"']) {
      expect(message).toContain(part);
    }
    expect(await files.exportConfig(bu())).toEqual(before);

    const shapeless = await files.importConfig(bu(), { formatVersion: 2, templates: 'all' }).catch((err: Error) => err.message);
    expect(shapeless).toMatch(/formatVersion.*templates/s);

    const dry = await files.importConfig(bu(), { formatVersion: 1, templates: [], fieldMappings: [] }, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, templates: { inFile: 0, changed: 0, deleted: ['items.csv', 'purpose.csv'] }, fieldMappings: 0 });
    expect(await files.exportConfig(bu())).toEqual(before);
  });

  it('carries formulaEscape; a file written before the setting existed imports with the default, none', async () => {
    const columns = [{ columnName: 'id', sourceType: 'inriver_field', sourceValue: 'EntityId' }];
    await files.importConfig(bu(), { formatVersion: 1, templates: [
      { name: 'excel.csv', rowSource: 'ITEM', formulaEscape: 'quote', columns },
      { name: 'plain.csv', rowSource: 'ITEM', columns },
    ] });
    const written = await files.exportConfig(bu());
    expect(written.templates!.map((x) => [x.name, x.formulaEscape])).toEqual([['excel.csv', 'quote'], ['plain.csv', 'none']]);
    expect(await files.importConfig(bu(), JSON.parse(JSON.stringify(written)))).toMatchObject({ templates: { inFile: 2, changed: 0 } });

    // An older file: the same templates, no formulaEscape anywhere.
    const old = JSON.parse(JSON.stringify(written));
    for (const x of old.templates) delete x.formulaEscape;
    expect(await files.importConfig(bu(), old)).toMatchObject({ templates: { inFile: 2, changed: 1 } });
    expect((await config.listTemplates(bu())).map((x) => [x.name, x.formulaEscape, x.version])).toEqual([['excel.csv', 'none', 2], ['plain.csv', 'none', 1]]);

    const bad = await files.importConfig(bu(), { formatVersion: 1, templates: [{ name: 'x.csv', rowSource: 'ITEM', formulaEscape: 'prefix', columns }] })
      .catch((err: Error) => err.message);
    expect(bad).toMatch(/templates\.0\.formulaEscape/);
  });

  it('refuses reserved names in any case and names that differ only in case, importing nothing', async () => {
    const before = await files.exportConfig(bu());
    const columns = [{ columnName: 'id', sourceType: 'inriver_field', sourceValue: 'EntityId' }];
    const message = await files.importConfig(bu(), { formatVersion: 1, templates: [
      { name: 'Items.csv', rowSource: 'ITEM', columns }, { name: 'items.csv', rowSource: 'ITEM', columns },
      { name: 'MANIFEST.json', rowSource: 'ITEM', columns }, { name: 'a.csv.partial', rowSource: 'ITEM', columns },
    ] }).catch((err: Error) => err.message);
    expect(message).toMatch(/^configuration file not imported: /);
    expect(message).toContain('templates: "Items.csv" and "items.csv" differ only in case');
    expect(message).toContain('template "MANIFEST.json": file name "MANIFEST.json" is reserved in any case');
    expect(message).toContain('template "a.csv.partial": file name "a.csv.partial" is reserved in any case');
    expect(await files.exportConfig(bu())).toEqual(before);
  });
});
