import { parseJsonText } from '../../src/export/job/cursor-batches';

describe('parseJsonText', () => {
  it('reads every JSON text as JSON.parse does, escapes and non-ASCII included', () => {
    const texts = ['""', '"plain"', '"with \\"quotes\\""', '"back\\\\slash"', '"tab\\tand\\nline"', '"\\u00e9t\\u00e9"', '"Ünïcödé 🚀"',
      '"{\\"looks\\": \\"like json\\"}"', '42', '-0.5', 'true', 'null', '{"en": "a", "fr-CA": "b"}', '{"key": "EA", "value": null}', '["x", 1]'];
    for (const t of texts) expect(parseJsonText(t)).toEqual(JSON.parse(t));
  });

  it('refuses what is not JSON', () => {
    expect(() => parseJsonText('{oops')).toThrow(SyntaxError);
  });
});
