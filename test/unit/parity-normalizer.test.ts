import { DomainError } from '../../src/errors/domain-error';
import { canonicalNumber, compileNormalizer, parseNormalizeOption, parseSteps, stepName } from '../../src/parity/cell.normalizer';
import { detectDialect } from '../../src/parity/csv-dialect.detector';

describe('parity normalizations', () => {
  it('writes decimal numbers one way, exactly, whatever their zeros, sign or exponent', () => {
    const cases: [string, string | null][] = [
      ['1.50', '1.5'], ['1.5', '1.5'], ['01.5', '1.5'], ['+1.5', '1.5'], ['-0.0', '0'], ['0', '0'], ['.25', '0.25'], ['25.', '25'],
      ['1e3', '1000'], ['1.5E-2', '0.015'], ['-12.3400e1', '-123.4'], [' 7 ', '7'],
      ['123456789012345678901234567890.10', '123456789012345678901234567890.1'],
      ['1,5', null], ['abc', null], ['', null], ['.', null], ['1.2.3', null], ['0x10', null],
    ];
    for (const [text, expected] of cases) expect([text, canonicalNumber(text)]).toEqual([text, expected]);
  });

  it('composes the steps in the order given and leaves cells a step does not apply to as they are', () => {
    const n = compileNormalizer(parseSteps('trim,case,numeric'))!;
    expect(n('  ABC ')).toBe('abc');
    expect(n(' 1.50 ')).toBe('1.5');
    expect(n(null)).toBeNull();
    expect(compileNormalizer(parseSteps('empty'))!(null)).toBe('');
    const d = compileNormalizer(parseSteps('date(MM/DD/YYYY HH:mm|YYYY-MM-DD HH:mm:ss.SSS|YYYY-MM-DD)'))!;
    expect(d('04/16/2026 10:05')).toBe('2026-04-16T10:05:00.000Z');
    expect(d('2026-04-16 10:05:00.5')).toBe('2026-04-16T10:05:00.500Z');
    expect(d('2026-04-16')).toBe('2026-04-16T00:00:00.000Z');
    expect(d('02/30/2026 10:05')).toBe('02/30/2026 10:05'); // not a date: compared as written
    expect(compileNormalizer([])).toBeNull();
  });

  it('parses the CLI spelling and refuses what it does not know', () => {
    expect(parseNormalizeOption('updated_at=trim,date(YYYY-MM-DD HH:mm:ss|DD.MM.YYYY)')).toEqual(['updated_at', ['trim', { date: ['YYYY-MM-DD HH:mm:ss', 'DD.MM.YYYY'] }]]);
    expect(parseSteps('trim, case').map(stepName)).toEqual(['trim', 'case']);
    for (const bad of ['upper', 'trim(1)', 'date()', 'date(MM/DD)']) expect(() => parseSteps(bad)).toThrow(DomainError);
    expect(() => parseNormalizeOption('price')).toThrow(/COLUMN=STEPS/);
  });

  it('detects the delimiter that splits every line alike, and the header', () => {
    const head = (s: string) => Buffer.from(s, 'utf8');
    expect(detectDialect(head('a|b|c\n1|2,5|3\n4|5|6\n')).dialect.delimiter).toBe('|');
    expect(detectDialect(head('"a;x",b\n"1;2",3\n')).dialect.delimiter).toBe(',');
    expect(detectDialect(head('a,b\n1,2\n'), { header: false }).columns).toEqual(['1', '2']);
    expect(() => detectDialect(head('a,b,a\n1,2,3\n'))).toThrow(/names a more than once/);
  });
});
