import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MappingConfig, TemplateConfig } from '../../entities/export-settings.types';
import { DecoratorEntity } from '../../entities/index';
import { DateTimeScalar } from './scalars';

export enum RowSourceEnum {
  PRODUCT = 'PRODUCT', ITEM = 'ITEM', CHANNEL_NODE = 'CHANNEL_NODE', ATTRIBUTE = 'ATTRIBUTE',
  ITEM_ATTRIBUTE = 'ITEM_ATTRIBUTE', ITEM_CATEGORY = 'ITEM_CATEGORY', ITEM_RESOURCE = 'ITEM_RESOURCE',
}
registerEnumType(RowSourceEnum, {
  name: 'RowSource',
  description: 'What one CSV row is. Only live (not deleted) entities are exported.',
  valuesConfig: {
    PRODUCT: { description: 'One row per product.' },
    ITEM: { description: 'One row per item (its product reachable as Product.*).' },
    CHANNEL_NODE: { description: 'One row per category node.' },
    ATTRIBUTE: { description: 'One row per attribute definition of the AttributeFile.' },
    ITEM_ATTRIBUTE: { description: 'Long (EAV): one row per item and active field mapping of the file whose field has a value.' },
    ITEM_CATEGORY: { description: "One row per item and category of its product (ChannelNode.*)." },
    ITEM_RESOURCE: { description: "One row per item and resource: its own, then its product's (Resource.*)." },
  },
});

// Internal values are the stored (customer's) spellings.
export enum SourceTypeEnum { INRIVER_FIELD = 'inriver_field', DECORATOR = 'decorator', STATIC = 'static', COMPUTED = 'computed' }
registerEnumType(SourceTypeEnum, {
  name: 'SourceType',
  description: 'Where a column value comes from (csv_template_config.source_type).',
  valuesConfig: {
    INRIVER_FIELD: { description: 'sourceValue names a field: an attribute id, an envelope field (EntityId, FieldSetId, SortOrder, UpdatedAt …), optionally prefixed (Product.ProductId).' },
    DECORATOR: { description: "sourceValue names a decorator_type of the row's entity (or Product.purpose, Attribute.purpose …)." },
    STATIC: { description: 'sourceValue is the value.' },
    COMPUTED: { description: 'sourceValue is an expression from the closed set: concat, coalesce, cvl_value, parent, parent_id, category_path, level, mapping_column, mapping_field, mapping_entity, mapping_value, resource_owner, job_id, snapshot_event_id, export_date.' },
  },
});

export enum CsvQuotingEnum { MINIMAL = 'minimal', ALL = 'all' }
registerEnumType(CsvQuotingEnum, {
  name: 'CsvQuoting',
  description: 'MINIMAL: RFC 4180, quote fields that hold the delimiter, a quote or a line break; ALL: quote every non-empty field.',
  valuesConfig: {
    MINIMAL: { description: 'Quote only fields that hold the delimiter, a quote or a line break (RFC 4180).' },
    ALL: { description: 'Quote every non-empty field.' },
  },
});
export enum CsvLineEndingEnum { LF = 'LF', CRLF = 'CRLF' }
registerEnumType(CsvLineEndingEnum, {
  name: 'CsvLineEnding',
  description: 'Line ending of the written file.',
  valuesConfig: { LF: { description: 'Unix line endings (\\n).' }, CRLF: { description: 'Windows line endings (\\r\\n).' } },
});
export enum CsvEncodingEnum { UTF_8 = 'UTF-8', UTF_8_BOM = 'UTF-8-BOM' }
registerEnumType(CsvEncodingEnum, {
  name: 'CsvEncoding',
  description: 'UTF_8_BOM starts the file with a byte order mark (for Excel).',
  valuesConfig: { UTF_8: { description: 'UTF-8 without a byte order mark.' }, UTF_8_BOM: { description: 'UTF-8 starting with a byte order mark (for Excel).' } },
});

export enum CsvFormulaEscapeEnum { NONE = 'none', QUOTE = 'quote' }
registerEnumType(CsvFormulaEscapeEnum, {
  name: 'CsvFormulaEscape',
  description: 'What happens to a data cell that a spreadsheet would read as a formula (one starting with =, +, -, @, a tab or a carriage return; '
    + 'plain numbers such as -5 excepted). The header row is written as configured.',
  valuesConfig: {
    NONE: { description: 'Written as it is (the default: the file stays byte for byte what the legacy importer reads).' },
    QUOTE: { description: "Prefixed with ' (OWASP's advice against CSV injection), for files people open in Excel or another spreadsheet." },
  },
});

@ObjectType('CsvColumn', { description: 'One output column (a csv_template_config row).' })
export class CsvColumnType {
  @Field(() => Int, { description: '1-based.' }) position!: number;
  @Field(() => String, { description: 'Header of the column in the file.' }) columnName!: string;
  @Field(() => SourceTypeEnum, { description: 'Where the value comes from (see SourceType).' }) sourceType!: SourceTypeEnum;
  @Field(() => String, { description: 'What sourceType reads: a field, a decorator type, the static value or an expression.', nullable: true }) sourceValue!: string | null;
  @Field(() => String, { nullable: true, description: 'Written when the value renders empty.' }) defaultValue!: string | null;
  @Field(() => String, { nullable: true, description: 'A pipeline of transformations, e.g. cvl_value | join(", ").' }) transformation!: string | null;
  @Field(() => Boolean, { description: 'A row whose value is empty here is left out and counted in the job warnings.' }) required!: boolean;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes!: string | null;
}

@ObjectType('CsvTemplate', { description: 'One output file of the CSV export and its columns.' })
export class CsvTemplateType {
  @Field(() => String, { description: 'File name, e.g. items.csv.' }) name!: string;
  @Field(() => RowSourceEnum, { description: 'What one row of the file is (see RowSource).' }) rowSource!: RowSourceEnum;
  @Field(() => String, { description: 'Field separator, e.g. "," or "|".' }) delimiter!: string;
  @Field(() => Boolean, { description: 'Exported when requestExport names no templates.' }) enabled!: boolean;
  @Field(() => [CsvColumnType], { description: 'The columns in file order.' }) columns!: CsvColumnType[];
  @Field(() => Boolean, { description: 'First line holds the column names.' }) header!: boolean;
  @Field(() => CsvQuotingEnum, { description: 'How fields are quoted.' }) quoting!: CsvQuotingEnum;
  @Field(() => CsvLineEndingEnum, { description: 'LF or CRLF.' }) lineEnding!: CsvLineEndingEnum;
  @Field(() => CsvEncodingEnum, { description: 'UTF-8, with or without a byte order mark.' }) encoding!: CsvEncodingEnum;
  @Field(() => CsvFormulaEscapeEnum, { description: 'Whether data cells a spreadsheet would read as a formula are escaped (see CsvFormulaEscape).' }) formulaEscape!: CsvFormulaEscapeEnum;
  @Field(() => Int, { description: 'Goes up with every change; recorded in each manifest.' }) version!: number;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes!: string | null;

  static from(t: TemplateConfig): CsvTemplateType {
    return Object.assign(new CsvTemplateType(), {
      name: t.name, rowSource: t.rowSource as RowSourceEnum, delimiter: t.delimiter, enabled: t.enabled, header: t.header,
      quoting: t.quoting as CsvQuotingEnum, lineEnding: t.lineEnding as CsvLineEndingEnum, encoding: t.encoding as CsvEncodingEnum,
      formulaEscape: t.formulaEscape as CsvFormulaEscapeEnum, version: t.version, notes: t.notes,
      columns: t.columns.map((c, i) => Object.assign(new CsvColumnType(), { ...c, position: i + 1, sourceType: c.sourceType as SourceTypeEnum })),
    });
  }
}

@InputType('CsvColumnInput', { description: 'One column of a template; columns are given in file order.' })
export class CsvColumnInput {
  @Field(() => String, { description: 'Header of the column in the file.' }) columnName!: string;
  @Field(() => SourceTypeEnum, { description: 'Where the value comes from (see SourceType).' }) sourceType!: SourceTypeEnum;
  @Field(() => String, { description: 'What sourceType reads: a field, a decorator type, the static value or an expression.', nullable: true }) sourceValue?: string | null;
  @Field(() => String, { description: 'Written when the value renders empty.', nullable: true }) defaultValue?: string | null;
  @Field(() => String, { description: 'A pipeline of transformations, e.g. cvl_value | join(", ").', nullable: true }) transformation?: string | null;
  @Field(() => Boolean, { description: 'Leave out rows whose value here is empty (counted in the job warnings).', nullable: true, defaultValue: false }) required?: boolean | null;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes?: string | null;
}

@InputType('CsvTemplateInput', { description: 'A whole template: saving replaces its columns (in the order given).' })
export class CsvTemplateInput {
  @Field(() => String, { description: 'File name, e.g. items.csv: the template\'s key.' }) name!: string;
  @Field(() => RowSourceEnum, { description: 'What one row of the file is.' }) rowSource!: RowSourceEnum;
  @Field(() => String, { description: 'Field separator.', nullable: true, defaultValue: ',' }) delimiter?: string | null;
  @Field(() => Boolean, { description: 'Exported when requestExport names no templates.', nullable: true, defaultValue: true }) enabled?: boolean | null;
  @Field(() => [CsvColumnInput], { description: 'The columns in file order (they replace the stored ones).' }) columns!: CsvColumnInput[];
  @Field(() => Boolean, { description: 'Write the column names as the first line.', nullable: true, defaultValue: true }) header?: boolean | null;
  @Field(() => CsvQuotingEnum, { description: 'How fields are quoted.', nullable: true, defaultValue: CsvQuotingEnum.MINIMAL }) quoting?: CsvQuotingEnum | null;
  @Field(() => CsvLineEndingEnum, { description: 'LF or CRLF.', nullable: true, defaultValue: CsvLineEndingEnum.LF }) lineEnding?: CsvLineEndingEnum | null;
  @Field(() => CsvEncodingEnum, { description: 'UTF-8, with or without a byte order mark.', nullable: true, defaultValue: CsvEncodingEnum.UTF_8 }) encoding?: CsvEncodingEnum | null;
  @Field(() => CsvFormulaEscapeEnum, { description: 'Escape data cells a spreadsheet would read as a formula (see CsvFormulaEscape).', nullable: true, defaultValue: CsvFormulaEscapeEnum.NONE }) formulaEscape?: CsvFormulaEscapeEnum | null;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes?: string | null;
}

@ObjectType('FieldMapping', { description: 'A field_mapping row: which inRiver field becomes which legacy column (drives ITEM_ATTRIBUTE files).' })
export class FieldMappingType {
  @Field(() => ID, { description: 'Id of the mapping (to update or delete it).' }) id!: string;
  @Field(() => String, { description: 'Item or Product (a Product field is inherited by its items).' }) inriverEntity!: string;
  @Field(() => String, { description: 'The attribute id.' }) inriverField!: string;
  @Field(() => String, { description: 'The file (template name) it feeds.' }) heilerCsv!: string;
  @Field(() => String, { description: 'The legacy attribute code / column.' }) heilerColumn!: string;
  @Field(() => String, { nullable: true, description: 'A transformation pipeline applied to the value.' }) transformationRule!: string | null;
  @Field(() => Boolean, { description: 'Only active mappings are exported.' }) active!: boolean;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes!: string | null;

  static from(m: MappingConfig): FieldMappingType {
    return Object.assign(new FieldMappingType(), m);
  }
}

@InputType('FieldMappingInput', { description: 'With id: updates that mapping; without: adds one.' })
export class FieldMappingInput {
  @Field(() => ID, { description: 'The mapping to update; leave it out to add one.', nullable: true }) id?: string | null;
  @Field(() => String, { description: 'Item or Product (a Product field is inherited by its items).' }) inriverEntity!: string;
  @Field(() => String, { description: 'The attribute id.' }) inriverField!: string;
  @Field(() => String, { description: 'The file (template name) it feeds.' }) heilerCsv!: string;
  @Field(() => String, { description: 'The legacy attribute code / column.' }) heilerColumn!: string;
  @Field(() => String, { description: 'A transformation pipeline applied to the value.', nullable: true }) transformationRule?: string | null;
  @Field(() => Boolean, { description: 'Only active mappings are exported.', nullable: true, defaultValue: true }) active?: boolean | null;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes?: string | null;
}

@ObjectType('Decorator', { description: 'A decorator_data row: a value the legacy PIM had and inRiver does not (e.g. an attribute purpose).' })
export class DecoratorType {
  @Field(() => ID, { description: 'Id of the row (to update or delete it).' }) id!: string;
  @Field(() => String, { description: 'Product, Item, ChannelNode, Resource or Attribute.' }) entityType!: string;
  @Field(() => String, { description: 'inRiver EntityId; the AttributeId for attributes.' }) entityId!: string;
  @Field(() => String, { description: 'What the value is, e.g. purpose.' }) decoratorType!: string;
  @Field(() => String, { description: 'The value.', nullable: true }) decoratorValue!: string | null;
  @Field(() => String, { description: 'Where the value came from, e.g. manual.', nullable: true }) source!: string | null;
  @Field(() => DateTimeScalar, { description: 'When the row was created.' }) createdAt!: Date;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes!: string | null;

  static from(d: DecoratorEntity): DecoratorType {
    return Object.assign(new DecoratorType(), { ...d, id: String(d.id) });
  }
}

@InputType('DecoratorInput', { description: 'With id: updates that row; without: adds one, or updates the row of the same entity and decorator type.' })
export class DecoratorInput {
  @Field(() => ID, { description: 'The row to update; leave it out to add one (or update the row of the same entity and decorator type).', nullable: true }) id?: string | null;
  @Field(() => String, { description: 'Product, Item, ChannelNode (or category), Resource or Attribute; case-insensitive.' }) entityType!: string;
  @Field(() => String, { description: 'inRiver EntityId; the AttributeId for attributes.' }) entityId!: string;
  @Field(() => String, { description: 'What the value is, e.g. purpose.' }) decoratorType!: string;
  @Field(() => String, { description: 'The value.', nullable: true }) decoratorValue?: string | null;
  @Field(() => String, { description: 'Where the value came from (default manual).', nullable: true, defaultValue: 'manual' }) source?: string | null;
  @Field(() => String, { description: 'Free text for operators.', nullable: true }) notes?: string | null;
}
