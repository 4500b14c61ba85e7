import { ExpressionArg } from './expression-parser';
import { RowSource } from './row-sources';
import { CompilerApi, SettingsProblem, Getter, Row } from './template-types';
import { TRANSFORMATIONS } from './transformations';
import { renderDefault } from './value-render';

// The closed set of `computed` column expressions. Bare arguments are field references (as in
// `inriver_field`), quoted ones are literal text. Functions tied to a row source (parent() on
// categories, mapping_*() on ITEM_ATTRIBUTE rows …) are refused on others when the template is saved.

interface ComputedSpec {
  usage: string;
  doc: string;
  arity: [number, number];
  rowSources?: readonly RowSource[];
  build(args: ExpressionArg[], c: CompilerApi): Getter;
}

const CATEGORY_ROWS: readonly RowSource[] = ['CHANNEL_NODE', 'ITEM_CATEGORY'];

function argGetter(arg: ExpressionArg, c: CompilerApi): Getter {
  if (arg.kind === 'quoted') return () => arg.value;
  return c.ref(arg.value);
}

/** A ChannelNode field readable from the tree: EntityId or an attribute. */
function treeField(arg: ExpressionArg | undefined, c: CompilerApi): string {
  if (!arg || arg.kind !== 'bare') throw new SettingsProblem('expects a ChannelNode field such as EntityId or ChannelNodeName');
  const ref = c.parseRef(arg.value, 'ChannelNode');
  if (ref.envelope && ref.field !== 'EntityId') throw new SettingsProblem(`reads EntityId or an attribute of the category, not ${ref.field}`);
  return ref.field;
}

const cvlValue = TRANSFORMATIONS.cvl_value.build([]);

export const COMPUTED_FUNCTIONS: Record<string, ComputedSpec> = {
  concat: {
    usage: 'concat(Product.ProductId, "-", ItemWatscoItemNo)', arity: [1, 50],
    doc: 'The arguments rendered and joined with nothing between them.',
    build: (args, c) => {
      const parts = args.map((a) => argGetter(a, c));
      return (row, ctx) => parts.map((g) => renderDefault(g(row, ctx), ctx)).join('');
    },
  },
  coalesce: {
    usage: 'coalesce(ItemSupplierShortDescriptionEN, Product.ProductShortDescription)', arity: [1, 50],
    doc: 'The first argument whose rendered value is not empty (its value, so a transformation still applies).',
    build: (args, c) => {
      const parts = args.map((a) => argGetter(a, c));
      return (row, ctx) => {
        for (const g of parts) {
          const v = g(row, ctx);
          if (renderDefault(v, ctx) !== '') return v;
        }
        return null;
      };
    },
  },
  cvl_value: {
    usage: 'cvl_value(ItemItemQuantityType)', arity: [1, 1],
    doc: 'The display value of a CVL field (multi-value: the values, joined by "|" unless a transformation joins them).',
    build: ([arg], c) => {
      if (arg.kind !== 'bare') throw new SettingsProblem('cvl_value() expects a field, not a quoted text');
      const g = c.ref(arg.value);
      return (row, ctx) => cvlValue(g(row, ctx), ctx);
    },
  },
  parent: {
    usage: 'parent(EntityId)', arity: [1, 1], rowSources: CATEGORY_ROWS,
    doc: "A field of the category's parent node (EntityId or an attribute); empty for a root.",
    build: ([arg], c) => {
      const field = treeField(arg, c);
      const nodeOf = c.treeNode();
      return (row, ctx) => {
        const parent = ctx.tree!.parentOf(nodeOf(row));
        return parent === null ? null : ctx.tree!.field(parent, field);
      };
    },
  },
  parent_id: {
    usage: 'parent_id()', arity: [0, 0], rowSources: CATEGORY_ROWS,
    doc: "The parent category's EntityId (same as parent(EntityId)); empty for a root.",
    build: (_args, c) => {
      const nodeOf = c.treeNode();
      return (row, ctx) => ctx.tree!.parentOf(nodeOf(row));
    },
  },
  category_path: {
    usage: 'category_path(ChannelNodeName, " > ")', arity: [1, 2], rowSources: CATEGORY_ROWS,
    doc: 'The field of every node from the root down to the category, rendered and joined (default separator " > ").',
    build: ([field, sep], c) => {
      const f = treeField(field, c);
      const separator = sep ? sep.value : ' > ';
      const nodeOf = c.treeNode();
      return (row, ctx) => ctx.tree!.pathOf(nodeOf(row)).map((id) => renderDefault(ctx.tree!.field(id, f), ctx)).join(separator);
    },
  },
  level: {
    usage: 'level()', arity: [0, 0], rowSources: CATEGORY_ROWS,
    doc: 'Depth of the category in the tree: 1 for a root.',
    build: (_args, c) => {
      const nodeOf = c.treeNode();
      return (row, ctx) => ctx.tree!.levelOf(nodeOf(row));
    },
  },
  mapping_column: {
    usage: 'mapping_column()', arity: [0, 0], rowSources: ['ITEM_ATTRIBUTE'],
    doc: "The field_mapping's heiler_column (the legacy attribute code).",
    build: (_args, c) => c.internal('mappingColumn'),
  },
  mapping_field: {
    usage: 'mapping_field()', arity: [0, 0], rowSources: ['ITEM_ATTRIBUTE'],
    doc: "The field_mapping's inriver_field.",
    build: (_args, c) => c.internal('mappingField'),
  },
  mapping_entity: {
    usage: 'mapping_entity()', arity: [0, 0], rowSources: ['ITEM_ATTRIBUTE'],
    doc: "The field_mapping's inriver_entity (Item or Product).",
    build: (_args, c) => c.internal('mappingEntity'),
  },
  mapping_value: {
    usage: 'mapping_value()', arity: [0, 0], rowSources: ['ITEM_ATTRIBUTE'],
    doc: "The mapped field's value, after the mapping's transformation_rule.",
    build: (_args, c) => c.mappingValue(),
  },
  resource_owner: {
    usage: 'resource_owner()', arity: [0, 0], rowSources: ['ITEM_RESOURCE'],
    doc: 'Item for the item\'s own resource, Product for one inherited from its product.',
    build: (_args, c) => c.internal('resourceOwner'),
  },
  job_id: { usage: 'job_id()', arity: [0, 0], doc: 'The export job id.', build: () => (_row, ctx) => ctx.jobId },
  snapshot_event_id: {
    usage: 'snapshot_event_id()', arity: [0, 0], doc: 'The last applied load event the export reflects.',
    build: () => (_row, ctx) => ctx.snapshotEventId,
  },
  export_date: { usage: 'export_date()', arity: [0, 0], doc: "The job folder's date (YYYY-MM-DD, UTC).", build: () => (_row, ctx) => ctx.exportDate },
};

/**
 * The mapped field's value of an ITEM_ATTRIBUTE row, after its mapping's transformation_rule.
 * Remembers the last row: the file's skip test and its mapping_value() column ask for the same row
 * one after the other, and the rule runs once.
 */
export function mappingValue(c: CompilerApi): Getter {
  const id = c.internal('mappingId');
  const value = c.internal('mappingValue');
  let lastRow: Row | null = null;
  let last: unknown;
  return (row, ctx) => {
    if (row !== lastRow) {
      const rule = ctx.mappingRules.get(String(id(row, ctx)));
      last = rule ? rule(value(row, ctx), ctx) : value(row, ctx);
      lastRow = row;
    }
    return last;
  };
}

export function lookupComputed(name: string, rowSource: RowSource): ComputedSpec {
  const spec = Object.prototype.hasOwnProperty.call(COMPUTED_FUNCTIONS, name) ? COMPUTED_FUNCTIONS[name] : undefined;
  if (!spec) {
    throw new SettingsProblem(`unknown computed function "${name}"; known: ${Object.keys(COMPUTED_FUNCTIONS).join(', ')}`);
  }
  if (spec.rowSources && !spec.rowSources.includes(rowSource)) {
    throw new SettingsProblem(`${name}() works on ${spec.rowSources.join(' and ')} rows only, not ${rowSource}`);
  }
  return spec;
}
