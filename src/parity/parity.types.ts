import type { NormalizeSpec } from './cell.normalizer';
import type { CsvDialect, DialectHint } from './csv-dialect.detector';

/** What a comparison was asked to do; stored with its run as given (normalizations as text). */
export interface CompareOptions {
  /** Column names that identify a row, in both files. */
  key: string[];
  normalize: NormalizeSpec;
  /** Columns left out of the comparison (e.g. a timestamp of the run that wrote the file). */
  ignore: string[];
  /** Examples kept per finding (rows on one side, duplicate keys, differing cells). */
  maxExamples: number;
  legacyDialect: DialectHint;
  exportDialect: DialectHint;
}

export interface FileSide {
  uri: string;
  sha256: string;
  bytes: number;
  rows: number;
  longRows: number;
  shortRows: number;
  columns: string[];
  dialect: CsvDialect;
}

/** A row named by its key (the key columns' normalized cells) and its data line (1 = the first row after the header). */
export interface KeyExample {
  key: (string | null)[];
  row: number;
}

export interface DuplicateKeys {
  /** Keys found more than once. */
  keys: number;
  /** Rows holding those keys. */
  rows: number;
  examples: (KeyExample & { count: number })[];
}

export interface CellExample {
  key: (string | null)[];
  legacy: string | null;
  export: string | null;
}

export interface ColumnResult {
  name: string;
  normalization: string[];
  equal: number;
  different: number;
  /** equal / (equal + different); null when no row was compared. */
  matchRate: number | null;
  examples: CellExample[];
}

export interface ParitySummary {
  identical: boolean;
  key: string[];
  legacy: FileSide;
  export: FileSide;
  /** Keys found once in each file: the rows whose cells were compared. */
  matchedRows: number;
  rowsOnlyInLegacy: { count: number; examples: KeyExample[] };
  rowsOnlyInExport: { count: number; examples: KeyExample[] };
  duplicateKeys: { legacy: DuplicateKeys; export: DuplicateKeys };
  columnsOnlyInLegacy: string[];
  columnsOnlyInExport: string[];
  ignoredColumns: string[];
  columns: ColumnResult[];
  /** Cells that differ, over every column. */
  differentCells: number;
  durationMs: number;
}

export type ParityRunStatus = 'RUNNING' | 'IDENTICAL' | 'DIFFERENT' | 'FAILED';
export type ExportSourceKind = 'FILE' | 'JOB' | 'TEMPLATE';

/** The export side of a comparison: a file, a file of a finished export job, or a template rendered for the run. */
export type ExportSide =
  | { kind: 'FILE'; uri: string }
  | { kind: 'JOB'; jobId: string; file?: string | null }
  | { kind: 'TEMPLATE'; template: string };

export interface ParityRequest {
  legacy: string;
  export: ExportSide;
  options: CompareOptions;
  requestedBy: string;
}

export interface ParityRun {
  id: string;
  businessUnit: string;
  status: ParityRunStatus;
  requestedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  legacyUri: string;
  legacySha256: string | null;
  exportSource: ExportSourceKind;
  exportUri: string | null;
  exportSha256: string | null;
  exportJobId: string | null;
  templateName: string | null;
  snapshotEventId: string | null;
  /** As stored: normalizations spelled as text. */
  options: Record<string, unknown>;
  summary: ParitySummary | null;
  error: string | null;
}
