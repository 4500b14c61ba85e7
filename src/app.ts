import path from 'node:path';
import { AppConfig } from './config/config';
import { ConnectedDatabase, connectDatabase } from './db/connect';
import { BusinessUnitLoader } from './loaders/business-unit-loader';
import { LoadScheduler } from './loaders/load-scheduler';
import { Source } from './loaders/source';
import { createSource } from './loaders/source-factory';
import { Logger } from './logger';
import { RunningServer, startHttpServer } from './server/http-server';
import { createServices } from './services/services';

export interface App {
  config: AppConfig;
  database: ConnectedDatabase;
  source: Source;
  scheduler: LoadScheduler;
  server: RunningServer;
  stop(): Promise<void>;
}

/** The whole service: database (migrated), source, background loader and the HTTP API. */
export async function startApp(config: AppConfig, log: Logger, options: { poll?: boolean } = {}): Promise<App> {
  const database = await connectDatabase(config, log);
  const source = createSource(config.source, config.s3);
  const loader = new BusinessUnitLoader(database.db, source, config, log);
  const scheduler = new LoadScheduler(loader, config.businessUnits, log);
  const services = createServices(database.db, source, scheduler);
  let server: RunningServer;
  try {
    server = await startHttpServer(config, services, log, path.join(config.projectRoot, 'migrations'));
  } catch (err) {
    await database.close();
    throw err;
  }
  if (options.poll !== false) scheduler.start(config.loadPollIntervalMs);
  return {
    config, database, source, scheduler, server,
    async stop() {
      await scheduler.stop();
      await server.close();
      await source.close?.();
      await database.close();
    },
  };
}
