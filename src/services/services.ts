import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ExportStore } from '../export/job/export-store';
import { LoadScheduler } from '../loaders/load-scheduler';
import { LoadWatchdog } from '../loaders/load-watchdog';
import { FolderCheck } from '../loaders/source/folder-check';
import { Source } from '../loaders/source/source';
import { createS3Client } from '../storage/s3-client';
import { ParityRunService } from './parity-run.service';
import type { AppConfig } from '../config/config';
import { fileURLToPath } from 'node:url';
import { Logger } from '../logger';
import { AttributeDefinitionService } from './attribute-definition.service';
import { ChannelNodeService } from './channel-node.service';
import { ExportJobService } from './export-job.service';
import { ExportSettingsService } from './export-settings.service';
import { HistoryService } from './history.service';
import { LoadLogService } from './load-log.service';
import { LoadStatusService } from './load-status.service';
import { LoadTriggerService } from './load-trigger.service';
import { ProductService } from './product.service';
import { ReplayService } from './replay.service';
import { SettingsFileService } from './settings-file.service';

export interface Services {
  db: Database;
  products: ProductService;
  channelNodes: ChannelNodeService;
  attributeDefinitions: AttributeDefinitionService;
  loadLog: LoadLogService;
  history: HistoryService;
  status: LoadStatusService;
  /** triggerLoad (idempotent within a request; the scheduler bounds the rest). */
  loadTrigger: LoadTriggerService;
  replay: ReplayService;
  scheduler: LoadScheduler | null;
  /** Whether each BU's source folder is there (loadStatus.warnings, /readyz). */
  folders: FolderCheck;
  /** The loader locks as last checked (/readyz); null where nothing watches them (commands). */
  watchdog: LoadWatchdog | null;
  exportJobs: ExportJobService;
  exportSettings: ExportSettingsService;
  settingsFile: SettingsFileService;
  /** Comparisons of exports with legacy files (src/parity/). */
  parity: ParityRunService;
}

/** What the export services need from the app: the store files go to, and how to wake the worker. */
export interface ExportWiring {
  store: ExportStore;
  downloadUrlExpirySeconds: number;
  /** EXPORT_MAX_QUEUED. */
  maxQueued: number;
  onQueued?: (bu: BusinessUnit) => void;
  /** For parity runs reading files on S3 (made when first needed). */
  s3: AppConfig['s3'];
}

export function createServices(
  db: Database, source: Source, scheduler: LoadScheduler | null, log: Logger, exports: ExportWiring, folders = new FolderCheck(source),
  load: { stallSeconds?: number; watchdog?: LoadWatchdog } = {},
): Services {
  const status = new LoadStatusService(db, source, scheduler, folders, load.stallSeconds);
  return {
    db,
    products: new ProductService(db),
    channelNodes: new ChannelNodeService(db),
    attributeDefinitions: new AttributeDefinitionService(db),
    loadLog: new LoadLogService(db),
    history: new HistoryService(db),
    status,
    loadTrigger: new LoadTriggerService(scheduler, status),
    replay: new ReplayService(db, source, log, scheduler ? (bu) => void scheduler.trigger(bu) : null),
    scheduler,
    folders,
    watchdog: load.watchdog ?? null,
    exportJobs: new ExportJobService(db, exports.store, exports.downloadUrlExpirySeconds, exports.onQueued, exports.maxQueued),
    exportSettings: new ExportSettingsService(db),
    settingsFile: new SettingsFileService(db),
    // API callers may name local files only inside a local export folder (see ParityRunService).
    parity: new ParityRunService(db, () => createS3Client(exports.s3), log,
      exports.store.url.startsWith('file:') ? [fileURLToPath(exports.store.url)] : []),
  };
}
