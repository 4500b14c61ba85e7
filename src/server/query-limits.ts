import { ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  DocumentNode, FormattedExecutionResult, GraphQLError, OperationDefinitionNode, GraphQLSchema, Kind, getNamedType, getNullableType, isInterfaceType, isListType, isObjectType, separateOperations, validate, visit,
} from 'graphql';
import { ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { ErrorCode } from '../errors/domain-error';
import type { RequestContext } from '../resolvers/request-context';
import { CostBudget, budgetSpent } from './cost-budget';
import { InputShape, inputProblem, inputShape } from './input-limits';

/**
 * Deepest nesting of fields a query may have. The graph has cycles (item → product → items, node →
 * parent → parent …); every legitimate question fits in 10 levels.
 */
export const MAX_QUERY_DEPTH = 10;

/**
 * Most aliases an operation may use. Aliases let one request repeat a field under new names, each
 * run in full: 4,900 aliases of attributeDefinitions in a 0.26 MB request took 4.4 s and +470 MB.
 * Clients alias a few attributes (`description: attribute(id: …)`); 100 leaves room for many.
 */
export const MAX_ALIASES = 100;

/**
 * Most tokens (names, values, punctuation) a query may have, checked while parsing (graphql-js
 * `maxTokens`), so a 1 MB body of fields is refused before it becomes a syntax tree. A large real
 * query (GraphiQL's introspection, a page with dozens of aliased attributes) has a few hundred to
 * a few thousand.
 */
export const MAX_TOKENS = 10_000;

/**
 * Most work a query may ask for, in values it may return: each field costs 1; a list costs its
 * expected size times its selection (a paged field, one with `first`, that many; the others
 * EXPECTED_SIZES); a JSON document its expected number of values. `products(first: 100)` with
 * items, categories and every attribute of products and items is ~57,000; the same page of 1,000
 * is refused, as are 49 aliases of attributeDefinitions with their names.
 */
export const MAX_QUERY_COMPLEXITY = 100_000;

/**
 * The expected size of every list the API serves without `first`, and of its JSON documents: rows
 * for a list, values for a document. The one place these are declared (a test fails when a list
 * or JSON field of the schema has no entry here). Figures are what real business units hold, on
 * the high side: inRiver's AttributeFile has ~1,000 item attributes plus the other entity types',
 * a product 3–10 items, a few categories, a handful of images, an item ~50 filled attributes.
 */
export const EXPECTED_SIZES: Readonly<Record<string, number>> = {
  // Lists without pages.
  'Query.attributeDefinitions': 2_000,
  'Query.businessUnits': 10,
  'Query.csvTemplates': 20,
  'Query.fieldMappings': 300,
  'Query.decorators': 1_000,
  'Product.items': 10,
  'Product.resources': 10,
  'Product.channelNodes': 3,
  'Product.links': 20,
  'Item.resources': 5,
  'Item.links': 10,
  'ChannelNode.children': 10,
  'CsvTemplate.columns': 50,
  'ExportJob.files': 10,
  'ExportJob.warnings': 20,
  'ExportJob.templates': 10,
  'LoadStatus.pendingFiles': 100,
  'LoadStatus.warnings': 2,
  'ReplayResult.filesToReplay': 100,
  // Parity runs: a legacy file has tens of columns; examples are 5 per column unless asked for more (at most 100).
  'ParitySummary.columns': 50,
  'ParitySummary.key': 2,
  'ParitySummary.columnsOnlyInLegacy': 5,
  'ParitySummary.columnsOnlyInExport': 5,
  'ParityColumn.normalization': 3,
  'ParityColumn.examples': 5,
  'ParityCellExample.key': 2,
  // JSON documents.
  'Product.attributes': 50,
  'Item.attributes': 50,
  'ChannelNode.attributes': 10,
  'Resource.attributes': 10,
  // Asked through the interface (`... on Entity`): the largest of its types.
  'Entity.attributes': 50,
  'Entity.attribute': 1,
  'Product.attribute': 1,
  'Item.attribute': 1,
  'ChannelNode.attribute': 1,
  'Resource.attribute': 1,
  'EntityVersion.content': 60,
  'LoadEvent.metadata': 20,
  'AttributeDefinition.names': 5,
  // On average over all attributes: most have none, a CVL some dozens.
  'AttributeDefinition.allowedValues': 10,
  'AttributeDefinition.fieldsets': 5,
  'ParityRun.options': 20,
  // The whole summary: per column its counts and examples (50 columns × 5 examples × 4 values), and the row examples.
  'ParitySummary.details': 1_500,
};

/** A connection's `nodes` is sized by the `first` of the field that returns the connection. */
const isPageOfNodes = (typeName: string, fieldName: string) => typeName.endsWith('Connection') && fieldName === 'nodes';

/** Fields the cost needs a declared size for: lists without `first` (but pages' nodes), and JSON documents. */
export function fieldsNeedingSizes(schema: GraphQLSchema): string[] {
  const needed: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type)) || type === schema.getMutationType()) continue;
    for (const field of Object.values(type.getFields())) {
      const paged = field.args.some((a) => a.name === 'first');
      const list = isListType(getNullableType(field.type));
      const json = getNamedType(field.type).name === 'JSON';
      if ((list && !paged && !isPageOfNodes(type.name, field.name)) || json) needed.push(`${type.name}.${field.name}`);
    }
  }
  return needed.sort();
}

const sizeEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (typeof args.first === 'number') return 1 + Math.max(args.first, 1) * childComplexity;
  const size = EXPECTED_SIZES[`${type.name}.${field.name}`];
  // A list of scalars costs its values too: at least 1 per element.
  if (size !== undefined) return 1 + size * Math.max(childComplexity, 1) - (isListType(getNullableType(field.type)) ? 0 : 1);
  return 1 + childComplexity;
};

/** BAD_USER_INPUT, HTTP 400, with the measured figures when there are any. */
const refused = (message: string, details?: Record<string, number>) => new GraphQLError(message, {
  extensions: { code: ErrorCode.BadUserInput, ...(details ? { details } : {}), http: { status: 400 } },
});

export interface QueryLimits {
  depth: number;
  aliases: number;
  complexity: number;
}

/**
 * Rejects too deep, too aliased or too expensive operations, and values no resolver should get
 * (input-limits.ts), before anything runs, with BAD_USER_INPUT and the measured figure; then takes
 * the operation's cost from the caller's work budget (cost-budget.ts), or refuses it with
 * TOO_MANY_REQUESTS. Runs once the operation and its variables are known (complexity depends on
 * `first`), with the well-kept libraries graphql-armor (depth, aliases) and
 * graphql-query-complexity. The token limit is graphql-js's own, at parse (`MAX_TOKENS`).
 */
export function queryLimitsPlugin(schema: GraphQLSchema, options: { limits?: QueryLimits; budget?: CostBudget } = {}): ApolloServerPlugin<RequestContext> {
  const limits = options.limits ?? { depth: MAX_QUERY_DEPTH, aliases: MAX_ALIASES, complexity: MAX_QUERY_COMPLEXITY };
  /**
   * Per parsed document (Apollo hands the same DocumentNode for the same query text) and operation:
   * the operation alone, its depth, aliases and, when no page size (`first`) is a variable, its
   * complexity. These do not change from one request to the next, and working them out every time
   * was the largest cost of a small query in Node (a profile of product(entityId) at 8 clients).
   */
  interface Shape { only: DocumentNode; depth: number | null; aliases: number | null; inputs: InputShape; variablePages: boolean; complexity?: number }
  const shapes = new WeakMap<DocumentNode, Map<string | null, Shape>>();
  const shapeOf = (document: DocumentNode, name: string | null, operation: OperationDefinitionNode | undefined) => {
    let byName = shapes.get(document);
    if (!byName) shapes.set(document, (byName = new Map()));
    let shape = byName.get(name);
    if (!shape) {
      // Only the operation that runs counts, not every operation of the document.
      const operations = separateOperations(document);
      const only = name !== null && operations[name] ? operations[name] : document;
      let depth: number | null = null;
      let aliases: number | null = null;
      validate(schema, only, [
        maxDepthRule({
          n: limits.depth,
          propagateOnRejection: false,
          onReject: [(_ctx, err) => { depth = Number(/found (\d+)/.exec(err.message)?.[1] ?? limits.depth + 1); }],
        }),
        maxAliasesRule({
          n: limits.aliases,
          allowList: [],
          propagateOnRejection: false,
          onReject: [(_ctx, err) => { aliases = Number(/found (\d+)/.exec(err.message)?.[1] ?? limits.aliases + 1); }],
        }),
      ]);
      let variablePages = false;
      visit(only, { Argument: (arg) => { if (arg.name.value === 'first' && arg.value.kind !== Kind.INT) variablePages = true; } });
      byName.set(name, (shape = { only, depth, aliases, inputs: inputShape(schema, only, operation), variablePages }));
    }
    return shape;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, operationName, request, contextValue }) {
          const shape = shapeOf(document, operationName ?? null, operation);
          const { only, depth, aliases } = shape;
          if (depth !== null) {
            throw refused(`the query is ${depth} levels deep; at most ${limits.depth} are allowed`, { depth, maxDepth: limits.depth });
          }
          if (aliases !== null) {
            throw refused(`the query uses ${aliases} aliases; at most ${limits.aliases} are allowed: ask each field once, or send several requests`,
              { aliases, maxAliases: limits.aliases });
          }
          // Before the cost, which reads the variables too (and would echo a bad one in its error).
          const problem = inputProblem(shape.inputs, request.variables);
          if (problem) throw refused(problem);
          let complexity = shape.complexity;
          if (complexity === undefined) {
            try {
              complexity = getComplexity({
                schema, query: only, operationName: operationName ?? undefined, variables: request.variables ?? {},
                estimators: [sizeEstimator],
              });
            } catch (err) {
              // Bad variable values (or a query too large to measure) are the caller's to fix.
              if (err instanceof GraphQLError) throw refused(err.message);
              throw err;
            }
            if (!shape.variablePages) shape.complexity = complexity;
          }
          if (complexity > limits.complexity) {
            throw refused(`the query would cost ${complexity} (values it may return: fields × page sizes × expected list sizes); `
              + `at most ${limits.complexity} is allowed: ask for smaller pages (first), fewer nested lists or fewer attributes`,
            { complexity, maxComplexity: limits.complexity });
          }
          // What it may cost is paid before it runs; a request over the limits above costs nothing.
          const wait = options.budget && contextValue.caller ? await options.budget.spend(contextValue.caller.id, complexity) : null;
          if (wait !== null) {
            throw new GraphQLError(budgetSpent(contextValue.caller, options.budget!, wait), {
              extensions: { code: ErrorCode.TooManyRequests, http: { status: 429, headers: new HeaderMap([['retry-after', String(wait)]]) } },
            });
          }
        },
      };
    },
  };
}

/**
 * Apollo's `stringifyResult` with a bound: a result whose JSON is over `maxBytes` is not sent;
 * the client gets one BAD_USER_INPUT error saying how large it was. The cost limit keeps answers
 * near their expected size; this catches what expectations miss (products whose attribute
 * documents are far larger than usual), so no answer is larger than the bound on the wire.
 */
export function boundedStringify(maxBytes: number): (value: FormattedExecutionResult) => string {
  const refuse = (what: string, details: Record<string, number>) => `${JSON.stringify({
    errors: [{
      message: `the response ${what}; at most ${mb(maxBytes)} is sent: ask for smaller pages (first) or fewer fields (attributes documents are the largest)`,
      extensions: { code: ErrorCode.BadUserInput, details: { ...details, maxResponseBytes: maxBytes } },
    }],
  })}\n`;
  return (value) => {
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      // V8 cannot make a string that long (~512 MB).
      if (err instanceof RangeError) return refuse('is too large to build', {});
      throw err;
    }
    // Each UTF-16 unit is 1–3 bytes: count the bytes only when the length alone cannot decide.
    const bytes = text.length > maxBytes ? text.length : text.length * 3 > maxBytes ? Buffer.byteLength(text) : text.length;
    // A newline at the end, as Apollo's own stringifyResult writes it.
    return bytes > maxBytes ? refuse(`would be ${mb(bytes)}`, { responseBytes: bytes }) : `${text}\n`;
  };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
