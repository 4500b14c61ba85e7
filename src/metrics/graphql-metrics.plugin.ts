import { ApolloServerPlugin } from '@apollo/server';
import { metrics } from './metrics';

/** Observes every GraphQL request's duration, labelled by operation name (or "anonymous"). */
export function graphqlMetricsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const stop = metrics.graphqlSeconds.startTimer();
      return {
        async willSendResponse({ operationName, request, errors }) {
          stop({ operation: operationName ?? request.operationName ?? 'anonymous', outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
}
