import { TRANSFORMATIONS, compileTransformation, formatDate, toFixedDecimal, transformationProblem } from '../../src/export/template/transformations';
import { renderDefault } from '../../src/export/template/value-render';

/** Each transformation of the closed set, its edge cases, and refusal of anything else. */
const ctx = { defaultLocale: 'en' };
const apply = (rule: string, value: unknown, c = ctx) => renderDefault(compileTransformation(rule)!(value, c), c);

const LOCALES = { en: 'Supplies', es: 'Suministros', 'fr-CA': 'Fournitures', fr: 'Fournitures (FR)' };
const CVL = { key: 'EA', value: 'Each' };
const MULTI = { keys: ['US', 'MX'], values: ['United States', 'Mexico'] };

describe('value transformations', () => {
  it('locale(x): exact locale, case-insensitive, then language, then the BU default, then en', () => {
    expect(apply('locale(fr-CA)', LOCALES)).toBe('Fournitures');
    expect(apply('locale(FR-ca)', LOCALES)).toBe('Fournitures');
    expect(apply('locale(fr-BE)', LOCALES)).toBe('Fournitures (FR)');
    expect(apply('locale(de)', LOCALES)).toBe('Supplies');
    expect(apply('locale(de)', { es: 'Hola', en: 'Hello' }, { defaultLocale: 'es' })).toBe('Hola');
    expect(apply('locale(de)', { es: 'Hola' })).toBe('');
    expect(apply('locale(es)', { es: '', en: 'Hello' })).toBe('Hello');
    expect(apply('locale(es)', 'plain text')).toBe('plain text');
    expect(transformationProblem('locale(not a locale)')).toMatch(/transformation/);
    expect(transformationProblem('locale(12)')).toMatch(/not a locale code/);
  });

  it('cvl_key / cvl_value on single and multi-value CVLs', () => {
    expect(apply('cvl_key', CVL)).toBe('EA');
    expect(apply('cvl_value', CVL)).toBe('Each');
    expect(apply('cvl_key', MULTI)).toBe('US|MX');
    expect(apply('cvl_value', MULTI)).toBe('United States|Mexico');
    expect(apply('cvl_value', { key: 'EA' })).toBe('');
    expect(apply('cvl_value', 'not a cvl')).toBe('not a cvl');
  });

  it('join(sep) on lists and multi-value CVLs, chained after cvl_value', () => {
    expect(apply('join(", ")', MULTI)).toBe('US, MX');
    expect(apply('cvl_value | join(" / ")', MULTI)).toBe('United States / Mexico');
    expect(apply('join(";")', [1, true, 'x', null])).toBe('1;1;x;');
    expect(apply("join('\\t')", ['a', 'b'])).toBe('a\tb');
    expect(apply('join(",")', 'scalar')).toBe('scalar');
  });

  it('booleans as Y/N, 1/0 or any pair', () => {
    expect(apply('bool_yn', true)).toBe('Y');
    expect(apply('bool_yn', false)).toBe('N');
    expect(apply('bool_10', false)).toBe('0');
    expect(apply('bool("Yes", "No")', true)).toBe('Yes');
    expect(apply('bool_yn', 'TRUE')).toBe('Y');
    expect(apply('bool_yn', null)).toBe('');
    expect(apply('bool_yn', 'maybe')).toBe('maybe');
  });

  it('decimals(n): fixed decimals, half away from zero, numeric text too', () => {
    expect(apply('decimals(2)', 0.9)).toBe('0.90');
    expect(apply('decimals(2)', 1.005)).toBe('1.01');
    expect(apply('decimals(0)', 2.5)).toBe('3');
    expect(apply('decimals(1)', -2.25)).toBe('-2.3');
    expect(apply('decimals(3)', '12')).toBe('12.000');
    expect(apply('decimals(2)', 'n/a')).toBe('n/a');
    expect(apply('decimals(2)', null)).toBe('');
    expect(toFixedDecimal(-0.001, 2)).toBe('0.00');
    expect(toFixedDecimal(1e-7, 2)).toBe('0.00');
    expect(transformationProblem('decimals(11)')).toMatch(/0 to 10/);
    expect(transformationProblem('decimals(-1)')).toMatch(/whole number/);
  });

  it('upper, lower, trim work on the rendered text (non-ASCII included)', () => {
    expect(apply('upper', 'déshydrateur ß')).toBe('DÉSHYDRATEUR SS');
    expect(apply('lower', 'ÉLÉMENT')).toBe('élément');
    expect(apply('trim', '  padded \n')).toBe('padded');
    expect(apply('upper', CVL)).toBe('EA');
    expect(apply('trim | upper', { en: ' hello ' })).toBe('HELLO');
  });

  it('date(format) in UTC for timestamps and ISO text; other values pass', () => {
    const d = new Date('2026-04-15T22:21:59.450Z');
    expect(apply('date("YYYY-MM-DD HH:mm:ss")', d)).toBe('2026-04-15 22:21:59');
    expect(apply('date("DD/MM/YYYY")', '2026-04-15T23:30:00-02:00')).toBe('16/04/2026');
    expect(apply('date(YYYYMMDD)', '2026-04-15')).toBe('20260415');
    expect(formatDate(d, 'HH:mm:ss.SSS')).toBe('22:21:59.450');
    expect(apply('date("YYYY")', 'yesterday')).toBe('yesterday');
    expect(transformationProblem('date("no tokens")')).toMatch(/none of the tokens/);
  });

  it('refuses unknown names, wrong arity and bad syntax, naming the known set', () => {
    expect(transformationProblem('shout')).toMatch(/unknown transformation "shout"; known: locale\(fr-CA\), cvl_key/);
    expect(transformationProblem('upper(1)')).toMatch(/upper: expected the form upper/);
    expect(transformationProblem('join')).toMatch(/join: expected the form join/);
    expect(transformationProblem('join(",")|')).toMatch(/expected a name/);
    expect(transformationProblem('join(",)')).toMatch(/unterminated string/);
    expect(transformationProblem('constructor')).toMatch(/unknown transformation/);
    expect(transformationProblem(null)).toBeNull();
    expect(transformationProblem('  ')).toBeNull();
    expect(Object.keys(TRANSFORMATIONS).sort()).toEqual(['bool', 'bool_10', 'bool_yn', 'cvl_key', 'cvl_value', 'date', 'decimals', 'join',
      'locale', 'lower', 'trim', 'upper']);
  });
});

describe('default rendering (no transformation)', () => {
  const r = (v: unknown, defaultLocale = 'en') => renderDefault(v, { defaultLocale });
  it('renders each inRiver value shape as documented', () => {
    expect(r(null)).toBe('');
    expect(r(undefined)).toBe('');
    expect(r('text')).toBe('text');
    expect(r(42)).toBe('42');
    expect(r(0.85)).toBe('0.85');
    expect(r(true)).toBe('1');
    expect(r(false)).toBe('0');
    expect(r(LOCALES)).toBe('Supplies');
    expect(r(LOCALES, 'fr-CA')).toBe('Fournitures');
    expect(r({ 'fr-CA': 'Nom' }, 'fr')).toBe('Nom');
    expect(r(CVL)).toBe('EA');
    expect(r(MULTI)).toBe('US|MX');
    expect(r(['a', 2, false])).toBe('a|2|0');
    expect(r(new Date('2026-04-15T10:00:00Z'))).toBe('2026-04-15T10:00:00.000Z');
    expect(r({ width: 3, unit: 'mm' })).toBe('{"width":3,"unit":"mm"}');
    expect(r(Number.NaN)).toBe('');
  });
});
