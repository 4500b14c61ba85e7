import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { LineReader, LineRecord, gzipFor, readLines, readWholeJson } from '../../src/loaders/parse/line-reader';

const opts = { gzip: 'auto' as const, maxLineBytes: 1000 };

/** A stream that delivers `data` in the given chunk size, to force splits anywhere. */
function chunked(data: Buffer | string, size: number): Readable {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return Readable.from(chunks);
}

async function collect(lines: AsyncIterable<LineRecord>): Promise<LineRecord[]> {
  const out: LineRecord[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('LineReader', () => {
  it('splits lines across any chunk size and keeps line numbers', async () => {
    const data = '{"a":1}\n{"b":2}\n\n   \n{"c":3}';
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(await collect(readLines(chunked(data, size), opts))).toEqual([
        { lineNumber: 1, text: '{"a":1}' },
        { lineNumber: 2, text: '{"b":2}' },
        { lineNumber: 5, text: '{"c":3}' },
      ]);
    }
  });

  it('handles CRLF, including a CR and LF in different chunks', async () => {
    const data = 'one\r\ntwo\r\n\r\nthree\r\n';
    for (const size of [1, 4, 100]) {
      expect(await collect(readLines(chunked(data, size), opts))).toEqual([
        { lineNumber: 1, text: 'one' },
        { lineNumber: 2, text: 'two' },
        { lineNumber: 4, text: 'three' },
      ]);
    }
  });

  it('decodes multibyte UTF-8 split across chunks', async () => {
    const data = '{"fr":"Fournitures élégantes"}\n{"zh":"中文 😀"}\n';
    for (const size of [1, 2, 5]) {
      const lines = await collect(readLines(chunked(data, size), opts));
      expect(lines.map((l) => ('text' in l ? l.text : null))).toEqual(['{"fr":"Fournitures élégantes"}', '{"zh":"中文 😀"}']);
    }
  });

  it('skips a too-long line without losing the following lines', async () => {
    const long = 'x'.repeat(5000);
    const data = `short\n${long}\r\nafter\n${'y'.repeat(100)}\nend`;
    for (const size of [7, 64, 100000]) {
      const lines = await collect(readLines(chunked(data, size), { gzip: false, maxLineBytes: 100 }));
      expect(lines).toEqual([
        { lineNumber: 1, text: 'short' },
        { lineNumber: 2, tooLong: true, bytes: 5000, head: 'x'.repeat(1024) },
        { lineNumber: 3, text: 'after' },
        { lineNumber: 4, text: 'y'.repeat(100) }, // exactly the limit is fine
        { lineNumber: 5, text: 'end' },
      ]);
    }
  });

  it('counts a line one byte over the limit as too long, whatever the line ending', async () => {
    const lines = await collect(readLines(chunked(`${'z'.repeat(11)}\r\n${'z'.repeat(10)}\r\n`, 3), { gzip: false, maxLineBytes: 10 }));
    expect(lines).toEqual([
      { lineNumber: 1, tooLong: true, bytes: 11, head: 'z'.repeat(11) },
      { lineNumber: 2, text: 'z'.repeat(10) },
    ]);
  });

  it('detects gzip by its magic bytes and hashes the compressed bytes', async () => {
    const plain = Buffer.from('{"a":1}\n{"b":"é"}\n');
    const gz = gzipSync(plain);
    for (const size of [1, 16]) {
      const reader = new LineReader(chunked(gz, size), opts);
      expect(await collect(reader.lines())).toEqual([{ lineNumber: 1, text: '{"a":1}' }, { lineNumber: 2, text: '{"b":"é"}' }]);
      expect(reader.sha256()).toBe(createHash('sha256').update(gz).digest('hex'));
      expect(reader.bytesRead()).toBe(gz.length);
    }
    // 'auto' leaves plain text alone.
    const reader = new LineReader(chunked(plain, 5), opts);
    expect(await collect(reader.lines())).toHaveLength(2);
    expect(reader.sha256()).toBe(createHash('sha256').update(plain).digest('hex'));
    expect(reader.bytesRead()).toBe(plain.length);
  });

  it('throws a clear error on truncated or garbage gzip', async () => {
    const gz = gzipSync(Buffer.from('{"a":1}\n'.repeat(1000)));
    await expect(collect(readLines(chunked(gz.subarray(0, gz.length - 20), 50), opts)))
      .rejects.toThrow('gzip: unexpected end of file');
    await expect(collect(readLines(chunked('not gzip at all\n', 4), { gzip: true, maxLineBytes: 100 })))
      .rejects.toThrow(/^gzip: /);
  });

  it('fails a file that must be gzip (named .gz) but is not, saying so, and still reads real gzip', async () => {
    const must = { gzip: gzipFor('BAK/PRODUCT/ecommerce_20260415000000000_001.jsonl.GZ'), maxLineBytes: 100 };
    expect(must.gzip).toBe(true);
    expect(gzipFor('BAK/PRODUCT/ecommerce_20260415000000000_001.jsonl')).toBe('auto');
    await expect(collect(readLines(chunked('{"EntityId":1,"EntityTypeId":"Product"}\n', 1), must)))
      .rejects.toThrow('gzip: the file is named .gz but is not gzip (it starts with "{\\"EntityId\\":1,\\"EntityTyp")');
    await expect(collect(readLines(Readable.from([]), must))).rejects.toThrow('gzip: the file is named .gz but is not gzip (it is empty)');
    expect(await collect(readLines(chunked(gzipSync('{"a":1}\n'), 1), must))).toEqual([{ lineNumber: 1, text: '{"a":1}' }]);
  });

  it('surfaces a read error of the underlying stream', async () => {
    async function* failing() {
      yield Buffer.from('{"a":1}\n');
      throw new Error('connection reset');
    }
    await expect(collect(readLines(Readable.from(failing()), opts))).rejects.toThrow('read: connection reset');
    const gz = gzipSync(Buffer.from('{"a":1}\n'.repeat(1000)));
    async function* failingGz() {
      yield gz.subarray(0, 30);
      throw new Error('connection reset');
    }
    await expect(collect(readLines(Readable.from(failingGz()), opts))).rejects.toThrow('read: connection reset');
  });

  it('destroys the raw stream when the caller stops early', async () => {
    const raw = chunked('a\nb\nc\n', 2);
    for await (const l of readLines(raw, opts)) {
      expect(l).toEqual({ lineNumber: 1, text: 'a' });
      break;
    }
    expect(raw.destroyed).toBe(true);
  });

  it('handles an empty stream', async () => {
    const reader = new LineReader(Readable.from([]), opts);
    expect(await collect(reader.lines())).toEqual([]);
    expect(reader.bytesRead()).toBe(0);
  });
});

describe('readWholeJson', () => {
  const doc = [{ EntityTypeId: 'Item', Attributes: [{ AttributeId: 'ItemANSIStandards', Name: { stringMap: { es: 'Estándares' } } }] }];

  it('reads plain and gzipped JSON with the raw hash', async () => {
    const plain = Buffer.from(JSON.stringify(doc));
    const gz = gzipSync(plain);
    for (const raw of [plain, gz]) {
      const res = await readWholeJson(chunked(raw, 7), { gzip: 'auto', maxNestingDepth: 64 });
      expect(res).toEqual({ value: doc, sha256: createHash('sha256').update(raw).digest('hex'), bytes: raw.length });
    }
  });

  it('says what is wrong with a bad file', async () => {
    await expect(readWholeJson(chunked('[{"a":', 3), { gzip: 'auto', maxNestingDepth: 64 })).rejects.toThrow(/^json: /);
    const gz = gzipSync(Buffer.from(JSON.stringify(doc)));
    await expect(readWholeJson(chunked(gz.subarray(0, 10), 3), { gzip: 'auto', maxNestingDepth: 64 })).rejects.toThrow('gzip: unexpected end of file');
    await expect(readWholeJson(chunked(JSON.stringify(doc), 3), { gzip: gzipFor('SHARED/AttributeFile.json.gz'), maxNestingDepth: 64 }))
      .rejects.toThrow('gzip: the file is named .gz but is not gzip (it starts with "[{\\"EntityTypeId\\":\\"Item\\",")');
  });
});
