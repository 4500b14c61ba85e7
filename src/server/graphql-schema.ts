import 'reflect-metadata';
import { GraphQLSchema, printSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { RESOLVERS } from '../resolvers';
import { resolveFieldsDirectly } from '../resolvers/direct-fields';
import { DateTimeScalar } from '../resolvers/types/scalars';

let built: Promise<GraphQLSchema> | null = null;

/** The served schema (built once: type-graphql's metadata is process-wide). */
export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...RESOLVERS],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  }).then(describeRoots).then(resolveFieldsDirectly);
  return built;
}

/**
 * The served schema as SDL, the text of the committed schema.graphql (`npm run schema` writes it,
 * a test compares it): printed as introspection shows it, so clients and code generators can read
 * the API without running the service. Ends with a newline, as a text file should.
 */
export async function servedSchemaText(): Promise<string> {
  return `${printSchema(await graphqlSchema())}\n`;
}

/** type-graphql has no option for the root types' descriptions; GraphiQL shows them first. */
function describeRoots(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  if (query) {
    query.description = 'Reads. Every field but businessUnits takes a businessUnit code: each BU is its own schema and nothing crosses '
      + 'between them. Lists are keyset pages in a fixed order: pass pageInfo.endCursor as `after`; `first` is at most 1000.';
  }
  const mutation = schema.getMutationType();
  if (mutation) {
    mutation.description = 'Changes. triggerLoad, requestReplay, requestExport and startParityRun need the operator role; '
      + 'the configuration mutations (templates, field mappings, decorators) need admin.';
  }
  return schema;
}
