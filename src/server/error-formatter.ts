import { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { Logger } from '../logger';
import { RequestContext } from '../resolvers/request-context';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { [ErrorCode.Unauthenticated]: 401, [ErrorCode.TooManyRequests]: 429 };

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

/** Longest message a client gets back: the messages name what was wrong, and never echo megabytes of it. */
export const MAX_MESSAGE_LENGTH = 1000;

/** The message, cut to MAX_MESSAGE_LENGTH (not inside a character), saying how long it was. */
export function shortMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_LENGTH) return message;
  let end = MAX_MESSAGE_LENGTH;
  if (/[\uD800-\uDBFF]/.test(message[end - 1])) end--;
  return `${message.slice(0, end)}… (cut: ${message.length} characters)`;
}

/** How much of a request's variables and query an internal-error log line keeps. */
const LOGGED_CHARS = 2000;

/** The variables as they are when small; else their JSON's start, so one bad request cannot write megabytes to the log. */
export function variablesForLog(variables: Record<string, unknown> | undefined): unknown {
  if (!variables) return variables;
  const json = JSON.stringify(variables);
  return json.length <= LOGGED_CHARS ? variables : { cut: true, chars: json.length, start: json.slice(0, LOGGED_CHARS) };
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
              variables: variablesForLog(request.variables), query: request.query?.slice(0, LOGGED_CHARS),
            }, 'unexpected error while serving GraphQL');
          }
        },
      };
    },
  };
}

/** graphql-js ends a message with its guesses from the schema: ` Did you mean "products"?`. */
const SUGGESTION = / ?Did you mean .+\?$/s;

/**
 * Known errors keep their code and message; anything else is shown to clients only as a generic
 * INTERNAL error (no stack, no SQL, no paths). With `hideSuggestions` (nobody may ask the schema:
 * GRAPHQL_INTROSPECTION=off) the "Did you mean …" guesses of validation and variable errors go too,
 * since they would spell the schema out field by field.
 */
export function createErrorFormatter(log: Logger, options: { hideSuggestions?: boolean } = {}) {
  const shown = (message: string) => (options.hideSuggestions ? message.replace(SUGGESTION, '') : message);
  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const tokens = formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? /Document contains more tha[nt] (\d+) tokens/.exec(formatted.message) : null;
    if (tokens) {
      // graphql-js's own limit (parseOptions.maxTokens; its message says "more that"), answered like every other query limit.
      const maxTokens = Number(tokens[1]);
      return {
        message: `the query has more than ${maxTokens} tokens (names, values, punctuation); at most ${maxTokens} are allowed: ask for fewer fields or aliases`,
        extensions: { code: ErrorCode.BadUserInput, details: { maxTokens } },
      };
    }
    const original = unwrapResolverError(error);
    if (original instanceof DomainError && original.code !== ErrorCode.Internal) {
      return { ...formatted, message: original.message, extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) } };
    }
    if (!isInternal(formatted.extensions?.code, error)) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, message: shown(formatted.message), extensions };
    }
    if (!(typeof original === 'object' && original !== null && logged.has(original))) {
      log.error({ err: original, path: formatted.path }, 'unexpected error while serving GraphQL');
    }
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.Internal } };
  };
  // Messages that quote a value (graphql-js's "got invalid value …", a name refused by validation) are cut.
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    return result.message.length > MAX_MESSAGE_LENGTH ? { ...result, message: shortMessage(result.message) } : result;
  };
}

/** What express.json (body-parser, through http-errors) puts on the errors it raises. */
interface HttpError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
  length?: number;
  limit?: number;
}

/** The shape Apollo answers HTTP-level failures with, so clients need one error parser. */
export const httpErrorBody = (message: string, code: ErrorCode) => ({ errors: [{ message, extensions: { code } }] });

function clientMessage(e: HttpError): string {
  switch (e.type) {
    case 'entity.parse.failed':
      return `the request body is not valid JSON (${e.message}); send {"query": "...", "variables": {...}} with Content-Type: application/json`;
    case 'entity.too.large':
      return `the request body${e.length ? ` (${e.length} bytes)` : ''} is over the ${e.limit ?? 'size'}-byte limit of /graphql; `
        + 'send smaller variables or split the request';
    default:
      return e.message ?? 'bad request';
  }
}

/**
 * The last middleware: errors Express would render as an HTML page (with the stack and install
 * paths outside production) are answered as JSON instead. Client errors (malformed or oversized
 * body, unsupported charset or encoding) keep their 4xx status and a message; anything else is
 * logged and answered "Internal server error", as GraphQL errors are.
 */
export function httpErrorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const e: HttpError = typeof err === 'object' && err !== null ? err : {};
    const status = e.status ?? e.statusCode ?? 500;
    if (status >= 400 && status < 500 && e.expose !== false) {
      res.status(status).json(httpErrorBody(shortMessage(clientMessage(e)), ErrorCode.BadRequest));
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unexpected error while serving HTTP');
    res.status(500).json(httpErrorBody('Internal server error', ErrorCode.Internal));
  };
}

/** After every route: a JSON 404 rather than Express's HTML "Cannot GET". */
export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json(httpErrorBody(
    `nothing at ${req.method} ${req.path.slice(0, 200)}: the API is POST /graphql, the IDE /graphiql, probes /healthz and /readyz, metrics /metrics`,
    ErrorCode.NotFound,
  ));
};
