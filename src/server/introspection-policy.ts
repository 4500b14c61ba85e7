import { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode, FragmentDefinitionNode, GraphQLError, Kind, OperationDefinitionNode, SelectionSetNode, ValidationRule,
} from 'graphql';
import { GraphqlIntrospection } from '../config/config';
import { RequestContext } from '../resolvers/request-context';
import { toGraphQLError } from './error-formatter';

const SCHEMA_FIELDS = new Set(['__schema', '__type']);

/**
 * GRAPHQL_INTROSPECTION=off: a validation rule, like Apollo's own, but whose message names the
 * setting (Apollo's tells operators to "pass introspection: true to ApolloServer").
 */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (SCHEMA_FIELDS.has(node.name.value)) {
      context.reportError(new GraphQLError(
        `introspection (${node.name.value}) is turned off on this server (GRAPHQL_INTROSPECTION=off); ask its operators for the schema`,
        { nodes: [node] },
      ));
    }
  },
});

/** The validation rules the setting adds; Apollo's `introspection` option is passed as true, so these decide. */
export function introspectionRules(mode: GraphqlIntrospection): ValidationRule[] {
  return mode === 'off' ? [noIntrospectionRule] : [];
}

/**
 * True when the operation is a query whose root fields are all __schema, __type or __typename,
 * fragments included: it can read nothing but the schema.
 */
export function asksOnlySchema(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  if (operation.operation !== 'query') return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const seen = new Set<string>();
  const only = (set: SelectionSetNode): boolean => set.selections.every((s) => {
    if (s.kind === Kind.FIELD) return SCHEMA_FIELDS.has(s.name.value) || s.name.value === '__typename';
    if (s.kind === Kind.INLINE_FRAGMENT) return only(s.selectionSet);
    const fragment = fragments.get(s.name.value);
    if (!fragment) return false;
    if (seen.has(fragment.name.value)) return true;
    seen.add(fragment.name.value);
    return only(fragment.selectionSet);
  });
  return only(operation.selectionSet);
}

/**
 * GRAPHQL_INTROSPECTION=on lets a caller without a valid key in as far as this: the context holds
 * back its 401 (`unauthenticated`), and here, before anything runs, any operation that asks more
 * than the schema gets that 401 after all.
 */
export function anonymousIntrospectionPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, contextValue }) {
          const refused = contextValue.unauthenticated;
          if (refused && !(operation && asksOnlySchema(document, operation))) throw toGraphQLError(refused);
        },
      };
    },
  };
}
