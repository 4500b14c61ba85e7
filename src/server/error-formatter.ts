import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { Logger } from '../logger';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { [ErrorCode.Unauthenticated]: 401 };

/** The one place a DomainError becomes a GraphQL error. */
export function toGraphQLError(err: DomainError): GraphQLError {
  const status = HTTP_STATUS[err.code];
  return new GraphQLError(err.message, {
    extensions: { code: err.code, ...(err.details ? { details: err.details } : {}), ...(status ? { http: { status } } : {}) },
  });
}

/** GraphQL-level errors (parse, validation, bad variables) that are safe to show as they are. */
const CLIENT_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', ...Object.values(ErrorCode)]);

/**
 * Known errors keep their code and message; anything else is logged with its context and shown to
 * clients only as a generic INTERNAL error (no stack, no SQL, no paths).
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return { ...formatted, message: original.message, extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code) && !(original instanceof Error && !(original instanceof GraphQLError))) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    log.error({ err: original, path: formatted.path }, 'unexpected error while serving GraphQL');
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.Internal } };
  };
}
