import { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { Logger } from '../logger';
import { RequestContext } from './request-context';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { [ErrorCode.Unauthenticated]: 401 };

/** The one place a DomainError becomes a GraphQL error. */
export function toGraphQLError(err: DomainError): GraphQLError {
  const status = HTTP_STATUS[err.code];
  return new GraphQLError(err.message, {
    extensions: { code: err.code, ...(err.details ? { details: err.details } : {}), ...(status ? { http: { status } } : {}) },
  });
}

/** GraphQL-level errors (parse, validation, bad variables, limits) that are safe to show as they are. */
const CLIENT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', ...Object.values(ErrorCode)]);

/**
 * Ours or the caller's? A DomainError or a GraphQLError with a client code is the caller's; any
 * other error (a bug, a lost database, SQL) is internal, whatever code something put on it.
 */
function isInternal(code: unknown, error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) return original.code === ErrorCode.Internal;
  if (original instanceof Error && !(original instanceof GraphQLError)) return true;
  return !(typeof code === 'string' && CLIENT_CODES.has(code));
}

/** Internal errors already logged with their request's context (so the formatter does not log them twice). */
const logged = new WeakSet<object>();

/**
 * Logs every internal error of a request with what an operator needs to find it: operation,
 * API key name, path, variables. The client only ever sees "Internal server error".
 */
export function internalErrorLogPlugin(log: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, operationName, contextValue, request }) {
          for (const error of errors) {
            if (!isInternal(error.extensions?.code, error)) continue;
            const original = unwrapResolverError(error);
            if (typeof original === 'object' && original !== null) logged.add(original);
            log.error({
              err: original, path: error.path, operationName, apiKey: contextValue?.principal?.name,
              variables: request.variables, query: request.query?.slice(0, 2000),
            }, 'unexpected error while serving GraphQL');
          }
        },
      };
    },
  };
}

/**
 * Known errors keep their code and message; anything else is shown to clients only as a generic
 * INTERNAL error (no stack, no SQL, no paths).
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError && original.code !== ErrorCode.Internal) {
      return { ...formatted, message: original.message, extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) } };
    }
    if (!isInternal(formatted.extensions?.code, error)) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (!(typeof original === 'object' && original !== null && logged.has(original))) {
      log.error({ err: original, path: formatted.path }, 'unexpected error while serving GraphQL');
    }
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.Internal } };
  };
}
