import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TempBucket, productLine } from '../support/bucket-factory';
import { CliResult, buildCommands, runCommand, stdoutJson } from '../support/cli-process';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';

/**
 * The cut-over workflow of docs/parity.md with the commands, as child processes: a "legacy" file
 * is built from a loaded state with a known mapping (attributes, a parent product field, a CVL
 * value, a locale variant, transformations, a constant column, a column inRiver lacks), then a few
 * cells are changed, rows dropped and rows added. `parity propose` must recover the mapping,
 * column by column; the export made from the proposed template (its missing column filled from
 * decorator data) must differ from the legacy file by exactly the injected differences.
 */

const UOM = [{ key: 'EA', value: 'Each' }, { key: 'BX', value: 'Box' }, { key: 'CS', value: 'Case' }];

interface Item { id: number; product: number; no: string; upc: string; weight: number; uom: { key: string; value: string }; active: boolean }

function catalogue(): { lines: unknown[]; items: Item[] } {
  const lines: unknown[] = [];
  const items: Item[] = [];
  for (let p = 1; p <= 20; p++) {
    const productItems = [0, 1].map((k) => {
      const id = 5000 + p * 10 + k;
      const item: Item = { id, product: p, no: `W-${id}`, upc: String(100000000000 + id * 37), weight: 1 + (id % 5) * 0.5, uom: UOM[id % 3], active: id % 2 === 0 };
      items.push(item);
      return {
        id,
        attrs: {
          ItemWatscoItemNo: item.no, ItemUPCCode: item.upc, ItemItemImperialWeightinPounds: item.weight, ItemItemQuantity: (id % 4) + 1,
          ItemItemQuantityType: item.uom, ItemActiveInEcommerceBAK: item.active, ItemManufacturerItemNo: `M${id}`, ItemSupplierShortDescriptionEN: `Part ${id}`,
        },
      };
    });
    lines.push(productLine({
      id: 7000 + p, productId: `P${7000 + p}`, items: productItems,
      attrs: { ProductShortDescription: { en: `Name ${p}`, 'fr-CA': `Nom ${p}`, es: `Nombre ${p}` }, ProductProductFamily: `FAM-${p}` },
    }));
  }
  return { lines, items };
}

const legacyCode = (id: number) => `LC${(id * 7919) % 100000}`;
const HEADER = ['item_id', 'item_no', 'upc', 'weight', 'uom_name', 'family', 'name_fr', 'active', 'source', 'legacy_code'];
const legacyRow = (i: Item) => [String(i.id), i.no, i.upc, i.weight.toFixed(2), i.uom.value, `FAM-${i.product}`, `Nom ${i.product}`,
  i.active ? 'Y' : 'N', 'PIM', legacyCode(i.id)];

let build: ReturnType<typeof buildCommands>;
beforeAll(() => { build = buildCommands(); }, 120_000);
afterAll(() => build?.remove());

describe('the cut-over workflow: propose a template from a legacy file, export, compare', () => {
  let t: TestDatabase;
  let bucket: TempBucket;
  let work: string;
  let items: Item[];
  let env: Record<string, string>;
  const run = (name: string, args: string[]) => runCommand(build.dir, name, args, env, 120_000);
  const expectExit = (r: CliResult, code: number) => {
    if (r.code !== code) throw new Error(`exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  };

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    bucket = new TempBucket();
    bucket.write('SHARED/AttributeFile.json', fs.readFileSync(path.join(PROJECT_ROOT, 'samples', 'bucket', 'SHARED', 'AttributeFile.json')));
    const cat = catalogue();
    items = cat.items;
    bucket.product('BAK', 'ecommerce_20260416000000_001.jsonl', cat.lines);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-cutover-'));
    env = {
      DATABASE_URL: t.url, MIGRATION_DATABASE_URL: t.ownerUrl, BUSINESS_UNITS: 'bak', SOURCE_URL: pathToFileURL(bucket.root).href,
      EXPORT_URL: pathToFileURL(path.join(work, 'exports')).href, LOG_LEVEL: 'warn', EXPORT_POLL_INTERVAL_MS: '200',
    };
  }, 60_000);
  afterAll(async () => {
    await t.close();
    bucket.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('recovers the mapping, and the export from it differs by exactly the injected cells and rows', async () => {
    expectExit(await run('load', ['--bu', 'bak', '--once']), 0);
    // The legacy file: semicolons and CRLF; three cells changed, two rows dropped, two added.
    const [changedUpc, changedFamily, changedWeight, droppedA, droppedB] = [items[2], items[7], items[11], items[20], items[33]];
    const rows = items.filter((i) => i !== droppedA && i !== droppedB).map((i) => {
      const r = legacyRow(i);
      if (i === changedUpc) r[2] = '000000000000';
      if (i === changedFamily) r[5] = 'FAM-X';
      if (i === changedWeight) r[3] = '9.99';
      return r;
    });
    rows.splice(5, 0, ['990001', 'W-990001', '1', '1.00', 'Each', 'FAM-1', 'Nom 1', 'Y', 'PIM', 'LC1']);
    rows.push(['990002', 'W-990002', '2', '2.00', 'Box', 'FAM-2', 'Nom 2', 'N', 'PIM', 'LC2']);
    const legacy = path.join(work, 'legacy', 'items-legacy.csv');
    fs.mkdirSync(path.dirname(legacy));
    fs.writeFileSync(legacy, [HEADER, ...rows].map((r) => r.join(';')).join('\r\n') + '\r\n');

    const configFile = path.join(work, 'config', 'bak.json');
    const proposed = await run('parity', ['propose', '--bu', 'bak', '--legacy', legacy, '--key-column', 'item_id', '--key-field', 'EntityId', '--out', configFile]);
    expectExit(proposed, 0);
    const [proposal] = stdoutJson(proposed) as any[];
    expect(proposal).toMatchObject({ sampledRows: 40, matchedRows: 38, key: { column: 'item_id', field: 'EntityId' } });
    expect(Object.fromEntries(proposal.columns.map((c: any) => [c.column, [c.kind, c.sourceValue, c.transformation]]))).toEqual({
      item_id: ['key', 'EntityId', null],
      item_no: ['source', 'ItemWatscoItemNo', null],
      upc: ['source', 'ItemUPCCode', null],
      weight: ['source', 'ItemItemImperialWeightinPounds', 'decimals(2)'],
      uom_name: ['source', 'ItemItemQuantityType', 'cvl_value'],
      family: ['source', 'Product.ProductProductFamily', null],
      name_fr: ['source', 'Product.ProductShortDescription', 'locale(fr-CA)'],
      active: ['source', 'ItemActiveInEcommerceBAK', 'bool_yn'],
      source: ['static', 'PIM', null],
      legacy_code: ['needs-data', null, null],
    });
    const rate = (name: string) => proposal.columns.find((c: any) => c.column === name).matchRate;
    expect([rate('upc'), rate('family'), rate('weight'), rate('item_no')]).toEqual([37 / 38, 37 / 38, 37 / 38, 1]);
    expect(proposal.template).toMatchObject({ name: 'items-legacy.csv', rowSource: 'ITEM', delimiter: ';', lineEnding: 'CRLF', encoding: 'UTF-8' });

    // What propose says is missing comes from decorator data; the configuration file then goes in as it is.
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    expect(config.templates.map((x: any) => x.name)).toContain('items.csv'); // the other templates are kept
    const template = config.templates.find((x: any) => x.name === 'items-legacy.csv');
    Object.assign(template.columns.find((c: any) => c.columnName === 'legacy_code'), { sourceType: 'decorator', sourceValue: 'legacy_code' });
    config.decorators = items.map((i) => ({ entityType: 'Item', entityId: String(i.id), decoratorType: 'legacy_code', decoratorValue: legacyCode(i.id) }));
    fs.writeFileSync(configFile, JSON.stringify(config));
    expectExit(await run('config', ['import', '--bu', 'bak', configFile]), 0);

    const exported = await run('export', ['--bu', 'bak', '--templates', 'items-legacy.csv', '--wait']);
    expectExit(exported, 0);
    const [job] = stdoutJson(exported) as any[];
    const report = path.join(work, 'reports', 'items-legacy.html');
    const compared = await run('parity', ['compare', '--bu', 'bak', '--legacy', legacy, '--job', job.id, '--key', 'item_id', '--max-examples', '10', '--html', report]);
    expectExit(compared, 4);
    const [paritySummary] = stdoutJson(compared) as any[];
    const s = paritySummary.summary;
    expect(s.rowsOnlyInLegacy).toEqual({ count: 2, examples: [{ key: ['990001'], row: 6 }, { key: ['990002'], row: 40 }] });
    expect(s.rowsOnlyInExport.count).toBe(2);
    expect(s.rowsOnlyInExport.examples.map((e: any) => e.key[0]).sort()).toEqual([String(droppedA.id), String(droppedB.id)].sort());
    expect(s.duplicateKeys.legacy.keys + s.duplicateKeys.export.keys).toBe(0);
    expect([s.columnsOnlyInLegacy, s.columnsOnlyInExport]).toEqual([[], []]);
    expect(s.matchedRows).toBe(38);
    expect(s.differentCells).toBe(3);
    const differing = s.columns.filter((c: any) => c.different > 0).map((c: any) => [c.name, c.examples]);
    expect(differing).toEqual([
      ['upc', [{ key: [String(changedUpc.id)], legacy: '000000000000', export: changedUpc.upc }]],
      ['weight', [{ key: [String(changedWeight.id)], legacy: '9.99', export: changedWeight.weight.toFixed(2) }]],
      ['family', [{ key: [String(changedFamily.id)], legacy: 'FAM-X', export: `FAM-${changedFamily.product}` }]],
    ]);
    expect(fs.readFileSync(report, 'utf8')).toContain('<span class="value" data-metric="differentCells">3</span>');
  }, 600_000);
});
