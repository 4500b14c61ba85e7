import { ApolloServerPlugin } from '@apollo/server';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { DocumentNode, GraphQLError, GraphQLSchema, Kind, separateOperations, validate, visit } from 'graphql';
import { ComplexityEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { ErrorCode } from '../errors/domain-error';

/**
 * Deepest nesting of fields a query may have. The graph has cycles (item → product → items, node →
 * parent → parent …); every legitimate question fits in 10 levels.
 */
export const MAX_QUERY_DEPTH = 10;

/**
 * Most work a query may ask for. Each field costs 1, and a paged field (one with `first`) costs
 * 1 + first × its selection: `products(first: 1000)` with 50 fields per product is ~50,000, while
 * 1,000 nodes × 1,000 products each is rejected. Unpaged lists (items, resources) count once:
 * they are small and batched per request.
 */
export const MAX_QUERY_COMPLEXITY = 100_000;

const pagedEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  if (typeof args.first !== 'number') return undefined;
  return 1 + Math.max(args.first, 1) * childComplexity;
};

const tooBig = (message: string, details: Record<string, number>) => new GraphQLError(message, {
  extensions: { code: ErrorCode.BadUserInput, details, http: { status: 400 } },
});

/**
 * Rejects too deep or too expensive operations before anything runs, with BAD_USER_INPUT and the
 * measured figure. Runs once the operation and its variables are known (complexity depends on
 * `first`), with the well-kept libraries graphql-armor (depth) and graphql-query-complexity.
 */
export function queryLimitsPlugin(schema: GraphQLSchema, limits = { depth: MAX_QUERY_DEPTH, complexity: MAX_QUERY_COMPLEXITY }): ApolloServerPlugin {
  /**
   * Per parsed document (Apollo hands the same DocumentNode for the same query text) and operation:
   * the operation alone, its depth and, when no page size (`first`) is a variable, its complexity.
   * These do not change from one request to the next, and working them out every time was the
   * largest cost of a small query in Node (a profile of product(entityId) at 8 clients).
   */
  interface Shape { only: DocumentNode; depth: number | null; variablePages: boolean; complexity?: number }
  const shapes = new WeakMap<DocumentNode, Map<string | null, Shape>>();
  const shapeOf = (document: DocumentNode, name: string | null) => {
    let byName = shapes.get(document);
    if (!byName) shapes.set(document, (byName = new Map()));
    let shape = byName.get(name);
    if (!shape) {
      // Only the operation that runs counts, not every operation of the document.
      const operations = separateOperations(document);
      const only = name !== null && operations[name] ? operations[name] : document;
      let depth: number | null = null;
      validate(schema, only, [maxDepthRule({
        n: limits.depth,
        propagateOnRejection: false,
        onReject: [(_ctx, err) => { depth = Number(/found (\d+)/.exec(err.message)?.[1] ?? limits.depth + 1); }],
      })]);
      let variablePages = false;
      visit(only, { Argument: (arg) => { if (arg.name.value === 'first' && arg.value.kind !== Kind.INT) variablePages = true; } });
      byName.set(name, (shape = { only, depth, variablePages }));
    }
    return shape;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request }) {
          const shape = shapeOf(document, operationName ?? null);
          const { only, depth } = shape;
          if (depth !== null) {
            throw tooBig(`the query is ${depth} levels deep; at most ${limits.depth} are allowed`, { depth, maxDepth: limits.depth });
          }
          let complexity = shape.complexity;
          if (complexity === undefined) {
            try {
              complexity = getComplexity({
                schema, query: only, operationName: operationName ?? undefined, variables: request.variables ?? {},
                estimators: [pagedEstimator, simpleEstimator({ defaultComplexity: 1 })],
              });
            } catch (err) {
              // Bad variable values (or a query too large to measure) are the caller's to fix.
              if (err instanceof GraphQLError) throw tooBig(err.message, {});
              throw err;
            }
            if (!shape.variablePages) shape.complexity = complexity;
          }
          if (complexity > limits.complexity) {
            throw tooBig(`the query would cost ${complexity} (fields × page sizes); at most ${limits.complexity} is allowed: ask for smaller pages (first) or fewer nested lists`,
              { complexity, maxComplexity: limits.complexity });
          }
        },
      };
    },
  };
}
