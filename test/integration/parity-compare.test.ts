import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DomainError } from '../../src/errors/domain-error';
import { createS3Client } from '../../src/storage/s3-client';
import { NormalizeSpec, parseSteps } from '../../src/parity/cell.normalizer';
import { csvFile } from '../../src/parity/csv-file.reader';
import { compareCsvFiles } from '../../src/parity/parity-compare.service';
import { CompareOptions, ParitySummary } from '../../src/parity/parity.types';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { pgClientOf } from '../../src/db/queryable';

/** Comparisons in PostgreSQL (both files COPY'd into temporary tables and joined) over real files, local and on s3rver. */

const EXPORT = [
  'item_id,item_no,name,price,updated_at',
  '1,W-1,Blower motor,1.5,2026-04-16 10:00:00',
  '2,W-2,"Filter, 16x25",12,2026-04-16 11:30:00',
  '3,W-3,"Coil ""A""",0.25,2026-04-17 00:00:00',
  '4,W-4,"two',
  'lines",7,',
].join('\n') + '\n';

describe('comparing an export with a legacy file', () => {
  let t: TestDatabase;
  let dir: string;
  let s3: S3Client;
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };
  const compare = (legacy: string, exported: string, options: Partial<CompareOptions> = {}): Promise<ParitySummary> =>
    t.db.withBu(t.bu('bak'), async (m) => {
      return compareCsvFiles(await pgClientOf(m), csvFile(legacy, () => s3), csvFile(exported, () => s3), {
        key: ['item_id'], normalize: {}, ignore: [], maxExamples: 5, legacyDialect: {}, exportDialect: {}, ...options,
      });
    });

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-compare-'));
    s3 = createS3Client({ endpoint: process.env.TEST_S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' });
  });
  afterAll(async () => {
    s3.destroy();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds a legacy file in another dialect (BOM, semicolons, CRLF, every field quoted, rows in another order) identical', async () => {
    const exported = write('export.csv', EXPORT);
    const legacy = write('legacy.csv', `\ufeff${[
      '"item_id";"item_no";"name";"price";"updated_at"',
      '"3";"W-3";"Coil ""A""";"0.25";"2026-04-17 00:00:00"',
      '"1";"W-1";"Blower motor";"1.5";"2026-04-16 10:00:00"',
      '"4";"W-4";"two\r\nlines";"7";""',
      '"2";"W-2";"Filter, 16x25";"12";"2026-04-16 11:30:00"',
    ].join('\r\n')}\r\n`.replace('two\r\nlines', 'two\nlines'));
    const s = await compare(legacy, exported);
    expect(s.legacy.dialect).toEqual({ delimiter: ';', quote: '"', encoding: 'utf-8', bom: true, lineEnding: 'CRLF', header: true });
    expect(s.export.dialect).toMatchObject({ delimiter: ',', bom: false, lineEnding: 'LF' });
    expect(s).toMatchObject({ identical: true, matchedRows: 4, differentCells: 0, columnsOnlyInLegacy: [], columnsOnlyInExport: [] });
    expect(s.columns.map((c) => [c.name, c.equal, c.different, c.matchRate])).toEqual([
      ['item_id', 4, 0, 1], ['item_no', 4, 0, 1], ['name', 4, 0, 1], ['price', 4, 0, 1], ['updated_at', 4, 0, 1]]);
    expect(s.legacy.sha256).toBe(createHash('sha256').update(fs.readFileSync(legacy)).digest('hex'));
    expect(s.legacy.bytes).toBe(fs.statSync(legacy).size);
    expect(s.legacy.rows).toBe(4);
  });

  it('keeps the first examples of each column in file order up to the limit, whatever the other columns differ in; none with a limit of 0', async () => {
    // Rows 1..40: column a differs on every third row, b on rows 38 and 40 only, c never; rows come in a shuffled key order.
    const keys = Array.from({ length: 40 }, (_, i) => ((i * 17) % 40) + 1);
    const rowsOf = (side: 'l' | 'e') => keys.map((k) => `${k},${side === 'l' && k % 3 === 0 ? `a${k}x` : `a${k}`},${side === 'l' && (k === 38 || k === 40) ? 'old' : 'b'},c`);
    const legacy = write('limit-legacy.csv', ['item_id,a,b,c', ...rowsOf('l')].join('\n') + '\n');
    const exported = write('limit-export.csv', ['item_id,a,b,c', ...rowsOf('e').reverse(), '99,a,b,c', '98,a,b,c'].join('\n') + '\n');
    const s = await compare(legacy, exported, { maxExamples: 3 });
    const col = (name: string) => s.columns.find((c) => c.name === name)!;
    // Examples follow the legacy file's order.
    const aInOrder = keys.filter((k) => k % 3 === 0).slice(0, 3).map(String);
    expect(col('a')).toMatchObject({ different: 13, equal: 27 });
    expect(col('a').examples).toEqual(aInOrder.map((k) => ({ key: [k], legacy: `a${k}x`, export: `a${k}` })));
    expect(col('b').examples.map((e) => e.key[0])).toEqual(keys.filter((k) => k === 38 || k === 40).map(String));
    expect(col('c')).toMatchObject({ different: 0, examples: [] });
    expect(s.rowsOnlyInExport).toEqual({ count: 2, examples: [{ key: ['99'], row: 41 }, { key: ['98'], row: 42 }] });

    const none = await compare(legacy, exported, { maxExamples: 0 });
    expect(none.columns.map((c) => [c.name, c.different, c.examples.length])).toEqual([['item_id', 0, 0], ['a', 13, 0], ['b', 2, 0], ['c', 0, 0]]);
    expect(none.rowsOnlyInExport).toEqual({ count: 2, examples: [] });
    expect(none.duplicateKeys.legacy).toEqual({ keys: 0, rows: 0, examples: [] });
  });

  it('reports rows on one side only, duplicate keys, differing cells with examples and columns on one side only', async () => {
    const exported = write('export2.csv', EXPORT);
    const legacy = write('legacy2.csv', [
      'item_id,item_no,name,price,legacy_flag',
      '1,W-1,Blower motor,1.50,Y',
      '2,W-2,"Filter, 16x25",13,Y',
      '2,W-2b,dup,13,Y',
      '3,W-3,Coil A,0.25,N',
      '9,W-9,Gone,1,N',
      '4,W-4,"two\nlines",8,N',
    ].join('\n'));
    const s = await compare(legacy, exported);
    expect(s.identical).toBe(false);
    expect(s.matchedRows).toBe(3); // 1, 3, 4: key 2 is duplicated in the legacy file
    expect(s.rowsOnlyInLegacy).toEqual({ count: 1, examples: [{ key: ['9'], row: 5 }] });
    expect(s.rowsOnlyInExport).toEqual({ count: 0, examples: [] });
    expect(s.duplicateKeys.legacy).toEqual({ keys: 1, rows: 2, examples: [{ key: ['2'], row: 2, count: 2 }] });
    expect(s.duplicateKeys.export.keys).toBe(0);
    expect(s.columnsOnlyInLegacy).toEqual(['legacy_flag']);
    expect(s.columnsOnlyInExport).toEqual(['updated_at']);
    const col = (n: string) => s.columns.find((c) => c.name === n)!;
    expect(col('item_no')).toMatchObject({ equal: 3, different: 0 });
    expect(col('name')).toMatchObject({ equal: 2, different: 1, examples: [{ key: ['3'], legacy: 'Coil A', export: 'Coil "A"' }] });
    // Without the numeric normalization 1.50 is not 1.5.
    expect(col('price')).toMatchObject({ equal: 1, different: 2, examples: [{ key: ['1'], legacy: '1.50', export: '1.5' }, { key: ['4'], legacy: '8', export: '7' }] });
    expect(col('price').matchRate).toBeCloseTo(1 / 3);
    expect(s.differentCells).toBe(3);
  });

  it('applies the normalizations asked for, per column, and only those', async () => {
    const exported = write('export3.csv', 'sku,color,qty,weight,note,date\nA,Red,1.50,,,2026-04-16 10:00:00\nB,blue ,2,0,,2026-01-02 03:04:05\n');
    const legacy = write('legacy3.csv', 'sku,color,qty,weight,note,date\n A ,RED,1.5,\nb,Blue,2.000,0e0,,01/02/2026 03:04\n');
    const raw = await compare(legacy, exported, { key: ['sku'] });
    expect(raw.matchedRows).toBe(0); // " A " and "b" are not keys of the export without trim and case
    const spec: NormalizeSpec = {
      sku: parseSteps('trim,case'), color: parseSteps('trim, case'), qty: parseSteps('numeric'), weight: parseSteps('numeric'),
      note: parseSteps('empty'), date: parseSteps('date(YYYY-MM-DD HH:mm:ss|MM/DD/YYYY HH:mm)'),
    };
    const s = await compare(legacy, exported, { key: ['sku'], normalize: spec });
    expect(s.matchedRows).toBe(2);
    const col = (n: string) => s.columns.find((c) => c.name === n)!;
    expect(col('color')).toMatchObject({ different: 0, normalization: ['trim', 'case'] });
    expect(col('qty')).toMatchObject({ different: 0, normalization: ['numeric'] });
    expect(col('note')).toMatchObject({ different: 0, normalization: ['empty'] });
    // 10:00:00 vs a missing cell, and 03:04:05 vs 03:04 (seconds the legacy format lacks): both still differ.
    expect(col('date')).toMatchObject({ different: 2, normalization: ['date(YYYY-MM-DD HH:mm:ss|MM/DD/YYYY HH:mm)'] });
    expect(col('date').examples.map((e) => [e.legacy, e.export])).toEqual([[null, '2026-04-16 10:00:00'], ['01/02/2026 03:04', '2026-01-02 03:04:05']]);
    expect(col('weight')).toMatchObject({ different: 0 }); // '0e0' = '0'
    // Row A of the legacy file is short: its note cell is missing, and only `empty` makes missing = ''.
    expect(s.legacy.shortRows).toBe(1);
    const { note: _note, ...withoutEmpty } = spec;
    const strict = await compare(legacy, exported, { key: ['sku'], normalize: withoutEmpty });
    expect(strict.columns.find((c) => c.name === 'note')).toMatchObject({ different: 1, normalization: [], examples: [{ key: ['a'], legacy: null, export: '' }] });
    const same = await compare(legacy, exported, { key: ['sku'], normalize: { ...spec, date: parseSteps('date(YYYY-MM-DD HH:mm|MM/DD/YYYY HH:mm)'), weight: parseSteps('empty,numeric') }, ignore: ['date'] });
    expect(same).toMatchObject({ identical: true, ignoredColumns: ['date'] });
  });

  it('keys on several columns, and reads a Windows-1252 legacy file and one on S3', async () => {
    const exported = write('export4.csv', 'item_id,locale,name\n1,en,Cafe\n1,fr,Café\n2,fr,Élan\n');
    const legacyBytes = Buffer.from('item_id\tlocale\tname\r\n1\ten\tCafe\r\n1\tfr\tCaf\xe9\r\n2\tfr\t\xc9lan\r\n', 'latin1');
    const legacy = write('legacy4.csv', legacyBytes);
    const local = await compare(legacy, exported, { key: ['item_id', 'locale'] });
    expect(local.legacy.dialect).toMatchObject({ delimiter: '\t', encoding: 'windows-1252', lineEnding: 'CRLF', bom: false });
    expect(local).toMatchObject({ identical: true, matchedRows: 3 });
    const bucket = `parity-${randomUUID()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'legacy/items.csv', Body: legacyBytes }));
    const remote = await compare(`s3://${bucket}/legacy/items.csv`, exported, { key: ['item_id', 'locale'] });
    expect(remote).toMatchObject({ identical: true, matchedRows: 3 });
    expect(remote.legacy).toMatchObject({ uri: `s3://${bucket}/legacy/items.csv`, sha256: createHash('sha256').update(legacyBytes).digest('hex') });
    await expect(compare(`s3://${bucket}/legacy/missing.csv`, exported, { key: ['item_id'] })).rejects.toThrow(/does not exist/);
  });

  it('refuses a key column a file lacks, naming the columns it has', async () => {
    const exported = write('export5.csv', EXPORT);
    const legacy = write('legacy5.csv', 'id,name\n1,x\n');
    const err = await compare(legacy, exported).catch((e) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err.message).toMatch(/legacy file .* has no key column item_id; its columns: id, name/);
  });
});
