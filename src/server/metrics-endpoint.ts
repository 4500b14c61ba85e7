import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { authenticate } from '../auth/principal';
import { AppConfig } from '../config/config';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { registry } from '../metrics/metrics';
import { httpErrorBody } from './error-formatter';

/** Who may read /metrics, in words: the start banner and the 401 say it. */
export function metricsAccessText(config: Pick<AppConfig, 'metrics' | 'apiKeys'>): string {
  if (config.metrics.token) return 'METRICS_TOKEN as a bearer token';
  if (config.metrics.port !== undefined) return `anyone who reaches ${config.metrics.host} (METRICS_HOST)`;
  return config.apiKeys.length ? 'any API key' : 'anyone (the API is open: no API_KEYS)';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Same time whatever the guess: digests have one length, so timingSafeEqual always compares. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * GET /metrics in Prometheus' text format, behind the access METRICS_* chose: METRICS_TOKEN set,
 * that token and nothing else (Prometheus then holds a credential that reads metrics only, not the
 * catalogue); else on its own listener (METRICS_PORT) nothing, as the listener's address is the
 * boundary; else on the API port what the API needs, so an API that takes keys never shows its
 * metrics to a caller without one.
 */
export function metricsHandler(config: Pick<AppConfig, 'metrics' | 'apiKeys'>, on: 'api-port' | 'own-port'): RequestHandler {
  const { token } = config.metrics;
  const allowed = (authorization: string | undefined): boolean => {
    if (token) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
      return given !== undefined && sameSecret(given, token);
    }
    if (on === 'own-port') return true;
    try {
      authenticate(authorization, config.apiKeys);
      return true;
    } catch (err) {
      if (err instanceof DomainError) return false;
      throw err;
    }
  };
  const refusal = httpErrorBody(`/metrics needs ${metricsAccessText(config)}: send "Authorization: Bearer <${token ? 'METRICS_TOKEN' : 'API key'}>"`,
    ErrorCode.Unauthenticated);
  return async (req, res, next) => {
    try {
      if (!allowed(req.headers.authorization)) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').json(refusal);
        return;
      }
      res.type(registry.contentType).send(await registry.metrics());
    } catch (err) {
      next(err);
    }
  };
}
