import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { LineRecord, readLines, readWholeJson } from '../../src/loaders/parse/line-reader';
import { cutAtCharBoundary, describeUtf8Problem, escapeInvalidUtf8, firstInvalidUtf8 } from '../../src/loaders/parse/utf8-check';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

function chunked(buf: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return Readable.from(chunks);
}

async function collect(lines: AsyncIterable<LineRecord>): Promise<LineRecord[]> {
  const out: LineRecord[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('finding invalid UTF-8', () => {
  it.each([
    ['an overlong 2-byte encoding of "/"', [0xc0, 0xaf], 'invalid UTF-8 at byte 3: 0xC0 0xAF, an overlong encoding'],
    ['an overlong 3-byte encoding', [0xe0, 0x80, 0xaf], 'invalid UTF-8 at byte 3: 0xE0 0x80 0xAF, an overlong encoding'],
    ['an overlong 4-byte encoding', [0xf0, 0x80, 0x80, 0xaf], 'invalid UTF-8 at byte 3: 0xF0 0x80 0x80 0xAF, an overlong encoding'],
    ['a lone continuation byte', [0x80], 'invalid UTF-8 at byte 3: 0x80, a continuation byte without a lead byte'],
    ['a surrogate encoded in UTF-8', [0xed, 0xa0, 0x80], 'invalid UTF-8 at byte 3: 0xED 0xA0 0x80, a UTF-16 surrogate (U+D800 to U+DFFF) encoded in UTF-8'],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 'invalid UTF-8 at byte 3: 0xF4 0x90 0x80 0x80, a code point above U+10FFFF'],
    ['0xFF', [0xff], 'invalid UTF-8 at byte 3: 0xFF, a byte that never occurs in UTF-8'],
    ['a sequence cut short', [0xe2, 0x82, 0x41], 'invalid UTF-8 at byte 3: 0xE2 0x82, a 3-byte sequence cut short'],
    ['a sequence cut short by the end', [0xf0, 0x9f, 0x98], 'invalid UTF-8 at byte 3: 0xF0 0x9F 0x98, a 4-byte sequence cut short by the end of the line'],
  ])('names %s with its offset', (_name, bad, reason) => {
    const buf = bytes('ab-', bad);
    expect(describeUtf8Problem(firstInvalidUtf8(buf)!)).toBe(reason);
  });

  it('accepts what is UTF-8: every width, the highest code point, a BOM', () => {
    expect(firstInvalidUtf8(Buffer.from('a é € 😀 \u{10ffff} \ud7ff \ue000'))).toBeNull();
    expect(firstInvalidUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBeNull();
  });

  it('escapes each invalid byte as \\xNN and keeps the rest', () => {
    expect(escapeInvalidUtf8(bytes('SEC-F2-', [0xc0, 0xaf], '(é', [0xed, 0xa0, 0x80], ')', [0xe2, 0x82]))).toEqual({
      text: 'SEC-F2-\\xC0\\xAF(é\\xED\\xA0\\x80)\\xE2\\x82', invalidBytes: 7,
    });
    expect(escapeInvalidUtf8(Buffer.from('plain é'))).toEqual({ text: 'plain é', invalidBytes: 0 });
  });

  it('moves a cut back before a character it would split', () => {
    const euro = Buffer.from('ab€'); // 61 62 E2 82 AC
    expect([1, 2, 3, 4, 5].map((end) => cutAtCharBoundary(euro, end))).toEqual([1, 2, 2, 2, 5]);
    const emoji = Buffer.from('a😀'); // 61 F0 9F 98 80
    expect([2, 3, 4, 5].map((end) => cutAtCharBoundary(emoji, end))).toEqual([1, 1, 1, 5]);
  });
});

describe('the line reader and invalid UTF-8', () => {
  const data = bytes(
    '{"a":"ok é"}\n',
    '{"b":"', [0xc0, 0xaf], '"}\r\n',
    '{"c":"', [0x80], 'x"}\n',
    '{"d":"€😀"}\n',
    '{"e":"', [0xed, 0xa0, 0x80], '"}\n',
    '{"f":"', [0xe2, 0x82], '\n',
    '{"g":"last"}',
  );

  it('returns lines that are not UTF-8 with the first bad byte and the bytes escaped, at any chunk size', async () => {
    for (const size of [1, 2, 3, 5, 7, 1000]) {
      const lines = await collect(readLines(chunked(data, size), { gzip: 'auto', maxLineBytes: 1000 }));
      expect(lines).toEqual([
        { lineNumber: 1, text: '{"a":"ok é"}' },
        { lineNumber: 2, invalidUtf8: { offset: 6, bytes: [0xc0, 0xaf], kind: 'an overlong encoding' }, invalidBytes: 2, raw: '{"b":"\\xC0\\xAF"}' },
        { lineNumber: 3, invalidUtf8: { offset: 6, bytes: [0x80], kind: 'a continuation byte without a lead byte' }, invalidBytes: 1, raw: '{"c":"\\x80x"}' },
        { lineNumber: 4, text: '{"d":"€😀"}' },
        { lineNumber: 5, invalidUtf8: expect.objectContaining({ offset: 6, bytes: [0xed, 0xa0, 0x80] }), invalidBytes: 3, raw: '{"e":"\\xED\\xA0\\x80"}' },
        { lineNumber: 6, invalidUtf8: { offset: 6, bytes: [0xe2, 0x82], kind: 'a 3-byte sequence cut short by the end of the line' }, invalidBytes: 2, raw: '{"f":"\\xE2\\x82' },
        { lineNumber: 7, text: '{"g":"last"}' },
      ]);
    }
  });

  it('strips a UTF-8 BOM at the start of the file, split across chunks or gzipped, and only there', async () => {
    const withBom = bytes([0xef, 0xbb, 0xbf], '{"a":1}\n', [0xef, 0xbb, 0xbf], '{"b":2}\n');
    for (const source of [withBom, gzipSync(withBom)]) {
      for (const size of [1, 2, 4, 100]) {
        expect(await collect(readLines(chunked(source, size), { gzip: 'auto', maxLineBytes: 100 }))).toEqual([
          { lineNumber: 1, text: '{"a":1}' },
          { lineNumber: 2, text: '\ufeff{"b":2}' }, // a BOM inside the file is not one: the line then is not JSON
        ]);
      }
    }
    // With invalid bytes later on the line: the BOM is gone from raw, and the offset counts it, as in the file.
    const lines = await collect(readLines(chunked(bytes([0xef, 0xbb, 0xbf], '{"a":"', [0xff], '"}\n'), 2), { gzip: 'auto', maxLineBytes: 100 }));
    expect(lines).toEqual([{ lineNumber: 1, invalidUtf8: expect.objectContaining({ offset: 9 }), invalidBytes: 1, raw: '{"a":"\\xFF"}' }]);
  });

  it('keeps the head of a too-long line with its invalid bytes escaped, cut on a character boundary', async () => {
    const long = bytes([0xff], 'é'.repeat(600), '\n'); // 1 + 1200 bytes: the 1024-byte cut falls inside an é
    const [line] = await collect(readLines(chunked(long, 64), { gzip: false, maxLineBytes: 1024 }));
    expect(line).toEqual({ lineNumber: 1, tooLong: true, bytes: 1201, head: `\\xFF${'é'.repeat(511)}` });
  });
});

describe('readWholeJson and invalid UTF-8', () => {
  it('fails a document that is not UTF-8, naming the byte and line', async () => {
    const doc = bytes('[{"EntityTypeId": "Item",\n "Attributes": [{"AttributeId": "', [0xc3, 0x28], '"}]}]');
    expect(doc.indexOf(0xc3)).toBe(59);
    await expect(readWholeJson(chunked(doc, 5), { gzip: 'auto', maxNestingDepth: 64 }))
      .rejects.toThrow('utf8: invalid UTF-8 at byte 59: 0xC3, a 2-byte sequence cut short (line 2); the file must be UTF-8');
  });
});
