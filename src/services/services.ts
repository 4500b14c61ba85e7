import { Database } from '../db/database';
import { LoadScheduler } from '../loaders/load-scheduler';
import { Source } from '../loaders/source';
import { LoadHistoryService } from './load-history.service';
import { LoadStatusService } from './load-status.service';
import { ProductService } from './product.service';

export interface Services {
  db: Database;
  products: ProductService;
  history: LoadHistoryService;
  status: LoadStatusService;
  scheduler: LoadScheduler | null;
}

export function createServices(db: Database, source: Source, scheduler: LoadScheduler | null): Services {
  return {
    db,
    products: new ProductService(db),
    history: new LoadHistoryService(db),
    status: new LoadStatusService(db, source, scheduler),
    scheduler,
  };
}
