import { LOCALE_CODE } from '../settings/settings-names';
import { ExpressionArg, ExpressionCall, ExpressionSyntaxError, parsePipeline } from './expression-parser';
import { RenderContext, isCvl, isLocaleString, isMultiCvl, pickLocale, renderDefault } from './value-render';

// The closed set of value transformations a column (`transformation`) or a field mapping
// (`transformation_rule`) may name. Steps chain with "|", left to right; the result is then
// rendered with the default rules (value-render.ts). A step given a value it does not apply to
// passes it on unchanged (e.g. `decimals(2)` on a text), so one rule fits sparse data.
// Validated when the configuration is saved: an unknown name or a bad argument is refused then.

export type Transform = (value: unknown, ctx: RenderContext) => unknown;

export class TransformationError extends Error {}

interface StepSpec {
  /** e.g. `decimals(n)`: what docs/csv-export.md and error messages show. */
  usage: string;
  doc: string;
  build(args: string[]): Transform;
  arity: number | [number, number];
}

const DATE_TOKENS = /YYYY|SSS|MM|DD|HH|mm|ss/g;
const HAS_DATE_TOKEN = /YYYY|SSS|MM|DD|HH|mm|ss/;

function asBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  return undefined;
}

/** Rounds half away from zero on the decimal digits as written (1.005 → "1.01", not 1.00). */
export function toFixedDecimal(n: number, digits: number): string {
  if (!Number.isFinite(n)) return '';
  const text = String(Math.abs(n));
  if (text.includes('e')) return n.toFixed(digits);
  const rounded = Number(`${Math.round(Number(`${text}e${digits}`))}e-${digits}`);
  const out = rounded.toFixed(digits);
  return n < 0 && Number(out) !== 0 ? `-${out}` : out;
}

export function formatDate(d: Date, format: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const parts: Record<string, string> = {
    YYYY: pad(d.getUTCFullYear(), 4), MM: pad(d.getUTCMonth() + 1), DD: pad(d.getUTCDate()),
    HH: pad(d.getUTCHours()), mm: pad(d.getUTCMinutes()), ss: pad(d.getUTCSeconds()), SSS: pad(d.getUTCMilliseconds(), 3),
  };
  return format.replace(DATE_TOKENS, (t) => parts[t]);
}

function asDate(v: unknown): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

const boolStep = (yes: string, no: string): Transform => (v) => {
  const b = asBoolean(v);
  return b === undefined ? v : b ? yes : no;
};
const textStep = (fn: (s: string) => string): Transform => (v, ctx) => fn(renderDefault(v, ctx));

export const TRANSFORMATIONS: Record<string, StepSpec> = {
  locale: {
    usage: 'locale(fr-CA)', arity: 1,
    doc: 'LocaleString → the text in that locale, falling back to its language (fr-CA → fr), the BU default locale, then en.',
    build: ([locale]) => {
      if (!LOCALE_CODE.test(locale)) throw new TransformationError(`locale(): "${locale}" is not a locale code such as en, fr or fr-CA`);
      return (v, ctx) => (isLocaleString(v) ? pickLocale(v, locale, ctx.defaultLocale) : v);
    },
  },
  cvl_key: {
    usage: 'cvl_key', arity: 0, doc: 'CVL → its key; multi-value CVL → the list of keys.',
    build: () => (v) => (isMultiCvl(v) ? v.keys : isCvl(v) ? v.key : v),
  },
  cvl_value: {
    usage: 'cvl_value', arity: 0, doc: 'CVL → its display value; multi-value CVL → the list of display values.',
    build: () => (v) => (isMultiCvl(v) ? (Array.isArray(v.values) ? v.values : []) : isCvl(v) ? (v.value ?? null) : v),
  },
  join: {
    usage: 'join(", ")', arity: 1, doc: 'A list (or multi-value CVL keys) → its items joined with the separator.',
    build: ([sep]) => (v, ctx) => {
      const list = Array.isArray(v) ? v : isMultiCvl(v) ? v.keys : undefined;
      return list ? list.map((x) => renderDefault(x, ctx)).join(sep) : v;
    },
  },
  bool_yn: { usage: 'bool_yn', arity: 0, doc: 'Boolean → Y / N.', build: () => boolStep('Y', 'N') },
  bool_10: { usage: 'bool_10', arity: 0, doc: 'Boolean → 1 / 0 (the default rendering, spelled out).', build: () => boolStep('1', '0') },
  bool: { usage: 'bool("Yes", "No")', arity: 2, doc: 'Boolean → the first text for true, the second for false.', build: ([y, n]) => boolStep(y, n) },
  decimals: {
    usage: 'decimals(2)', arity: 1, doc: 'Number (or numeric text) → fixed decimals, rounded half away from zero.',
    build: ([digits]) => {
      if (!/^\d+$/.test(digits) || Number(digits) > 10) throw new TransformationError(`decimals(): "${digits}" is not a whole number from 0 to 10`);
      const n = Number(digits);
      return (v) => {
        if (typeof v === 'number') return toFixedDecimal(v, n);
        if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return toFixedDecimal(Number(v), n);
        return v;
      };
    },
  },
  upper: { usage: 'upper', arity: 0, doc: 'Text → upper case.', build: () => textStep((s) => s.toUpperCase()) },
  lower: { usage: 'lower', arity: 0, doc: 'Text → lower case.', build: () => textStep((s) => s.toLowerCase()) },
  trim: { usage: 'trim', arity: 0, doc: 'Text → without leading and trailing white space.', build: () => textStep((s) => s.trim()) },
  date: {
    usage: 'date("YYYY-MM-DD HH:mm:ss")', arity: 1,
    doc: 'Timestamp or ISO date text → formatted in UTC; tokens YYYY MM DD HH mm ss SSS, anything else is kept.',
    build: ([format]) => {
      if (!HAS_DATE_TOKEN.test(format)) throw new TransformationError(`date(): "${format}" has none of the tokens YYYY MM DD HH mm ss SSS`);
      return (v) => {
        const d = asDate(v);
        return d ? formatDate(d, format) : v;
      };
    },
  },
};

function arityOk(spec: StepSpec, n: number): boolean {
  const [min, max] = typeof spec.arity === 'number' ? [spec.arity, spec.arity] : spec.arity;
  return n >= min && n <= max;
}

function buildStep(call: ExpressionCall): Transform {
  const spec = Object.prototype.hasOwnProperty.call(TRANSFORMATIONS, call.name) ? TRANSFORMATIONS[call.name] : undefined;
  if (!spec) {
    throw new TransformationError(`unknown transformation "${call.name}"; known: ${Object.values(TRANSFORMATIONS).map((s) => s.usage).join(', ')}`);
  }
  if (!arityOk(spec, call.args.length)) throw new TransformationError(`${call.name}: expected the form ${spec.usage}`);
  return spec.build(call.args.map((a: ExpressionArg) => a.value));
}

/** Compiles a transformation text into one function; null/blank → identity. Throws TransformationError. */
export function compileTransformation(text: string | null | undefined): Transform | null {
  if (text === null || text === undefined || text.trim() === '') return null;
  let calls: ExpressionCall[];
  try {
    calls = parsePipeline(text);
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) throw new TransformationError(`transformation ${err.message}`);
    throw err;
  }
  const steps = calls.map(buildStep);
  return steps.length === 1 ? steps[0] : (value, ctx) => steps.reduce((v, step) => step(v, ctx), value);
}

/** The error text of a transformation, or null when it is valid. */
export function transformationProblem(text: string | null | undefined): string | null {
  try {
    compileTransformation(text);
    return null;
  } catch (err) {
    if (err instanceof TransformationError) return err.message;
    throw err;
  }
}
