import { createHash } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config/config';

const base = { PIM_PROJECT_ROOT: '/opt/pim' };

describe('configuration from the environment', () => {
  it('runs on embedded defaults with nothing set', () => {
    const c = loadConfig(base);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.source).toMatchObject({ kind: 'file', path: '/opt/pim/samples/bucket' });
    expect(c.exportTarget).toMatchObject({ kind: 'file', path: '/opt/pim/exports' });
    expect(c.businessUnits).toEqual([{ code: 'bak', schema: 'inriver_bak', sourceFolder: 'BAK' }]);
    expect(c.port).toBe(4000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.loadPollIntervalMs).toBe(60000);
    expect(c.databasePoolSize).toBe(12);
    expect(c.loader).toEqual({ maxBadLines: 10, maxBadRatio: 0.01, maxLineBytes: 64 * 1024 * 1024, maxNestingDepth: 64, stallSeconds: 120, indexCleanIntervalMs: 300 });
    expect(c.databaseLimits).toEqual({ statementTimeoutMs: 300_000, clientCheckIntervalMs: 5_000 });
    expect(c.export).toEqual({ pollIntervalMs: 10000, downloadUrlExpirySeconds: 3600, maxQueued: 3 });
    expect(loadConfig({ ...base, EXPORT_MAX_QUEUED: '10' }).export.maxQueued).toBe(10);
  });

  it('parses business units case-insensitively with folder overrides', () => {
    const c = loadConfig({ ...base, BUSINESS_UNITS: 'BAK, cefl ,ecm,gem=gemaire' });
    expect(c.businessUnits).toEqual([
      { code: 'bak', schema: 'inriver_bak', sourceFolder: 'BAK' },
      { code: 'cefl', schema: 'inriver_cefl', sourceFolder: 'CEFL' },
      { code: 'ecm', schema: 'inriver_ecm', sourceFolder: 'ECM' },
      { code: 'gem', schema: 'inriver_gem', sourceFolder: 'gemaire' },
    ]);
  });

  it('parses S3 and file locations', () => {
    const c = loadConfig({ ...base, SOURCE_URL: 's3://pim-bucket/inriver/exports/', EXPORT_URL: 'file:///srv/exports' });
    expect(c.source).toEqual({ kind: 's3', bucket: 'pim-bucket', prefix: 'inriver/exports', url: 's3://pim-bucket/inriver/exports' });
    expect(c.exportTarget).toMatchObject({ kind: 'file', path: '/srv/exports' });
  });

  it('parses API keys with roles and BU scopes, and listens on all interfaces when keys exist', () => {
    const c = loadConfig({ ...base, BUSINESS_UNITS: 'bak,gem', API_KEYS: 'aaaaaaaa1:reader,bbbbbbbb2:operator:bak+gem,cccccccc3:admin' });
    expect(c.apiKeys.map((k) => [k.role, k.businessUnits])).toEqual([['reader', null], ['operator', ['bak', 'gem']], ['admin', null]]);
    expect(c.host).toBe('0.0.0.0');
  });

  it('takes a key in clear or as the SHA-256 digest of it, and keeps only digests', () => {
    const digest = createHash('sha256').update('the-secret-key-1').digest('hex');
    const c = loadConfig({ ...base, BUSINESS_UNITS: 'bak,gem', API_KEYS: `plain-key-0001:reader,sha256:${digest}:operator:gem,SHA256:${'AB'.repeat(32)}:admin` });
    expect(c.apiKeys.map((k) => [k.name, k.role, k.businessUnits, k.digest.toString('hex')])).toEqual([
      ['key#1(reader)', 'reader', null, createHash('sha256').update('plain-key-0001').digest('hex')],
      ['key#2(operator)', 'operator', ['gem'], digest],
      ['key#3(admin)', 'admin', null, 'ab'.repeat(32)],
    ]);
    // The secret itself is kept nowhere in the configuration.
    expect(JSON.stringify(c)).not.toContain('plain-key-0001');
    expect(() => loadConfig({ ...base, API_KEYS: `the-secret-key-1:reader,sha256:${digest}:admin` }))
      .toThrow('configuration: API_KEYS: key #2 is the same key as #1');
    expect(() => loadConfig({ ...base, API_KEYS: `sha256:${digest.slice(1)}:reader` }))
      .toThrow(/^configuration: API_KEYS: key #1: sha256: must be followed by the 64 hex digits of the key's SHA-256 digest/);
  });

  it('decides GraphQL introspection itself (default: for callers the API accepts), whatever NODE_ENV says', () => {
    expect(loadConfig({ ...base, NODE_ENV: 'production' }).graphqlIntrospection).toBe('authenticated');
    expect([' On ', 'true', 'off', 'FALSE', 'authenticated'].map((v) => loadConfig({ ...base, GRAPHQL_INTROSPECTION: v }).graphqlIntrospection))
      .toEqual(['on', 'on', 'off', 'off', 'authenticated']);
  });

  it.each([
    ['GRAPHQL_INTROSPECTION', 'yes'],
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['SOURCE_URL', 'http://example.com/bucket'],
    ['EXPORT_URL', 'relative/path'],
    ['BUSINESS_UNITS', 'bak,bak'],
    ['BUSINESS_UNITS', '9lives'],
    ['API_KEYS', 'short:reader'],
    ['API_KEYS', 'longenoughkey:superuser'],
    ['API_KEYS', 'longenoughkey:reader:nope'],
    ['API_KEYS', 'sha256:not-hex:reader'],
    ['API_KEYS', `sha256:${'a'.repeat(64)}:root`],
    ['DATABASE_URL', 'mysql://x'],
    ['LOAD_POLL_INTERVAL_MS', '-5'],
    ['S3_FORCE_PATH_STYLE', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_POOL_SIZE', '1'],
    ['EXPORT_MAX_QUEUED', '0'],
    ['LOAD_MAX_NESTING_DEPTH', '7'],
    ['LOAD_MAX_NESTING_DEPTH', '1001'],
    ['METRICS_PORT', '4000'],
    ['METRICS_PORT', 'x'],
    ['METRICS_TOKEN', 'short'],
    ['GRAPHQL_MAX_IN_FLIGHT_PER_KEY', '0'],
    ['GRAPHQL_COST_PER_KEY_PER_SECOND', '10'],
    ['GRAPHQL_MAX_RESPONSE_BYTES', '100'],
  ])('stops with a message naming %s when it is %p', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(`^configuration: ${name}: `));
  });

  it('serves /metrics on the API port by default, or on METRICS_PORT (loopback unless METRICS_HOST), with METRICS_TOKEN if set', () => {
    expect(loadConfig(base).metrics).toEqual({ port: undefined, host: '127.0.0.1', token: undefined });
    expect(loadConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5', METRICS_TOKEN: 'a-long-enough-token' }).metrics)
      .toEqual({ port: 9464, host: '10.0.0.5', token: 'a-long-enough-token' });
    // A secret is not echoed into the error that refuses it.
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'secret-but-short' })).not.toThrow();
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'tooshort1' })).toThrow(/^configuration: METRICS_TOKEN: must be at least 16 characters \(it is 9\)/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'tooshort1' })).not.toThrow(/tooshort1/);
  });

  it('bounds what one API key may hold of the API: requests in flight, work a second, response size', () => {
    expect(loadConfig(base).graphqlLimits).toEqual({ maxInFlightPerKey: 8, costPerKeyPerSecond: 20_000, maxResponseBytes: 16 * 1024 * 1024 });
    expect(loadConfig({ ...base, GRAPHQL_MAX_IN_FLIGHT_PER_KEY: '2', GRAPHQL_COST_PER_KEY_PER_SECOND: '50000', GRAPHQL_MAX_RESPONSE_BYTES: '1048576' }).graphqlLimits)
      .toEqual({ maxInFlightPerKey: 2, costPerKeyPerSecond: 50_000, maxResponseBytes: 1024 * 1024 });
  });
});
