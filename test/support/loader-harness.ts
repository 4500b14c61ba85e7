import { LoaderLimits } from '../../src/config/config';
import type { Logger } from '../../src/logger';
import { BusinessUnit, makeBusinessUnit } from '../../src/config/business-unit';
import { BusinessUnitLoader, PassResult } from '../../src/loaders/business-unit-loader';
import { LocalSource } from '../../src/loaders/source/local-source';
import { Source } from '../../src/loaders/source/source';
import { ReplayService } from '../../src/services/replay.service';
import { TempBucket } from './bucket-factory';
import { loaderLimits } from './loader-limits';
import { silentLogger } from './silent-logger';
import { TestDatabase, createTestDatabase } from './test-database';

/** A product file name in either observed style: `ecommerce_[job_]<timestamp>_<part>.jsonl`. */
export const productName = (timestamp: string, part = 1, opts: { job?: string; gzip?: boolean } = {}) =>
  `ecommerce_${opts.job ? `${opts.job}_` : ''}${timestamp}_${String(part).padStart(3, '0')}.jsonl${opts.gzip ? '.gz' : ''}`;

export const productKey = (folder: string, name: string) => `${folder}/PRODUCT/2026/04/${name}`;

/** The current-state tables, as one comparable value. */
export const STATE_TABLES = ['product', 'item', 'channel_node', 'resource', 'entity_link', 'channel_node_product', 'attribute_definition'] as const;

export interface EventRow {
  id: string;
  event_type: 'file_start' | 'file_complete' | 'file_error' | 'replay';
  source_file: string;
  source_key: string;
  source_etag: string | null;
  start_event_id: string | null;
  records_processed: number | null;
  records_inserted: number | null;
  records_updated: number | null;
  records_unchanged: number | null;
  records_deleted: number | null;
  records_quarantined: number | null;
  error_message: string | null;
  entity_type: string | null;
  replay_date: Date | null;
  replay_reason: string | null;
  metadata: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * A fresh migrated database, a temp bucket in the real layout (or another source) and a loader over
 * them: the real parts, nothing mocked. `folders` maps a BU code to its source folder.
 */
export async function loaderHarness(opts: {
  codes?: string[];
  folders?: Record<string, string>;
  limits?: Partial<LoaderLimits>;
  source?: Source;
  poolSize?: number;
  log?: Logger;
} = {}) {
  const codes = opts.codes ?? ['bak'];
  const t: TestDatabase = await createTestDatabase(codes, { poolSize: opts.poolSize });
  const bucket = new TempBucket();
  const source = opts.source ?? new LocalSource(bucket.root);
  const units = new Map<string, BusinessUnit>(codes.map((c) => [c, makeBusinessUnit(c, opts.folders?.[c])]));
  const bu = (code = 'bak') => {
    const unit = units.get(code);
    if (!unit) throw new Error(`harness has no BU ${code}`);
    return unit;
  };
  const loader = new BusinessUnitLoader(t.db, source, { loader: loaderLimits(opts.limits) }, opts.log ?? silentLogger());
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const q = (sql: string, params: unknown[] = [], code = 'bak'): Promise<any[]> => t.db.withBu(bu(code), (m) => m.query(sql, params));
  /** As the schema's owner: for what the service's role may not do (triggers that inject faults, DDL). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ownerQ = (sql: string, params: unknown[] = [], code = 'bak'): Promise<any[]> => t.owner.withBu(bu(code), (m) => m.query(sql, params));

  return {
    t, bucket, source, loader, bu, q, ownerQ,
    pass: (code = 'bak'): Promise<PassResult> => loader.loadOnce(bu(code)),
    /** Writes a product file of a BU folder (default BAK) and returns its key. */
    product: (name: string, lines: unknown[], o: { folder?: string; gzip?: boolean } = {}) =>
      bucket.product(o.folder ?? 'BAK', name, lines, { gzip: o.gzip }),
    uri: (key: string) => source.uriFor(key),
    events: (code = 'bak'): Promise<EventRow[]> => q('SELECT * FROM load_event ORDER BY id', [], code),
    /** Keys of the valid file_complete events, in event order. */
    completed: async (code = 'bak'): Promise<string[]> =>
      (await q(`SELECT source_key FROM load_event WHERE event_type = 'file_complete' AND replay_date IS NULL ORDER BY id`, [], code))
        .map((r) => r.source_key),
    /** Every row of every current-state table, ordered, for before/after comparisons. */
    dump: (code = 'bak') => comparableState(q, code, []),
    /** The state without what differs between two loads of the same files (event ids, times). */
    state: (code = 'bak') => comparableState(q, code),
    /**
     * The state a fresh database reaches loading the source as it is now, from the beginning: a new
     * database, a new loader and, unless the harness was given a source, a new LocalSource over
     * the same folder (nothing cached by the one under test, such as its ETags, is shared).
     */
    freshState: async (code = 'bak') => {
      const [fresh] = await freshLoad({ codes: [code], folders: opts.folders, limits: opts.limits, source: opts.source ?? new LocalSource(bucket.root) });
      return fresh;
    },
    replay: (fromEventId: string, reason = 'test replay', dryRun = false, code = 'bak') =>
      new ReplayService(t.db, source, silentLogger(), null).replay(bu(code), fromEventId, reason, dryRun),
    async close() {
      bucket.remove();
      await t.close();
    },
  };
}

/** What differs between two loads of the same files: the event that wrote a row and when. */
export const VOLATILE = ['event_id', 'updated_at', 'deleted_at'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function comparableState(q: (sql: string, params?: unknown[], code?: string) => Promise<any[]>, code: string,
  volatile: string[] = VOLATILE): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of STATE_TABLES) {
    const [row] = await q(
      `SELECT coalesce(jsonb_agg(to_jsonb(t) - $1::text[] ORDER BY (to_jsonb(t) - $1::text[])::text), '[]'::jsonb) AS rows FROM ${table} t`,
      [volatile], code);
    out[table] = row.rows;
  }
  return out;
}

export type LoaderHarness = Awaited<ReturnType<typeof loaderHarness>>;

/**
 * Loads `source` into a new database from the beginning, each BU once, with a new loader: what
 * the state of a BU must equal after any history of loads, replays and restarts. Returns per BU
 * the pass result, the comparable state and the event log.
 */
export async function freshLoad(opts: { codes: string[]; source: Source; folders?: Record<string, string>; limits?: Partial<LoaderLimits> }) {
  const fresh = await createTestDatabase(opts.codes, { poolSize: 2 });
  try {
    const loader = new BusinessUnitLoader(fresh.db, opts.source, { loader: loaderLimits(opts.limits) }, silentLogger());
    const out = [];
    for (const code of opts.codes) {
      const bu = makeBusinessUnit(code, opts.folders?.[code]);
      const result = await loader.loadOnce(bu);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const fq = (sql: string, params: unknown[] = []): Promise<any[]> => fresh.db.withBu(bu, (m) => m.query(sql, params));
      out.push({ code, result, state: await comparableState(fq, code), events: await fq('SELECT * FROM load_event ORDER BY id') as EventRow[] });
    }
    return out;
  } finally {
    await fresh.close();
  }
}

/** A small AttributeFile.json (one JSON array) with the given Product attributes. */
export function attributeFile(productAttributes: Record<string, string> = { ProductId: 'String' }): string {
  return JSON.stringify([
    { EntityTypeId: 'Product', Attributes: Object.entries(productAttributes).map(([id, type], i) => ({ AttributeId: id, DataType: type, SortOrder: i + 1, Name: { stringMap: { en: id } } })) },
    { EntityTypeId: 'ChannelNode', Attributes: [{ AttributeId: 'ChannelNodeName', DataType: 'LocaleString' }] },
  ]);
}
