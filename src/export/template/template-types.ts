import type { CategoryTree } from './category-tree';
import type { EntityScope, FieldRef, RowSource } from './row-sources';
import type { Transform } from './transformations';
import type { RenderContext } from './value-render';

/** One fetched row, by position in the compiled query's select list (arrays: no object per row). */
export type Row = readonly unknown[];

/** Columns a row source provides beside its fields: the mapping of an ITEM_ATTRIBUTE row, the owner of an ITEM_RESOURCE row. */
export type InternalColumn = 'mappingId' | 'mappingColumn' | 'mappingField' | 'mappingEntity' | 'mappingValue' | 'resourceOwner';

export interface EvalContext extends RenderContext {
  jobId: string;
  snapshotEventId: string | null;
  /** The job folder's date, YYYY-MM-DD. */
  exportDate: string;
  tree: CategoryTree | null;
  /** Compiled transformation_rule of each field_mapping id of the file (ITEM_ATTRIBUTE). */
  mappingRules: Map<string, Transform | null>;
}

export type Getter = (row: Row, ctx: EvalContext) => unknown;

/** A configuration mistake, reported with the column it belongs to. */
export class SettingsProblem extends Error {}

/** What computed functions may ask of the template being compiled. */
export interface CompilerApi {
  readonly rowSource: RowSource;
  /** A getter for a field reference; `scope` forces the entity (e.g. ChannelNode for parent()). */
  ref(text: string, scope?: EntityScope): Getter;
  parseRef(text: string, scope?: EntityScope): FieldRef;
  /** The category node id of a row; marks that rows need the category tree. */
  treeNode(): (row: Row) => string;
  /** A getter for one of the row source's internal columns. */
  internal(column: InternalColumn): Getter;
  /** The one getter of an ITEM_ATTRIBUTE row's mapped value (shared by the skip test and mapping_value()). */
  mappingValue(): Getter;
}
