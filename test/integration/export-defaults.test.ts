import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JOB_FIELDS, exportAndWait, fileByName, parseCsv, readLocal, waitForJob } from '../support/export-helpers';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

/**
 * The default templates over the sample bucket (samples/README.md gives its end state), requested
 * over GraphQL and written to a local folder. Every expected row below is written from the sample
 * files by hand.
 */

const READER = 'reader-key-123';
const OPERATOR = 'operator-key-123';
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe('the default CSV export of the sample bucket', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let dir: string;
  let job: any;
  const csv = (name: string) => parseCsv(readLocal(fileByName(job, name).uri));

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-export-'));
    s = await startTestServer(t, {
      bucketDir: path.join(PROJECT_ROOT, 'samples', 'bucket'),
      exportUrl: pathToFileURL(dir).href,
      apiKeys: `${READER}:reader,${OPERATOR}:operator`,
    });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 4 });
    const queued = await s.gql(`mutation { requestExport(businessUnit: "BAK", idempotencyKey: "nightly-2026-04-16") { ${JOB_FIELDS} } }`, {}, OPERATOR);
    expect(queued.body.errors).toBeUndefined();
    // Returned at once, before any work: the worker picks it up afterwards.
    expect(queued.body.data.requestExport).toMatchObject({ status: 'QUEUED', files: [], manifestUri: null, businessUnit: 'bak',
      idempotencyKey: 'nightly-2026-04-16', requestedBy: 'key#2(operator)', templates: null });
    job = await waitForJob(s.gql, 'bak', queued.body.data.requestExport.id, { key: READER });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('succeeds with the eight default files, their rows, and the snapshot it read', async () => {
    expect(job).toMatchObject({ status: 'SUCCEEDED', error: null, warnings: [], attempts: 1 });
    expect(job.files.map((f: any) => f.name).sort()).toEqual(['attributes.csv', 'categories.csv', 'item-attributes.csv',
      'item-categories.csv', 'item-media.csv', 'itemdataflex.csv', 'items.csv', 'products.csv']);
    const status = await s.gql('{ loadStatus(businessUnit: "bak") { lastCompleted { id } } }', {}, READER);
    expect(job.snapshotEventId).toBe(status.body.data.loadStatus.lastCompleted.id);
    expect(new Date(job.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(job.startedAt).getTime());
    expect(Object.fromEntries(job.files.map((f: any) => [f.name, f.rows]))).toEqual({
      'attributes.csv': 24, 'categories.csv': 3, 'item-attributes.csv': 15, 'item-categories.csv': 3, 'item-media.csv': 3,
      'itemdataflex.csv': 3, 'items.csv': 3, 'products.csv': 3,
    });
  });

  it('lays files out as {EXPORT_URL}/{BU}/{date}/{jobId}/{file}, hashed and sized as written, manifest last', async () => {
    const day = job.requestedAt.slice(0, 10);
    const folder = path.join(dir, 'BAK', day, job.id);
    expect(fs.readdirSync(folder).sort()).toEqual([...job.files.map((f: any) => f.name), 'manifest.json'].sort());
    expect(fileURLToPath(job.manifestUri)).toBe(path.join(folder, 'manifest.json'));
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ jobId: job.id, businessUnit: 'bak', snapshotEventId: job.snapshotEventId, warnings: [],
      requestedBy: 'key#2(operator)' });
    const manifestTime = fs.statSync(path.join(folder, 'manifest.json')).mtimeMs;
    for (const f of job.files) {
      const bytes = readLocal(f.uri);
      expect(fileURLToPath(f.uri)).toBe(path.join(folder, f.name));
      expect(f.bytes).toBe(bytes.length);
      expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(f.downloadUrl).toBeNull();
      expect(manifest.files.find((m: any) => m.name === f.name)).toMatchObject({ rows: f.rows, bytes: f.bytes, sha256: f.sha256,
        template: { version: 1 } });
      expect(fs.statSync(fileURLToPath(f.uri)).mtimeMs).toBeLessThanOrEqual(manifestTime);
    }
  });

  it('products.csv: live products only, LocaleString in the default locale and in fr-CA, CVL key and value', () => {
    const rows = csv('products.csv');
    expect(rows[0]).toEqual(['product_entity_id', 'product_id', 'name', 'name_fr_ca', 'product_family', 'supplier_code', 'supplier_name',
      'attribute_set', 'updated_at']);
    expect(rows.slice(1).map((r) => r.slice(0, 8))).toEqual([
      ['19456', 'P100982724', 'Capacitor 45/5 MFD 440V', 'Condensateur 45/5 MFD 440V', 'PML320', 'SUP-0042', 'Acme Electric', ''],
      // No fr-CA or fr text: falls back to the default locale (en).
      ['19457', 'P100982731', 'Contactor 2-pole 30A', 'Contactor 2-pole 30A', 'CTR200', 'SUP-0077', 'Northwind HVAC', ''],
      ['19460', 'P100982790', 'Filter drier 3/8 SAE', 'Filtre déshydrateur 3/8 SAE', 'FD100', 'SUP-0077', 'Northwind HVAC', ''],
    ]);
    for (const r of rows.slice(1)) expect(r[8]).toMatch(DATE_TIME);
  });

  it('items.csv: live items with their product keys; deleted 3440 and removed 3425 are absent', () => {
    const rows = csv('items.csv');
    expect(rows[0]).toEqual(['item_id', 'item_no', 'product_id', 'product_entity_id', 'name', 'manufacturer_item_no', 'upc',
      'attribute_set', 'position', 'updated_at']);
    expect(rows.slice(1).map((r) => r.slice(0, 9))).toEqual([
      ['3424', 'W-100245', 'P100982724', '19456', 'Round run capacitor 45/5', 'C45-5R', '012345678905', '', '0'],
      ['3430', 'W-100300', 'P100982731', '19457', 'Definite purpose contactor 2P 30A', 'CT2-30', '012345678929', '', '0'],
      ['3450', 'W-100500', 'P100982790', '19460', 'Liquid line filter drier 3/8 SAE', 'FD-083S', '012345678943', '', '0'],
    ]);
  });

  it('itemdataflex.csv: decimals, CVL key/value, multi-CVL keys joined by |, inherited product fields', () => {
    expect(csv('itemdataflex.csv')).toEqual([
      ['item_id', 'item_no', 'BU_ISD', 'weight_lb', 'quantity', 'uom', 'uom_name', 'country_of_origin', 'ansi_standards', 'product_family', 'main_supplier'],
      ['3424', 'W-100245', 'Capacitor 45/5 MFD 440V', '0.90', '1', 'EA', 'Each', 'US|MX', '', 'PML320', 'Acme Electric'],
      ['3430', 'W-100300', 'Contactor 2-pole 30A', '1.20', '1', 'EA', 'Each', 'CN', '', 'CTR200', 'Northwind HVAC'],
      ['3450', 'W-100500', 'Filter drier 3/8 SAE', '0.60', '1', 'EA', 'Each', 'US|MX', '', 'FD100', 'Northwind HVAC'],
    ]);
  });

  it('item-attributes.csv: one row per item and active field mapping, in mapping order', () => {
    const rows = csv('item-attributes.csv');
    expect(rows[0]).toEqual(['item_id', 'item_no', 'attribute_code', 'attribute_name', 'value', 'purpose']);
    const expected = (id: string, no: string, weight: string, country: string, upc: string, family: string) => [
      [id, no, 'weight', 'Weight (lb)', weight, ''],
      [id, no, 'uom', 'Quantity Type', 'EA', ''],
      [id, no, 'country_of_origin', 'Country of Origin', country, ''],
      [id, no, 'upc', 'UPC', upc, ''],
      [id, no, 'product_family', 'Product Family', family, ''],
    ];
    expect(rows.slice(1)).toEqual([
      ...expected('3424', 'W-100245', '0.90', 'United States, Mexico', '012345678905', 'PML320'),
      ...expected('3430', 'W-100300', '1.20', 'China', '012345678929', 'CTR200'),
      ...expected('3450', 'W-100500', '0.60', 'United States, Mexico', '012345678943', 'FD100'),
    ]);
  });

  it('attributes.csv: every attribute definition of the AttributeFile', () => {
    const rows = csv('attributes.csv');
    expect(rows[0]).toEqual(['entity_type', 'attribute_id', 'name', 'data_type', 'multi_value', 'sort_order', 'allowed_values', 'fieldsets', 'purpose']);
    expect(rows).toHaveLength(25);
    const byId = new Map(rows.slice(1).map((r) => [r[1], r]));
    expect(byId.get('ItemCountryofOrigin')).toEqual(['Item', 'ItemCountryofOrigin', 'Country of Origin', 'CVLString', '1', '8', 'CN|MX|US', '', '']);
    expect(byId.get('ItemANSIStandards')).toEqual(['Item', 'ItemANSIStandards', 'ANSI Standards', 'CVLString', '1', '625', 'A14.52007|OSHA|Type1',
      'ItemLaddersandAccessories', '']);
    expect(byId.get('ProductShortDescription')).toEqual(['Product', 'ProductShortDescription', 'Short Description', 'LocaleString', '0', '2', '', '', '']);
    expect(byId.get('ChannelName')).toEqual(['Channel', 'ChannelName', 'Channel Name', 'LocaleString', '0', '1', '', '', '']);
    expect(rows.slice(1).filter((r) => r[0] === 'Item').map((r) => r[1])).toEqual(['ItemWatscoItemNo', 'ItemManufacturerItemNo', 'ItemUPCCode',
      'ItemSupplierShortDescriptionEN', 'ItemItemImperialWeightinPounds', 'ItemItemQuantity', 'ItemItemQuantityType', 'ItemCountryofOrigin',
      'ItemActiveInEcommerceBAK', 'ItemANSIStandards']);
  });

  it('categories.csv: the tree with parent ids, paths, levels and positions', () => {
    expect(csv('categories.csv')).toEqual([
      ['category_id', 'category_code', 'parent_id', 'name', 'path', 'level', 'position', 'active', 'include_in_menu'],
      ['50703', '45873_1423187165000', '', 'HVAC', 'HVAC', '1', '0', '1', '1'],
      ['50714', '45873_1423187165631', '50703', 'Supplies', 'HVAC > Supplies', '2', '0', '1', '1'],
      ['50715', '45873_1423187165632', '50703', 'Capacitors', 'HVAC > Capacitors', '2', '1', '1', '1'],
    ]);
  });

  it("item-categories.csv: items inherit their product's categories (membership from the product side)", () => {
    expect(csv('item-categories.csv')).toEqual([
      ['item_id', 'item_no', 'product_id', 'category_id', 'category_code', 'position'],
      ['3424', 'W-100245', 'P100982724', '50714', '45873_1423187165631', '0'],
      ['3430', 'W-100300', 'P100982731', '50714', '45873_1423187165631', '0'],
      ['3450', 'W-100500', 'P100982790', '50715', '45873_1423187165632', '0'],
    ]);
  });

  it('item-media.csv: the item resource first, then the inherited product resources', () => {
    expect(csv('item-media.csv')).toEqual([
      ['item_id', 'item_no', 'resource_id', 'file_name', 'mime_type', 'media_type', 'file_id', 'position', 'inherited_from'],
      ['3424', 'W-100245', '88011', 'C45-5R_side.jpg', 'image/jpeg', 'normal', '488011', '0', 'Item'],
      ['3424', 'W-100245', '88001', 'C45-5R_main.jpg', 'image/jpeg', 'normal', '488001', '1', 'Product'],
      ['3424', 'W-100245', '88002', 'C45-5R_spec.pdf', 'application/pdf', 'subs', '488002', '2', 'Product'],
    ]);
  });

  it('writes LF line endings, no BOM, UTF-8', () => {
    const bytes = readLocal(fileByName(job, 'products.csv').uri);
    expect(bytes.subarray(0, 3).toString('hex')).not.toBe('efbbbf');
    expect(bytes.includes('\r')).toBe(false);
    expect(bytes.toString('utf8')).toContain('Filtre déshydrateur 3/8 SAE');
  });

  it('the same idempotency key returns the same job; readers may not request exports', async () => {
    const again = await s.gql(`mutation { requestExport(businessUnit: "bak", idempotencyKey: "nightly-2026-04-16") { id status } }`, {}, OPERATOR);
    expect(again.body.data.requestExport).toEqual({ id: job.id, status: 'SUCCEEDED' });
    const denied = await s.gql('mutation { requestExport(businessUnit: "bak") { id } }', {}, READER);
    expect(errorCodes(denied)).toEqual(['FORBIDDEN']);
    const list = await s.gql('{ exportJobs(businessUnit: "bak") { totalCount nodes { id status } } }', {}, READER);
    expect(list.body.data.exportJobs).toEqual({ totalCount: 1, nodes: [{ id: job.id, status: 'SUCCEEDED' }] });
  });

  it('exports only the templates asked for, in the order asked', async () => {
    const partial = await exportAndWait(s.gql, 'bak', { templates: ['items.csv', 'categories.csv'], key: OPERATOR });
    expect(partial.status).toBe('SUCCEEDED');
    expect(partial.files.map((f: any) => f.name)).toEqual(['items.csv', 'categories.csv']);
    expect(partial.templates).toEqual(['items.csv', 'categories.csv']);
    const unknown = await s.gql('mutation { requestExport(businessUnit: "bak", templates: ["nope.csv"]) { id } }', {}, OPERATOR);
    expect(errorCodes(unknown)).toEqual(['BAD_USER_INPUT']);
    expect(unknown.body.errors![0].message).toMatch(/unknown template\(s\): nope\.csv/);
  });
});
