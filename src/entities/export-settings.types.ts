// The export settings as stored (csv_templates, csv_template_config, field_mapping): plain data
// that the entities, the settings checks, the template compiler and the API all share.

export type Quoting = 'minimal' | 'all';
export type LineEnding = 'LF' | 'CRLF';
export type CsvEncoding = 'UTF-8' | 'UTF-8-BOM';
/** `quote`: a data cell a spreadsheet would take for a formula gets a leading `'` (export/job/csv-file-writer.ts). */
export type FormulaEscape = 'none' | 'quote';

/** A template as configured (csv_templates + its csv_template_config rows), plain data. */
export interface TemplateConfig {
  name: string;
  rowSource: string;
  delimiter: string;
  enabled: boolean;
  header: boolean;
  quoting: Quoting;
  lineEnding: LineEnding;
  encoding: CsvEncoding;
  formulaEscape: FormulaEscape;
  version: number;
  notes: string | null;
  columns: ColumnConfig[];
}

export interface ColumnConfig {
  columnName: string;
  sourceType: string;
  sourceValue: string | null;
  defaultValue: string | null;
  transformation: string | null;
  required: boolean;
  notes: string | null;
}

export interface MappingConfig {
  id: string;
  inriverEntity: string;
  inriverField: string;
  heilerCsv: string;
  heilerColumn: string;
  transformationRule: string | null;
  active: boolean;
  notes: string | null;
}

// What the API and the configuration file send, before normalizeTemplate & co. apply defaults.

export interface ColumnInput {
  columnName: string;
  sourceType: string;
  sourceValue?: string | null;
  defaultValue?: string | null;
  transformation?: string | null;
  required?: boolean | null;
  notes?: string | null;
}

export interface TemplateInput {
  name: string;
  rowSource: string;
  delimiter?: string | null;
  enabled?: boolean | null;
  header?: boolean | null;
  quoting?: Quoting | null;
  lineEnding?: LineEnding | null;
  encoding?: CsvEncoding | null;
  formulaEscape?: FormulaEscape | null;
  notes?: string | null;
  columns: ColumnInput[];
}

export interface MappingInput {
  id?: string | null;
  inriverEntity: string;
  inriverField: string;
  heilerCsv: string;
  heilerColumn: string;
  transformationRule?: string | null;
  active?: boolean | null;
  notes?: string | null;
}

export interface DecoratorInput {
  id?: string | null;
  entityType: string;
  entityId: string;
  decoratorType: string;
  decoratorValue?: string | null;
  source?: string | null;
  notes?: string | null;
  createdAt?: Date | null;
}
