import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import helmet from 'helmet';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ANONYMOUS_PRINCIPAL, Principal, authenticate } from '../auth/principal';
import { AppConfig } from '../config/config';
import { DataLoaderRegistry } from '../dataloaders/bu-dataloaders';
import { pendingMigrations, readMigrations } from '../db/migrations-runner';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { LockReport } from '../loaders/load-watchdog';
import { Logger } from '../logger';
import { graphqlMetricsPlugin } from '../metrics/graphql-metrics.plugin';
import { Caller, RequestContext } from '../resolvers/request-context';
import { Services } from '../services/services';
import { CostBudget, budgetSpent } from './cost-budget';
import { createErrorFormatter, httpErrorBody, httpErrorHandler, internalErrorLogPlugin, notFoundHandler, toGraphQLError } from './error-formatter';
import { graphiqlRouter } from './graphiql-page';
import { graphqlSchema } from './graphql-schema';
import { InFlightLimiter, tooManyRequests } from './in-flight-limiter';
import { anonymousIntrospectionPlugin, introspectionRules } from './introspection-policy';
import { metricsHandler } from './metrics-endpoint';
import { MAX_QUERY_COMPLEXITY, MAX_TOKENS, boundedStringify, queryLimitsPlugin } from './query-limits';

export interface RunningServer {
  url: string;
  port: number;
  /** Where /metrics is served: on the API port, or on METRICS_PORT's own listener. */
  metricsUrl: string;
  close(): Promise<void>;
}

/**
 * HTTP around the GraphQL API: /graphql, /graphiql (the IDE, self-hosted), /healthz (process up),
 * /readyz (database and migrations), /metrics (Prometheus).
 */
export async function startHttpServer(config: AppConfig, services: Services, log: Logger, migrationsDir: string): Promise<RunningServer> {
  const app = express();
  // Express hashes every body it sends for an ETag: a page of 100 products is ~0.4 MB of SHA-1 per
  // answer, for a header no POST of GraphQL and no probe ever revalidates against.
  app.set('etag', false);
  const httpServer = http.createServer(app);
  const schema = await graphqlSchema();
  const budget = new CostBudget(config.graphqlLimits.costPerKeyPerSecond, MAX_QUERY_COMPLEXITY);
  const apollo = new ApolloServer<RequestContext>({
    schema,
    // Nobody may ask the schema, so errors do not guess from it either.
    formatError: createErrorFormatter(log, { hideSuggestions: config.graphqlIntrospection === 'off' }),
    includeStacktraceInErrorResponses: false,
    // A 1 MB body of fields is refused while parsing, before it becomes a syntax tree.
    parseOptions: { maxTokens: MAX_TOKENS },
    stringifyResult: boundedStringify(config.graphqlLimits.maxResponseBytes),
    // The service stops Apollo itself, in order, on SIGTERM/SIGINT (main.ts); Apollo's own handlers
    // would race that shutdown and re-raise the signal.
    stopOnTerminationSignals: false,
    // Apollo's default follows NODE_ENV (off in production, for everyone). GRAPHQL_INTROSPECTION
    // decides instead: its rules and the anonymous plugin below refuse what it does not allow.
    introspection: true,
    validationRules: introspectionRules(config.graphqlIntrospection),
    plugins: [
      anonymousIntrospectionPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's own landing page loads from a CDN; GraphiQL is served from /graphiql instead.
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are served (answers change with every load): Apollo's cache control would
      // otherwise hook every field of every answer (a list of 100 products is thousands of calls).
      ApolloServerPluginCacheControlDisabled(),
      queryLimitsPlugin(schema, { budget }),
      internalErrorLogPlugin(log),
      graphqlMetricsPlugin(),
    ],
  });
  await apollo.start();

  app.use(securityHeaders());
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // On the API port unless METRICS_PORT gives it a listener of its own (started below).
  if (config.metrics.port === undefined) app.get('/metrics', metricsHandler(config, 'api-port'));
  // The migration files cannot change under a running process: listed once, not on every probe.
  const migrations = readMigrations(migrationsDir);
  // Load passes refresh the folder reports every poll; a probe lists the source itself only when
  // no report is that recent (polling off, a long pass), and then at most once per few seconds.
  const folderReportMaxAgeMs = Math.max(5_000, 2 * config.loadPollIntervalMs);
  /**
   * Ready means the API can serve: database reachable, migrations applied. A BU whose source folder
   * is missing or empty does not make it unready (taking the instance out of service would not
   * bring the folder back, and the stored data is still served), but the detail says so.
   *
   * Probes carry no key, and the detail names database hosts, buckets and business units: a caller
   * without a valid key gets the status alone (the cause is logged); a key gets the detail of the
   * business units it may use. Open mode (no API_KEYS, loopback only) shows everything.
   */
  app.get('/readyz', async (req, res) => {
    let caller: Principal | null = null;
    try {
      caller = authenticate(req.headers.authorization, config.apiKeys);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
    }
    const units = config.businessUnits.filter((bu) => !caller?.businessUnits || caller.businessUnits.includes(bu.code));
    const detail = async () => {
      const reports = await Promise.all(units.map((bu) => services.folders.current(bu, folderReportMaxAgeMs)));
      const loading = units.map((bu) => ({ bu: bu.code, report: services.watchdog?.report(bu) }));
      return {
        warnings: [
          ...reports.flatMap((r) => r.warnings.map((w) => `${r.businessUnit}: ${w}`)),
          ...loading.filter((l) => l.report?.stalled).map(({ bu, report }) => `${bu}: loading makes no progress: the session holding its loader lock `
            + `(pid ${report!.holder!.pid}, ${report!.holder!.applicationName}) has been ${report!.holder!.state} for ${Math.round(report!.holder!.secondsInState)} s`),
        ],
        businessUnits: reports.map((r, i) => ({
          code: r.businessUnit, folder: r.folder, productFiles: r.productFiles, channelFile: r.channelFile, warnings: r.warnings, checkedAt: r.checkedAt,
          loading: loadingDetail(loading[i].report),
        })),
      };
    };
    try {
      await services.db.query('SELECT 1');
      // The status is the instance's, the same for every caller; the detail is the caller's.
      const pending = (await Promise.all(config.businessUnits.map(async (bu) => ({ bu: bu.code, pending: await pendingMigrations(services.db, bu, migrations) }))))
        .filter((p) => p.pending.length);
      if (pending.length) {
        log.warn({ pending }, 'not ready: migrations pending');
        const shown = pending.filter((p) => units.some((u) => u.code === p.bu));
        res.status(503).json(caller ? { status: 'migrations pending', pending: shown, ...(await detail()) } : { status: 'migrations pending' });
      } else {
        res.json(caller ? { status: 'ready', ...(await detail()) } : { status: 'ready' });
      }
    } catch (err) {
      log.warn({ err }, 'not ready: the database is unreachable');
      res.status(503).json(caller ? { status: 'database unreachable', error: (err as Error).message, ...(await detail()) } : { status: 'database unreachable' });
    }
  });
  app.use(graphiqlRouter());
  app.get('/', (_req, res) => res.redirect('/graphiql'));
  // A browser opening /graphql gets the IDE; API clients (POST, or GET asking for JSON) get the API.
  app.get('/graphql', (req, res, next) => (req.accepts(['application/json', 'html']) === 'html' ? res.redirect('/graphiql') : next()));
  // Cross-origin browser calls only from CORS_ORIGINS (default none). Same-origin pages such as
  // GraphiQL need no CORS; server-to-server clients ignore it.
  const corsOptions = { origin: config.corsOrigins === '*' ? '*' : config.corsOrigins.length ? [...config.corsOrigins] : false, maxAge: 600 };
  const parseBody = express.json({ limit: '1mb' });
  const graphql = expressMiddleware(apollo, {
    context: async ({ req, res }) => {
      let principal: Principal;
      let unauthenticated: DomainError | undefined;
      try {
        principal = authenticate(req.headers.authorization, config.apiKeys);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        // GRAPHQL_INTROSPECTION=on: the schema is public; anything else still gets this 401.
        if (config.graphqlIntrospection !== 'on') throw toGraphQLError(err);
        principal = ANONYMOUS_PRINCIPAL;
        unauthenticated = err;
      }
      const caller = res.locals.caller as Caller;
      return { principal, unauthenticated, config, services, dataloaders: new DataLoaderRegistry(services.db), log, caller };
    },
  });
  // Whose slot a request takes: its API key's; without a valid key (or with the API open), its address's.
  const callerOf = (req: express.Request): Caller => {
    if (config.apiKeys.length) {
      try {
        const { name } = authenticate(req.headers.authorization, config.apiKeys);
        return { id: `key ${name}`, name: `the API key ${name}` };
      } catch (err) {
        // No valid key (answered 401 later): counted by address, like a caller of an open API.
        if (!(err instanceof DomainError)) throw err;
      }
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    return { id: `address ${address}`, name: `the address ${address}` };
  };
  const inFlight = new InFlightLimiter(config.graphqlLimits.maxInFlightPerKey, 'GRAPHQL_MAX_IN_FLIGHT_PER_KEY');
  // The slot is taken and the body paid for before the body is read, so a caller's excess requests cost no parsing either.
  app.use('/graphql', cors(corsOptions), inFlight.wrap(callerOf, async (req, res, caller) => {
    const wait = await budget.spend(caller.id, CostBudget.bodyPoints(req.headers['content-length']));
    if (wait !== null) {
      tooManyRequests(res, budgetSpent(caller, budget, wait), wait);
      return;
    }
    res.locals.caller = caller;
    await new Promise<void>((resolve, reject) => parseBody(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    await graphql(req, res, () => undefined);
  }));
  app.use(notFoundHandler);
  app.use(httpErrorHandler(log));

  let metricsServer: http.Server | null = null;
  try {
    await listen(httpServer, config.port, config.host, { port: 'PORT', host: 'HOST' });
    if (config.metrics.port !== undefined) {
      const metricsApp = express();
      metricsApp.disable('x-powered-by');
      metricsApp.get('/metrics', metricsHandler(config, 'own-port'));
      metricsApp.use((req, res) => {
        res.status(404).json(httpErrorBody(`nothing at ${req.method} ${req.path.slice(0, 200)}: this listener (METRICS_PORT) serves GET /metrics only`, ErrorCode.NotFound));
      });
      metricsApp.use(httpErrorHandler(log));
      metricsServer = http.createServer(metricsApp);
      await listen(metricsServer, config.metrics.port, config.metrics.host, { port: 'METRICS_PORT', host: 'METRICS_HOST' });
    }
  } catch (err) {
    // The stop releases Apollo and closes the API listener if it was started (the drain plugin).
    await apollo.stop().catch(() => undefined);
    throw err;
  }
  const { port } = httpServer.address() as AddressInfo;
  const urlOf = (h: string, p: number, path: string) => `http://${h === '0.0.0.0' ? 'localhost' : h}:${p}${path}`;
  const url = urlOf(config.host, port, '/graphql');
  return {
    url,
    port,
    metricsUrl: metricsServer ? urlOf(config.metrics.host, (metricsServer.address() as AddressInfo).port, '/metrics') : urlOf(config.host, port, '/metrics'),
    async close() {
      const closing = metricsServer && new Promise<void>((resolve) => { metricsServer!.close(() => resolve()); metricsServer!.closeAllConnections(); });
      await apollo.stop();
      await closing;
    },
  };
}

/**
 * helmet's headers on every answer (no X-Powered-By; nosniff, no framing, a CSP), with a policy
 * cut to what the one HTML page, the self-hosted GraphiQL, needs: its scripts are files from this
 * origin (no inline script, no eval in the bundles); its components insert <style> elements at run
 * time (react-remove-scroll, no nonce support), hence 'unsafe-inline' for styles only; its fonts
 * and images are data: URIs in the CSS; it calls /graphql on the same origin. No HSTS and no
 * upgrade-insecure-requests: the service speaks plain HTTP, and whatever terminates TLS in front
 * of it decides those for the whole host.
 */
function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  });
}

/** listen(), failing with what to do instead of a raw EADDRINUSE stack. */
function listen(server: http.Server, port: number, host: string, variables: ListenVariables): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new Error(listenFailure(err, port, host, variables), { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** The settings that choose a listener's port and address, named in its failures. */
interface ListenVariables { port: string; host: string }

function listenFailure(err: NodeJS.ErrnoException, port: number, host: string, { port: portVariable, host: hostVariable }: ListenVariables): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is in use: another pim-accumulator? set ${portVariable}`;
    case 'EACCES':
      return `port ${port} on ${host} needs privileges this process does not have: set ${portVariable} to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${host}: it is not an address of this machine; set ${hostVariable} (0.0.0.0 for every interface)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${host}: the name does not resolve; set ${hostVariable}`;
    default:
      return `cannot listen on ${host}:${port}: ${err.message}`;
  }
}

/** A business unit's loader lock as the watchdog last saw it, for /readyz (checkedAt null before its first check). */
function loadingDetail(report: LockReport | undefined) {
  if (!report) return { stalled: false, checkedAt: null, lock: null };
  const { holder, stalled, checkedAt } = report;
  return {
    stalled, checkedAt,
    lock: holder && { pid: holder.pid, applicationName: holder.applicationName, state: holder.state, secondsInState: Math.round(holder.secondsInState) },
  };
}
