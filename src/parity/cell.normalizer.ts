import { badInput } from '../errors/domain-error';

/**
 * What "equal" means for one column, chosen by the person comparing and recorded with the run, so
 * a reported parity always says which differences it chose to ignore. Both files' cells go through
 * the same steps, in the order given, before they are compared; examples still show the raw cells.
 *
 *   trim       leading and trailing white space is ignored
 *   case       letter case is ignored
 *   numeric    cells that are decimal numbers compare as numbers: 1.50 = 1.5 = 01.5, 1e3 = 1000
 *   empty      an empty cell equals a missing one (a row shorter than the header)
 *   date(F|G)  cells that read as a date in format F (or G, …) compare as that instant; tokens
 *              YYYY MM DD HH mm ss SSS as in the export's date() transformation, anything else literal
 */
export type NormalizeStep = 'trim' | 'case' | 'numeric' | 'empty' | { date: string[] };

/** Per column name (`*`: every column that has no entry of its own). */
export type NormalizeSpec = Record<string, NormalizeStep[]>;

/** A missing cell (a short row) is null; an empty one is ''. */
export type Cell = string | null;
export type CellNormalizer = (cell: Cell) => Cell;

const STEP = /^\s*(trim|case|numeric|empty|date)\s*(?:\((.*)\))?\s*$/s;
const DATE_TOKEN = /YYYY|SSS|MM|DD|HH|mm|ss/g;

/** `trim,case` or `numeric` or `date(MM/DD/YYYY|YYYY-MM-DD HH:mm:ss)`: commas inside parentheses belong to the step. */
export function parseSteps(text: string): NormalizeStep[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.filter((p) => p.trim() !== '').map((p) => {
    const m = STEP.exec(p);
    if (!m) throw badInput(`unknown normalization "${p.trim()}": use trim, case, numeric, empty or date(FORMAT|FORMAT…)`);
    if (m[1] !== 'date') {
      if (m[2] !== undefined) throw badInput(`normalization ${m[1]} takes no argument`);
      return m[1] as NormalizeStep;
    }
    const formats = (m[2] ?? '').split('|').map((f) => f.trim()).filter(Boolean);
    if (!formats.length) throw badInput('date() needs at least one format, e.g. date(MM/DD/YYYY|YYYY-MM-DD HH:mm:ss)');
    for (const f of formats) if (!/YYYY/.test(f)) throw badInput(`date format "${f}" has no YYYY`);
    return { date: formats };
  });
}

/** `column=steps` as the CLI takes it (the column name may not contain '='). */
export function parseNormalizeOption(option: string): [string, NormalizeStep[]] {
  const eq = option.indexOf('=');
  if (eq <= 0) throw badInput(`--normalize "${option}": expected COLUMN=STEPS, e.g. price=numeric or *=trim`);
  return [option.slice(0, eq).trim(), parseSteps(option.slice(eq + 1))];
}

export function stepName(step: NormalizeStep): string {
  return typeof step === 'string' ? step : `date(${step.date.join('|')})`;
}

/**
 * The canonical text of a decimal number, exact for any number of digits (no binary floating point:
 * 0.1 + 0.2 style surprises would invent differences). Null when the cell is not a plain number.
 */
export function canonicalNumber(text: string): string | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  let digits = `${m[2]}${m[3] ?? ''}`;
  let point = m[2].length + Number(m[4] ?? 0);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  if (digits === '') return '0';
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return m[1] === '-' ? `-${out}` : out;
}

/** A matcher for one date format: the instant as ISO text, or null when the cell is not in that format. */
function dateParser(format: string): (text: string) => string | null {
  const order: string[] = [];
  let pattern = '';
  let last = 0;
  for (const m of format.matchAll(DATE_TOKEN)) {
    pattern += format.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    pattern += m[0] === 'YYYY' ? '(\\d{4})' : m[0] === 'SSS' ? '(\\d{1,3})' : '(\\d{1,2})';
    order.push(m[0]);
    last = m.index! + m[0].length;
  }
  pattern += format.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${pattern}$`);
  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return null;
    const v: Record<string, number> = { YYYY: 0, MM: 1, DD: 1, HH: 0, mm: 0, ss: 0, SSS: 0 };
    order.forEach((t, i) => { v[t] = Number(t === 'SSS' ? m[i + 1].padEnd(3, '0') : m[i + 1]); });
    const d = new Date(Date.UTC(v.YYYY, v.MM - 1, v.DD, v.HH, v.mm, v.ss, v.SSS));
    // 02/30 would roll over into March: a cell that is not a real date stays as written.
    if (d.getUTCMonth() !== v.MM - 1 || d.getUTCDate() !== v.DD || v.HH > 23 || v.mm > 59 || v.ss > 59) return null;
    return d.toISOString();
  };
}

function stepFn(step: NormalizeStep): CellNormalizer {
  if (typeof step !== 'string') {
    const parsers = step.date.map(dateParser);
    return (c) => {
      if (c === null) return c;
      for (const p of parsers) {
        const iso = p(c);
        if (iso !== null) return iso;
      }
      return c;
    };
  }
  switch (step) {
    case 'trim': return (c) => (c === null ? c : c.trim());
    case 'case': return (c) => (c === null ? c : c.toLowerCase());
    case 'numeric': return (c) => (c === null ? c : canonicalNumber(c) ?? c);
    case 'empty': return (c) => (c === null ? '' : c);
  }
}

/** The steps composed, or null when there are none (the raw cell is compared). */
export function compileNormalizer(steps: readonly NormalizeStep[] | undefined): CellNormalizer | null {
  if (!steps?.length) return null;
  const fns = steps.map(stepFn);
  return (cell) => fns.reduce<Cell>((c, fn) => fn(c), cell);
}

/** The steps of one column: its own entry, else the `*` entry. */
export function stepsFor(spec: NormalizeSpec, column: string): NormalizeStep[] {
  return spec[column] ?? spec['*'] ?? [];
}
