import { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, FragmentDefinitionNode, Kind, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { metrics } from './metrics';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/**
 * The `operation` label of a request: the root field its operation asks (`products`,
 * `loadStatus`, `triggerLoad`), `multiple` when it asks several, `introspection` when only the
 * schema, and `other` when no operation ran (the document did not parse or validate, or its
 * operationName names none of its operations).
 *
 * Not the client's operationName: that is any text a caller likes, so each new name added series
 * to /metrics without end. Root fields are names the schema defines (an operation that asks
 * anything else fails validation and is `other`), the same in every copy and after every restart,
 * so the label set is bounded by the schema and aggregates across instances; and they say which
 * part of the API is slow. Which client sent a request is for the logs, not for a label.
 */
export function operationLabel(document: DocumentNode | undefined, operation: OperationDefinitionNode | undefined): string {
  if (!document || !operation) return 'other';
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fields = new Set<string>();
  const seen = new Set<string>();
  const collect = (set: SelectionSetNode): void => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) fields.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) collect(s.selectionSet);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(operation.selectionSet);
  const asked = [...fields].filter((f) => !INTROSPECTION_FIELDS.has(f));
  if (asked.length === 0) return fields.size ? 'introspection' : 'other';
  return asked.length === 1 ? asked[0] : 'multiple';
}

/** Observes every GraphQL request's duration, labelled by the root field it asks (operationLabel) and its outcome. */
export function graphqlMetricsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlSeconds.startTimer();
      return {
        async willSendResponse({ document, operation, errors }) {
          stop({ operation: operationLabel(document, operation), outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
}
