import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { BusinessUnit, makeBusinessUnit } from './business-unit';
import { Location, localLocation, parseLocation } from './location';

/**
 * The ceiling of LOAD_MAX_NESTING_DEPTH. Every step that walks a value recursively (JSON.stringify
 * for the content hash and the jsonb parameters, the surrogate check, PostgreSQL's jsonb parser,
 * to_jsonb for the history, the export's rendering) was measured to cope with several thousand
 * levels; a line within this ceiling stays far from all of them.
 */
export const MAX_NESTING_DEPTH_CEILING = 1000;

export type Role = 'reader' | 'operator' | 'admin';

export interface ApiKey {
  /**
   * SHA-256 of the key: a key given in clear is hashed when the configuration is read, a key given
   * as `sha256:<hex>` never was in the environment. Callers' keys are hashed and compared with it
   * in constant time.
   */
  readonly digest: Buffer;
  /** Shown in logs and as `requestedBy`: never the key itself. */
  readonly name: string;
  readonly role: Role;
  /** BU codes this key may use; null = every BU. */
  readonly businessUnits: readonly string[] | null;
}

export interface LoaderLimits {
  /** A file fails when it has more than this many bad lines... */
  readonly maxBadLines: number;
  /** ...and more than this fraction of its lines are bad. */
  readonly maxBadRatio: number;
  /** A longer line is quarantined without being held in memory. */
  readonly maxLineBytes: number;
  /** A loader-lock holder that stays in one state longer than this is stalled (0: never). */
  readonly stallSeconds: number;
  /**
   * A line nesting arrays and objects deeper than this is quarantined before anything walks it
   * (hashing and PostgreSQL's jsonb parser recurse); a deeper AttributeFile fails as unreadable.
   */
  readonly maxNestingDepth: number;
  /** While a file is written, a second connection merges the attribute indexes' pending lists this often (0: never). */
  readonly indexCleanIntervalMs: number;
}

export interface AppConfig {
  /** Undefined: the service uses an embedded PostgreSQL (`embedded`). */
  readonly databaseUrl?: string;
  /**
   * The role that owns the schemas and runs the migrations; the service itself then runs as
   * DATABASE_URL's role with only the privileges of src/db/runtime-access.ts. Undefined: one role.
   */
  readonly migrationDatabaseUrl?: string;
  readonly source: Location;
  readonly exportTarget: Location;
  readonly businessUnits: readonly BusinessUnit[];
  readonly host: string;
  readonly port: number;
  readonly apiKeys: readonly ApiKey[];
  readonly s3: { readonly endpoint?: string; readonly forcePathStyle: boolean; readonly region: string };
  readonly loadPollIntervalMs: number;
  readonly logLevel: string;
  /** The embedded PostgreSQL (used when `databaseUrl` is unset). */
  readonly embedded: EmbeddedDatabaseSettings;
  /** Connections of the shared pool; each BU also gets a read-only pool of a quarter of it (at least 2). */
  readonly databasePoolSize: number;
  /** Bounds on every database session (src/db/database.ts SessionLimits). */
  readonly databaseLimits: { readonly statementTimeoutMs: number; readonly clientCheckIntervalMs: number };
  readonly loader: LoaderLimits;
  readonly export: ExportSettings;
  readonly projectRoot: string;
  /** Browser origins allowed to call /graphql cross-origin: a list, '*' for any, empty for none (same origin only). */
  readonly corsOrigins: readonly string[] | '*';
  /** Who may ask the schema (`__schema`, `__type`): see GraphqlIntrospection. Never taken from NODE_ENV. */
  readonly graphqlIntrospection: GraphqlIntrospection;
  /** Where /metrics is served and who may read it. */
  readonly metrics: MetricsSettings;
  readonly graphqlLimits: GraphqlLimits;
}

/** What one caller may hold of the API at a time (the query limits themselves are in src/server/query-limits.ts). */
export interface GraphqlLimits {
  /** Requests of one API key (or one address, without a valid key) served at a time; one more gets HTTP 429. */
  readonly maxInFlightPerKey: number;
  /** A response whose JSON is larger is not sent: the client gets a BAD_USER_INPUT error instead. */
  readonly maxResponseBytes: number;
  /** Work (query cost units, src/server/query-limits.ts) one key may have the service do per second, on average. */
  readonly costPerKeyPerSecond: number;
}

/**
 * METRICS_PORT, METRICS_HOST, METRICS_TOKEN. By default /metrics is on the API port and needs what
 * the API needs: nothing while the API is open (no API_KEYS, loopback only), else a valid API key.
 */
export interface MetricsSettings {
  /** A listener of its own for /metrics (which then leaves the API port); undefined: the API port. 0: any free port. */
  readonly port?: number;
  /** The address of that listener. */
  readonly host: string;
  /** The bearer token /metrics then needs, and nothing else does; undefined: see MetricsSettings. */
  readonly token?: string;
}

export interface EmbeddedDatabaseSettings {
  /** Its data folder is `dataDir`/pg. */
  readonly dataDir: string;
  /** False when DATA_DIR is unset: as root, an unreachable default may then move to /var/lib. */
  readonly dataDirChosen: boolean;
  readonly port: number;
  /** False when EMBEDDED_PG_PORT is unset: a taken default port is then replaced by a free one. */
  readonly portChosen: boolean;
}

/**
 * GRAPHQL_INTROSPECTION. `authenticated`: every caller the API accepts, i.e. callers with a valid
 * key when API_KEYS is set (the others get 401 before anything runs), everyone when it is not (the
 * API is then open, on loopback). `on`: also callers without a key, for queries that ask only the
 * schema (for code generators in CI); data still needs a key. `off`: nobody.
 */
export type GraphqlIntrospection = 'authenticated' | 'on' | 'off';

export interface ExportSettings {
  /** How often this process's export worker looks for queued jobs (0: no worker in this process). */
  readonly pollIntervalMs: number;
  /** Lifetime of the pre-signed download URLs of exported files on S3. */
  readonly downloadUrlExpirySeconds: number;
  /** Export jobs a BU may have QUEUED or RUNNING at once; a request beyond it is refused as busy. */
  readonly maxQueued: number;
}

/**
 * A nightly run, a person's run and one retry fit; more is a client gone wrong (a loop, 20
 * aliases of requestExport in one request), and each job is a full export.
 */
export const DEFAULT_EXPORT_MAX_QUEUED = 3;

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string) {
    super(`configuration: ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

const intVar = (min: number) => z.coerce.number().int().min(min);
const boolVar = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const introspectionVar = z.string().transform((v) => v.toLowerCase())
  .pipe(z.enum(['authenticated', 'on', 'true', 'off', 'false'], { error: 'expected authenticated, on (or true) or off (or false)' }))
  .transform((v): GraphqlIntrospection => (v === 'true' ? 'on' : v === 'false' ? 'off' : v));

function parse<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T>, fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const result = schema.safeParse(raw.trim());
  if (!result.success) throw new ConfigError(name, result.error.issues.map((i) => i.message).join('; ') + ` (got "${raw}")`);
  return result.data;
}

function parseWith<T>(env: NodeJS.ProcessEnv, name: string, fn: (raw: string) => T, fallback: () => T): T {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback();
  try {
    return fn(raw.trim());
  } catch (err) {
    throw new ConfigError(name, (err as Error).message);
  }
}

/** `bak,cefl,gem=gemaire` → business units; codes are case-insensitive, folder defaults to upper case. */
export function parseBusinessUnits(raw: string): BusinessUnit[] {
  const units = raw.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const [code, folder] = entry.split('=');
    return makeBusinessUnit(code, folder);
  });
  if (units.length === 0) throw new Error('no business unit given');
  const seen = new Set<string>();
  for (const u of units) {
    if (seen.has(u.code)) throw new Error(`business unit "${u.code}" is listed twice`);
    seen.add(u.code);
  }
  return units;
}

export const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * `key:role[:bu1+bu2]` or `sha256:<64 hex digits of the key's SHA-256>:role[:bu1+bu2]` entries,
 * comma separated.
 */
export function parseApiKeys(raw: string, units: readonly BusinessUnit[]): ApiKey[] {
  const keys = raw.split(',').map((s) => s.trim()).filter(Boolean).map((entry, index): ApiKey => {
    const parts = entry.split(':');
    let digest: Buffer;
    if (parts[0].toLowerCase() === 'sha256') {
      const hex = parts[1] ?? '';
      if (!/^[0-9a-f]{64}$/i.test(hex)) {
        throw new Error(`key #${index + 1}: sha256: must be followed by the 64 hex digits of the key's SHA-256 digest (printf %s "$KEY" | sha256sum)`);
      }
      digest = Buffer.from(hex, 'hex');
      parts.splice(0, 2, hex);
    } else {
      if (!parts[0] || parts[0].length < 8) throw new Error(`key #${index + 1} is shorter than 8 characters`);
      digest = sha256(parts[0]);
    }
    const [, role, bus] = parts;
    if (role !== 'reader' && role !== 'operator' && role !== 'admin') {
      throw new Error(`key #${index + 1} has role "${role ?? ''}"; expected reader, operator or admin`);
    }
    let scoped: string[] | null = null;
    if (bus) {
      scoped = bus.split('+').map((b) => b.trim().toLowerCase()).filter(Boolean);
      const unknown = scoped.filter((b) => !units.some((u) => u.code === b));
      if (unknown.length) throw new Error(`key #${index + 1} names unknown business unit(s) ${unknown.join(', ')}`);
    }
    return { digest, role, businessUnits: scoped, name: `key#${index + 1}(${role})` };
  });
  // The same key twice (in clear and as its digest, say) would answer with whichever came first.
  keys.forEach((k, i) => {
    const first = keys.findIndex((other) => other.digest.equals(k.digest));
    if (first < i) throw new Error(`key #${i + 1} is the same key as #${first + 1}`);
  });
  return keys;
}

/** `*`, or a comma list of origins (`scheme://host[:port]`, no path), e.g. `https://pim.example.com,http://localhost:3000`. */
export function parseCorsOrigins(raw: string): string[] | '*' {
  if (raw === '*') return '*';
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`"${entry}" is not an origin: expected scheme://host[:port], e.g. https://pim.example.com`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.origin !== entry) {
      throw new Error(`"${entry}" is not an origin: expected http(s)://host[:port] with no path or trailing slash (${url.origin})`);
    }
    return entry;
  });
}

/** Reads and validates the whole configuration; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const projectRoot = env.PIM_PROJECT_ROOT?.trim() || PROJECT_ROOT;
  const businessUnits = parseWith(env, 'BUSINESS_UNITS', parseBusinessUnits, () => parseBusinessUnits('bak'));
  const apiKeys = parseWith(env, 'API_KEYS', (raw) => parseApiKeys(raw, businessUnits), () => []);
  const postgresUrl = (raw: string) => {
    if (!/^postgres(ql)?:\/\//.test(raw)) throw new Error('expected postgres://user:password@host:port/database');
    return raw;
  };
  const databaseUrl = parseWith<string | undefined>(env, 'DATABASE_URL', postgresUrl, () => undefined);
  const migrationDatabaseUrl = parseWith<string | undefined>(env, 'MIGRATION_DATABASE_URL', postgresUrl, () => undefined);
  if (migrationDatabaseUrl && !databaseUrl) {
    throw new ConfigError('MIGRATION_DATABASE_URL', 'needs DATABASE_URL too (the embedded PostgreSQL makes its own two roles)');
  }
  const port = parse(env, 'PORT', intVar(0).max(65535), 4000);
  return {
    databaseUrl,
    migrationDatabaseUrl,
    source: parseWith(env, 'SOURCE_URL', parseLocation, () => localLocation(path.join(projectRoot, 'samples', 'bucket'))),
    exportTarget: parseWith(env, 'EXPORT_URL', parseLocation, () => localLocation(path.join(projectRoot, 'exports'))),
    businessUnits,
    // Without API keys the API is open, so it only listens on loopback.
    host: parse(env, 'HOST', z.string().min(1), apiKeys.length ? '0.0.0.0' : '127.0.0.1'),
    port,
    apiKeys,
    s3: {
      endpoint: parse<string | undefined>(env, 'S3_ENDPOINT', z.string().url(), undefined),
      forcePathStyle: parse(env, 'S3_FORCE_PATH_STYLE', boolVar, false),
      region: parse(env, 'AWS_REGION', z.string(), env.AWS_DEFAULT_REGION?.trim() || 'us-east-1'),
    },
    loadPollIntervalMs: parse(env, 'LOAD_POLL_INTERVAL_MS', intVar(0), 60_000),
    logLevel: parse(env, 'LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    embedded: {
      dataDir: parse(env, 'DATA_DIR', z.string().min(1), path.join(projectRoot, '.data')),
      dataDirChosen: !!env.DATA_DIR?.trim(),
      port: parse(env, 'EMBEDDED_PG_PORT', intVar(1).max(65535), 54329),
      portChosen: !!env.EMBEDDED_PG_PORT?.trim(),
    },
    databasePoolSize: parse(env, 'DATABASE_POOL_SIZE', intVar(2).max(500), 12),
    databaseLimits: {
      statementTimeoutMs: parse(env, 'DATABASE_STATEMENT_TIMEOUT_MS', intVar(0), 300_000),
      clientCheckIntervalMs: parse(env, 'DATABASE_CLIENT_CHECK_INTERVAL_MS', intVar(0), 5_000),
    },
    loader: {
      maxBadLines: parse(env, 'LOAD_MAX_BAD_LINES', intVar(0), 10),
      maxBadRatio: parse(env, 'LOAD_MAX_BAD_RATIO', z.coerce.number().min(0).max(1), 0.01),
      maxLineBytes: parse(env, 'LOAD_MAX_LINE_BYTES', intVar(1024), 64 * 1024 * 1024),
      stallSeconds: parse(env, 'LOAD_STALL_SECONDS', intVar(0), 120),
      // inRiver lines nest about 7 levels (a product, its items, a resource, an attribute value).
      maxNestingDepth: parse(env, 'LOAD_MAX_NESTING_DEPTH', intVar(8).max(MAX_NESTING_DEPTH_CEILING), 64),
      indexCleanIntervalMs: parse(env, 'LOAD_INDEX_CLEAN_INTERVAL_MS', intVar(0), 300),
    },
    export: {
      pollIntervalMs: parse(env, 'EXPORT_POLL_INTERVAL_MS', intVar(0), 10_000),
      // S3 caps pre-signed URLs at 7 days.
      downloadUrlExpirySeconds: parse(env, 'EXPORT_DOWNLOAD_URL_EXPIRY_SECONDS', intVar(1).max(604_800), 3600),
      maxQueued: parse(env, 'EXPORT_MAX_QUEUED', intVar(1).max(1000), DEFAULT_EXPORT_MAX_QUEUED),
    },
    projectRoot,
    corsOrigins: parseWith<string[] | '*'>(env, 'CORS_ORIGINS', parseCorsOrigins, () => []),
    graphqlIntrospection: parse(env, 'GRAPHQL_INTROSPECTION', introspectionVar, 'authenticated'),
    metrics: parseMetrics(env, port),
    graphqlLimits: {
      maxInFlightPerKey: parse(env, 'GRAPHQL_MAX_IN_FLIGHT_PER_KEY', intVar(1).max(1000), 8),
      maxResponseBytes: parse(env, 'GRAPHQL_MAX_RESPONSE_BYTES', intVar(1024).max(512 * 1024 * 1024), 16 * 1024 * 1024),
      costPerKeyPerSecond: parse(env, 'GRAPHQL_COST_PER_KEY_PER_SECOND', intVar(100), 20_000),
    },
  };
}

function parseMetrics(env: NodeJS.ProcessEnv, apiPort: number): MetricsSettings {
  const port = parse<number | undefined>(env, 'METRICS_PORT', intVar(0).max(65535), undefined);
  if (port !== undefined && port !== 0 && port === apiPort) {
    throw new ConfigError('METRICS_PORT', `is the API's port (${port}); give /metrics a port of its own, or leave METRICS_PORT unset to serve it on the API port`);
  }
  return {
    port,
    host: parse(env, 'METRICS_HOST', z.string().min(1), '127.0.0.1'),
    // parseWith, not parse: a wrong token is not echoed into the error (it is a secret).
    token: parseWith<string | undefined>(env, 'METRICS_TOKEN', (raw) => {
      if (raw.length < 16) throw new Error(`must be at least 16 characters (it is ${raw.length}); e.g. openssl rand -hex 16`);
      if (/\s/.test(raw)) throw new Error('must not contain spaces');
      return raw;
    }, () => undefined),
  };
}
