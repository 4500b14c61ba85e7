import fs from 'node:fs';
import path from 'node:path';
import { parseEntityLine, parseEntityValue } from '../../src/loaders/parse/entity-line';
import { deeperThan, hasNulEscape, utf8BytesOver } from '../../src/loaders/parse/json-limits';

/** A JSON text of exactly `depth` nested levels, the innermost an array holding 1. */
const nested = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);

/** Deepest nesting of a parsed value, without recursion. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, d + 1);
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

describe('deeperThan (the nesting-depth scan of a raw line)', () => {
  it('finds the bracket that opens one level too many, and nothing at the limit', () => {
    expect(deeperThan(nested(64), 64)).toBe(-1);
    expect(deeperThan(nested(65), 64)).toBe(64);
    expect(deeperThan('{"a":{"b":[1,{"c":2}]}}', 4)).toBe(-1);
    expect(deeperThan('{"a":{"b":[1,{"c":2}]}}', 3)).toBe(13);
    expect(deeperThan('{"a":{"b":[1,{"c":2}]}}', 2)).toBe(10);
    expect(deeperThan('[[],[],[[]]]', 2)).toBe(8);
    // Depth is not the number of brackets: siblings do not add up.
    expect(deeperThan(`[${Array.from({ length: 500 }, () => '[1]').join(',')}]`, 2)).toBe(-1);
  });

  it('does not count brackets inside strings, escaped quotes and backslashes included', () => {
    const inStrings = JSON.stringify({ a: '[[[[{{{{', b: 'quote " then [[[[', c: 'backslash \\', d: '\\" [[[[', e: '\\\\"[[[' });
    expect(JSON.parse(inStrings)).toBeTruthy();
    expect(deeperThan(inStrings, 1)).toBe(-1);
    const key = JSON.stringify({ '[[[[': 1, '\\': [[1]] });
    expect(deeperThan(key, 3)).toBe(-1);
    expect(deeperThan(key, 2)).toBeGreaterThan(0);
  });

  it('agrees with the parsed value on the repository\'s sample lines (inRiver nests about 7 levels)', () => {
    const dir = path.join(__dirname, '..', '..', 'samples', 'bucket', 'BAK');
    const files = ['CHANNEL/ChannelStructure_001.jsonl', 'PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl',
      'PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl'];
    let deepest = 0;
    for (const file of files) {
      for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter((l) => l.trim())) {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          continue; // the samples carry a few bad lines on purpose
        }
        const depth = depthOf(value);
        deepest = Math.max(deepest, depth);
        expect(deeperThan(line, depth)).toBe(-1);
        expect(deeperThan(line, depth - 1)).toBeGreaterThanOrEqual(0);
      }
    }
    expect(deepest).toBeLessThanOrEqual(8);
  });
});

describe('a deeply nested line is a bad line, never an exception', () => {
  const line = (valueDepth: number) =>
    `{"EntityId": 1, "EntityTypeId": "Product", "Attributes": {"ProductId": "P1", "Deep": ${nested(valueDepth)}}}`;

  it('refuses a line over the limit with the reason, and takes one exactly at it', () => {
    // The line object and Attributes are two levels.
    expect(parseEntityLine(line(62), 64)).toMatchObject({ ok: true, line: { entityId: '1' } });
    expect(parseEntityLine(line(63), 64)).toEqual({ ok: false, reason: 'nested deeper than 64 levels (LOAD_MAX_NESTING_DEPTH)' });
    expect(parseEntityLine(line(7998), 64)).toEqual({ ok: false, reason: 'nested deeper than 64 levels (LOAD_MAX_NESTING_DEPTH)' });
  });

  it('answers with a reason when hashing a value runs out of stack (nothing checked its depth first)', () => {
    const value = JSON.parse(line(200_000));
    expect(parseEntityValue(value)).toEqual({ ok: false, reason: expect.stringMatching(/^nested too deeply to process/) });
  });
});

describe('texts PostgreSQL indexes', () => {
  it('refuses a ProductId or a link text over 1024 bytes of UTF-8, and takes one at 1024', () => {
    const product = (productId: string, linkType = 'ChannelNodeProduct') => JSON.stringify({
      EntityId: 1, EntityTypeId: 'Product', Attributes: { ProductId: productId },
      InboundLinks: [{ LinkTypeId: linkType, SourceEntityTypeId: 'ChannelNode', SourceEntityId: 5 }],
    });
    expect(parseEntityLine(product('P'.repeat(1024)), 64).ok).toBe(true);
    expect(parseEntityLine(product('é'.repeat(512)), 64).ok).toBe(true);
    expect(parseEntityLine(product('é'.repeat(513)), 64)).toEqual({
      ok: false, reason: 'Attributes.ProductId is 1026 bytes; PostgreSQL indexes it, so at most 1024 bytes are accepted',
    });
    expect(parseEntityLine(product('P1', 'L'.repeat(3000)), 64)).toEqual({
      ok: false, reason: 'InboundLinks[0].LinkTypeId is 3000 bytes; PostgreSQL indexes it, so at most 1024 bytes are accepted',
    });
    // Only a product's ProductId has a column of its own.
    expect(parseEntityLine(JSON.stringify({ EntityId: 2, EntityTypeId: 'ChannelNode', Attributes: { ProductId: 'x'.repeat(5000) } }), 64).ok).toBe(true);
    expect(utf8BytesOver('short', 1024)).toBeNull();
  });
});

describe('hasNulEscape', () => {
  it('finds a \\u0000 escape, and not the text u0000 after an escaped backslash', () => {
    // As JSON text: an odd run of backslashes before "u0000" ends in an escape, an even one is escaped backslashes.
    const cases: [string, boolean][] = [
      ['"\\u0000"', true], ['\\u0000', true], ['"a\\u0000b"', true], ['{"k\\u0000": 1}', true],
      ['"\\\\u0000"', false], ['"\\\\\\u0000"', true], ['"\\\\\\\\u0000"', false], ['"\\\\\\\\\\u0000"', true],
      ['"u0000"', false], ['"\\u00000"', true], ['"\\u0001"', false], ['"\\\\" "\\u0000"', true],
    ];
    for (const [text, nul] of cases) expect({ text, nul: hasNulEscape(text) }).toEqual({ text, nul });
    // What JSON.stringify writes for a NUL, and for a backslash followed by u0000.
    expect(hasNulEscape(JSON.stringify({ a: 'x\u0000' }))).toBe(true);
    expect(hasNulEscape(JSON.stringify({ a: 'x\\u0000' }))).toBe(false);
  });
});
