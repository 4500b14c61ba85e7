import path from 'node:path';
import { AppConfig } from './config/config';
import { ConnectedDatabase, connectDatabase } from './db/connect';
import { ExportHooks, ExportRunner } from './export/job/export-runner';
import { ExportStore, createExportStore } from './export/job/export-store';
import { ExportWorker } from './export/job/export-worker';
import { BusinessUnitLoader } from './loaders/business-unit-loader';
import { LoadScheduler } from './loaders/load-scheduler';
import { LoadWatchdog } from './loaders/load-watchdog';
import { FolderCheck } from './loaders/source/folder-check';
import { Source } from './loaders/source/source';
import { createSource } from './loaders/source/source-factory';
import { Logger } from './logger';
import { RunningServer, startHttpServer } from './server/http-server';
import { createServices } from './services/services';

export interface App {
  config: AppConfig;
  database: ConnectedDatabase;
  source: Source;
  scheduler: LoadScheduler;
  server: RunningServer;
  exportStore: ExportStore;
  /** Watches the loader locks of every BU for stalls (logs, metric, /readyz). */
  watchdog: LoadWatchdog;
  /** Whether each BU's source folder is there: the banner, loadStatus.warnings and /readyz. */
  folders: FolderCheck;
  /** Null when EXPORT_POLL_INTERVAL_MS=0: this process then runs no exports (others do). */
  exportWorker: ExportWorker | null;
  stop(): Promise<void>;
}

/** The whole service: database (migrated), source, background loader and the HTTP API. */
export async function startApp(config: AppConfig, log: Logger, options: { poll?: boolean; exportHooks?: ExportHooks } = {}): Promise<App> {
  const database = await connectDatabase(config, log);
  const source = createSource(config.source, config.s3);
  const folders = new FolderCheck(source, config.businessUnits);
  const loader = new BusinessUnitLoader(database.db, source, config, log, folders);
  const scheduler = new LoadScheduler(loader, config.businessUnits, log);
  const watchdog = new LoadWatchdog(database.db, config.businessUnits, config.loader.stallSeconds, log);
  const exportStore = createExportStore(config.exportTarget, config.s3);
  const exportWorker = config.export.pollIntervalMs > 0
    ? new ExportWorker(database.db, new ExportRunner(database.db, exportStore, log, options.exportHooks), config.businessUnits, log)
    : null;
  const services = createServices(database.db, source, scheduler, log, {
    store: exportStore,
    downloadUrlExpirySeconds: config.export.downloadUrlExpirySeconds,
    maxQueued: config.export.maxQueued,
    onQueued: () => exportWorker?.wake(),
    s3: config.s3,
  }, folders, { stallSeconds: config.loader.stallSeconds, watchdog });
  let server: RunningServer;
  try {
    server = await startHttpServer(config, services, log, path.join(config.projectRoot, 'migrations'));
  } catch (err) {
    await source.close?.();
    await exportStore.close();
    await database.close();
    throw err;
  }
  if (options.poll !== false) scheduler.start(config.loadPollIntervalMs);
  watchdog.start();
  // Its first pass also re-queues jobs left RUNNING by a process that died.
  exportWorker?.start(config.export.pollIntervalMs);
  return {
    config, database, source, scheduler, server, exportStore, exportWorker, folders, watchdog,
    async stop() {
      watchdog.stop();
      await exportWorker?.stop();
      await scheduler.stop();
      await server.close();
      // Parity runs started here record their outcome before the database closes.
      await services.parity.close();
      await source.close?.();
      await exportStore.close();
      await database.close();
    },
  };
}
