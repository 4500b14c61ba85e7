/** Every failure the service expects carries one of these codes; one place maps them to GraphQL. */
export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  Conflict = 'CONFLICT',
  /** Busy or not ready now (e.g. a load holds the lock): the same request may succeed later. */
  Unavailable = 'UNAVAILABLE',
  /** The caller has as many requests in flight as it may (HTTP 429, Retry-After): retry when one is answered. */
  TooManyRequests = 'TOO_MANY_REQUESTS',
  Internal = 'INTERNAL',
  /** The HTTP request itself is unusable (body not JSON, too large, unknown charset); Apollo uses the same code for its own. */
  BadRequest = 'BAD_REQUEST',
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.BadUserInput, message, details);
export const notFound = (message: string) => new DomainError(ErrorCode.NotFound, message);
export const forbidden = (message: string) => new DomainError(ErrorCode.Forbidden, message);
