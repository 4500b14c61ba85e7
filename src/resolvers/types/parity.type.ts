import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ParityRun } from '../../parity/parity.types';
import type { ColumnResult, ParitySummary } from '../../parity/parity.types';
import { PageInfo } from './page-info.type';
import { DateTimeScalar, JSONScalar } from './scalars';

export enum ParityRunStatusEnum { RUNNING = 'RUNNING', IDENTICAL = 'IDENTICAL', DIFFERENT = 'DIFFERENT', FAILED = 'FAILED' }
registerEnumType(ParityRunStatusEnum, {
  name: 'ParityRunStatus',
  description: 'Where a comparison of an export with a legacy file stands, and what it found.',
  valuesConfig: {
    RUNNING: { description: 'Comparing (a run left RUNNING by a process that stopped stays so: start another).' },
    IDENTICAL: { description: 'Same rows, keys and cells (after the normalizations asked for); same columns.' },
    DIFFERENT: { description: 'Something differs: see summary.' },
    FAILED: { description: 'The comparison could not be made: see error.' },
  },
});

export enum ParityExportSourceEnum { FILE = 'FILE', JOB = 'JOB', TEMPLATE = 'TEMPLATE' }
registerEnumType(ParityExportSourceEnum, {
  name: 'ParityExportSource',
  description: 'What the export side of a parity run is.',
  valuesConfig: {
    FILE: { description: 'A file given by its URI.' },
    JOB: { description: 'A file of a succeeded export job (exportJobId).' },
    TEMPLATE: { description: 'A template rendered for the run from the current state (nothing queued, nothing kept).' },
  },
});

@InputType('ParityNormalizeInput', { description: 'What "equal" means for one column (or every other column: "*").' })
export class ParityNormalizeInput {
  @Field(() => String, { description: 'Column name, or * for every column without an entry of its own.' }) column!: string;
  @Field(() => String, { description: 'Comma list of trim, case, numeric, empty, date(FORMAT|FORMAT…), applied in that order to both files.' }) steps!: string;
}

@InputType('ParityCompareInput', { description: 'A comparison of an export file with a legacy file. Name exactly one export side: exportUri, exportJobId or template.' })
export class ParityCompareInput {
  @Field(() => String, { description: 'The legacy file: s3://bucket/key, or file:///… inside the local EXPORT_URL folder.' }) legacyUri!: string;
  @Field(() => String, { nullable: true, description: 'An export file: s3://bucket/key, or file:///… inside the local EXPORT_URL folder.' }) exportUri?: string | null;
  @Field(() => ID, { nullable: true, description: 'A succeeded export job whose file is compared.' }) exportJobId?: string | null;
  @Field(() => String, { nullable: true, description: 'With exportJobId: which of its files (needed when it wrote several).' }) exportFile?: string | null;
  @Field(() => String, { nullable: true, description: 'A template to render now and compare.' }) template?: string | null;
  @Field(() => [String], { description: 'Key column(s): the same names in both files.' }) key!: string[];
  @Field(() => [ParityNormalizeInput], { nullable: true, description: 'Normalizations per column; none: cells compare as written.' }) normalize?: ParityNormalizeInput[] | null;
  @Field(() => [String], { nullable: true, description: 'Columns left out of the comparison.' }) ignore?: string[] | null;
  @Field(() => Int, { nullable: true, defaultValue: 5, description: 'Examples kept per finding (0 to 100).' }) maxExamples?: number | null;
  @Field(() => String, { nullable: true, description: 'Legacy delimiter (, ; | tab); detected when left out.' }) legacyDelimiter?: string | null;
  @Field(() => String, { nullable: true, description: 'Legacy encoding (utf-8, utf-16le, utf-16be, windows-1252); detected when left out.' }) legacyEncoding?: string | null;
  @Field(() => String, { nullable: true, description: 'Legacy quote character; " when left out.' }) legacyQuote?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'false: the legacy file has no header (columns are then named 1, 2, …).' }) legacyHeader?: boolean | null;
}

@ObjectType('ParityCellExample', { description: 'A differing cell: the row key and both raw values (null: the row has no such field).' })
export class ParityCellExampleType {
  @Field(() => [String], { nullable: 'items', description: "The key columns' values (after their normalizations)." }) key!: (string | null)[];
  @Field(() => String, { nullable: true, description: 'The legacy cell as written.' }) legacy!: string | null;
  @Field(() => String, { nullable: true, description: 'The export cell as written.' }) export!: string | null;
}

@ObjectType('ParityColumn', { description: 'One column found in both files, over the rows compared (keys found once on each side).' })
export class ParityColumnType {
  @Field(() => String, { description: 'Column name (the same in both files).' }) name!: string;
  @Field(() => [String], { description: 'The normalizations applied, in order.' }) normalization!: string[];
  @Field(() => Int, { description: 'Rows whose cells are equal (after the normalizations).' }) equal!: number;
  @Field(() => Int, { description: 'Rows whose cells differ.' }) different!: number;
  @Field(() => Float, { nullable: true, description: 'equal / rows compared; null when no row was compared.' }) matchRate!: number | null;
  @Field(() => [ParityCellExampleType], { description: 'The first differing cells, in legacy file order.' }) examples!: ParityCellExampleType[];

  static from(c: ColumnResult): ParityColumnType {
    return Object.assign(new ParityColumnType(), c);
  }
}

@ObjectType('ParitySummary', { description: 'What a parity run found. details holds all of it (dialects, examples of rows on one side, duplicate keys) as JSON.' })
export class ParitySummaryType {
  @Field(() => Boolean, { description: 'Nothing differs: rows, keys, columns and cells (after the normalizations asked for).' }) identical!: boolean;
  @Field(() => [String], { description: 'The key column(s).' }) key!: string[];
  @Field(() => Int, { description: 'Data rows of the legacy file.' }) legacyRows!: number;
  @Field(() => Int, { description: 'Data rows of the export file.' }) exportRows!: number;
  @Field(() => Int, { description: 'Rows whose key is found once in each file: those compared cell by cell.' }) matchedRows!: number;
  @Field(() => Int, { description: 'Legacy rows whose key the export lacks.' }) rowsOnlyInLegacy!: number;
  @Field(() => Int, { description: 'Export rows whose key the legacy file lacks.' }) rowsOnlyInExport!: number;
  @Field(() => Int, { description: 'Keys found more than once in the legacy file.' }) duplicateKeysInLegacy!: number;
  @Field(() => Int, { description: 'Keys found more than once in the export file.' }) duplicateKeysInExport!: number;
  @Field(() => [String], { description: 'Columns of the legacy file the export lacks (ignored ones left out).' }) columnsOnlyInLegacy!: string[];
  @Field(() => [String], { description: 'Columns of the export the legacy file lacks (ignored ones left out).' }) columnsOnlyInExport!: string[];
  @Field(() => Int, { description: 'Differing cells over every column.' }) differentCells!: number;
  @Field(() => [ParityColumnType], { description: 'Every column found in both files (ignored ones left out), in legacy file order.' }) columns!: ParityColumnType[];
  @Field(() => JSONScalar, { description: 'The whole summary as stored.' }) details!: unknown;

  static from(s: ParitySummary): ParitySummaryType {
    return Object.assign(new ParitySummaryType(), {
      identical: s.identical, key: s.key, legacyRows: s.legacy.rows, exportRows: s.export.rows, matchedRows: s.matchedRows,
      rowsOnlyInLegacy: s.rowsOnlyInLegacy.count, rowsOnlyInExport: s.rowsOnlyInExport.count,
      duplicateKeysInLegacy: s.duplicateKeys.legacy.keys, duplicateKeysInExport: s.duplicateKeys.export.keys,
      columnsOnlyInLegacy: s.columnsOnlyInLegacy, columnsOnlyInExport: s.columnsOnlyInExport, differentCells: s.differentCells,
      columns: s.columns.map(ParityColumnType.from), details: s,
    });
  }
}

@ObjectType('ParityRun', { description: 'One comparison of an export with a legacy file, as recorded in the BU (parity_run).' })
export class ParityRunType {
  @Field(() => ID, { description: 'Run id: poll parityRun with it.' }) id!: string;
  @Field(() => String, { description: 'The business unit the run belongs to.' }) businessUnit!: string;
  @Field(() => ParityRunStatusEnum, { description: 'Where the run stands and what it found (see ParityRunStatus).' }) status!: ParityRunStatusEnum;
  @Field(() => String, { description: 'The API key name (or CLI user) that asked.' }) requestedBy!: string;
  @Field(() => DateTimeScalar, { description: 'When it was asked for.' }) startedAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When it ended (IDENTICAL, DIFFERENT or FAILED).' }) finishedAt!: Date | null;
  @Field(() => String, { description: 'The legacy file (file:// or s3://).' }) legacyUri!: string;
  @Field(() => String, { nullable: true, description: 'sha256 of the legacy file as compared (hex).' }) legacySha256!: string | null;
  @Field(() => ParityExportSourceEnum, { description: 'What the export side is (see ParityExportSource).' }) exportSource!: ParityExportSourceEnum;
  @Field(() => String, { nullable: true, description: 'The export file compared (a rendered template\'s file is removed after the run).' }) exportUri!: string | null;
  @Field(() => String, { nullable: true, description: 'sha256 of the export file as compared (hex).' }) exportSha256!: string | null;
  @Field(() => ID, { nullable: true, description: 'The export job whose file was compared.' }) exportJobId!: string | null;
  @Field(() => String, { nullable: true, description: "The template rendered, or the job's file name." }) templateName!: string | null;
  @Field(() => ID, { nullable: true, description: 'The last load event (FILE_COMPLETE) the export reflects.' }) snapshotEventId!: string | null;
  @Field(() => JSONScalar, { description: 'Key, normalizations, ignored columns, dialects, as asked.' }) options!: unknown;
  @Field(() => ParitySummaryType, { nullable: true, description: 'What it found (IDENTICAL or DIFFERENT runs).' }) summary!: ParitySummaryType | null;
  @Field(() => String, { nullable: true, description: 'Why it failed.' }) error!: string | null;

  /** The run as the service returned it (not a field): what reportHtml renders. */
  run!: ParityRun;

  static from(r: ParityRun): ParityRunType {
    return Object.assign(new ParityRunType(), {
      ...r, run: r, status: r.status as ParityRunStatusEnum, exportSource: r.exportSource as ParityExportSourceEnum,
      summary: r.summary ? ParitySummaryType.from(r.summary) : null,
    });
  }
}

@ObjectType('ParityRunConnection', { description: 'A page of parity runs, newest first.' })
export class ParityRunConnection {
  @Field(() => [ParityRunType], { description: 'The runs of this page.' }) nodes!: ParityRunType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many runs, over all pages.' }) totalCount!: number;
}
