import 'reflect-metadata';
import { startApp } from './app';
import { loadConfigOrExit } from './cli/cli-runtime';
import { folderBannerLines } from './loaders/source/folder-check';
import { createLogger } from './logger';
import { metricsAccessText } from './server/metrics-endpoint';

const SHUTDOWN_GRACE_MS = 30_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel);
  const app = await startApp(config, log);
  const open = config.apiKeys.length === 0;
  const banner = [
    'pim-accumulator is running',
    `  GraphQL:         ${app.server.url}`,
    `  GraphiQL:        ${app.server.url.replace(/\/graphql$/, '/graphiql')}   (health: /healthz, /readyz)`,
    `  metrics:         ${app.server.metricsUrl}   (for ${metricsAccessText(config)})`,
    `  database:        ${app.database.description}`,
    `  source:          ${config.source.url}`,
    `  exports:         ${config.exportTarget.url}`,
    '  business units:',
    // Listed now: a folder that is missing or empty loads nothing and fails nothing.
    ...folderBannerLines(config.businessUnits, await Promise.all(config.businessUnits.map((bu) => app.folders.check(bu)))),
    `  polling every:   ${config.loadPollIntervalMs ? `${config.loadPollIntervalMs / 1000}s` : 'never (LOAD_POLL_INTERVAL_MS=0)'}`,
    open
      ? '  !! API_KEYS is not set: the API is OPEN to anyone who can reach it; listening on 127.0.0.1 only !!'
      : `  API keys:        ${config.apiKeys.length} configured; listening on ${config.host}`,
    `  introspection:   ${{
      authenticated: 'the schema for callers the API accepts',
      on: 'the schema for everyone, also without a key',
      off: 'the schema for nobody',
    }[config.graphqlIntrospection]} (GRAPHQL_INTROSPECTION=${config.graphqlIntrospection})`,
  ];
  process.stdout.write(`${banner.join('\n')}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: stop polling, let the current file commit or roll back, close pools');
    // Not unref'd: it also keeps the process alive until the stop has run to its end (an awaited
    // promise holds no handle, and an empty event loop would end the process halfway through).
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    try {
      await app.stop();
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(`pim-accumulator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
