import { badInput } from '../errors/domain-error';
import { NormalizeSpec, parseSteps } from './cell.normalizer';
import { DialectHint, delimiterOf, encodingOf } from './csv-dialect.detector';
import type { ExportSide, ParityRequest } from './parity.types';

/** A comparison as the CLI and the API take it: plain text and lists, checked and parsed here once for both. */
export interface ParityRequestText {
  legacy: string;
  exportUri?: string | null;
  exportJobId?: string | null;
  exportFile?: string | null;
  template?: string | null;
  key: string[];
  /** [column, steps] pairs. */
  normalize?: [string, string][] | null;
  ignore?: string[] | null;
  maxExamples?: number | null;
  legacyDelimiter?: string | null;
  legacyEncoding?: string | null;
  legacyQuote?: string | null;
  legacyHeader?: boolean | null;
}

export const DEFAULT_MAX_EXAMPLES = 5;

export function parityRequest(t: ParityRequestText, requestedBy: string): ParityRequest {
  const sides = [t.exportUri, t.exportJobId, t.template].filter((x) => x !== null && x !== undefined && x !== '');
  if (sides.length !== 1) throw badInput('name exactly one export side: an export file, an export job, or a template to render');
  if (t.exportFile && !t.exportJobId) throw badInput('an export file name goes with an export job id');
  const side: ExportSide = t.exportUri ? { kind: 'FILE', uri: t.exportUri }
    : t.exportJobId ? { kind: 'JOB', jobId: t.exportJobId, file: t.exportFile ?? null }
      : { kind: 'TEMPLATE', template: t.template! };
  const normalize: NormalizeSpec = {};
  for (const [column, steps] of t.normalize ?? []) {
    if (column in normalize) throw badInput(`normalization for column ${column} given twice`);
    normalize[column] = parseSteps(steps);
  }
  const legacyDialect: DialectHint = {};
  if (t.legacyDelimiter) legacyDialect.delimiter = delimiterOf(t.legacyDelimiter);
  if (t.legacyEncoding) legacyDialect.encoding = encodingOf(t.legacyEncoding);
  if (t.legacyQuote) {
    if ([...t.legacyQuote].length !== 1) throw badInput('the quote is one character');
    legacyDialect.quote = t.legacyQuote;
  }
  if (t.legacyHeader === false) legacyDialect.header = false;
  return {
    legacy: t.legacy, export: side, requestedBy,
    options: {
      key: t.key.map((k) => k.trim()).filter(Boolean), normalize, ignore: t.ignore ?? [],
      maxExamples: t.maxExamples ?? DEFAULT_MAX_EXAMPLES, legacyDialect, exportDialect: {},
    },
  };
}
