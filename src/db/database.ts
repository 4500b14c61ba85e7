import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { ALL_ENTITIES } from '../entities';
import { markReadPool } from './queryable';
import { quoteIdent } from './sql';

export interface BuTransactionOptions {
  readOnly?: boolean;
  /** REPEATABLE READ gives one snapshot for every statement of the transaction. */
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ';
}

/**
 * Bounds on every session of the service (0 = the server's default):
 * - `statementTimeoutMs`: no single statement runs longer (a plan gone wrong, a lock wait);
 * - `clientCheckIntervalMs`: how often a running statement checks that its client is still there
 *   (PostgreSQL 14+), so the session of a killed process does not run on, holding its locks.
 */
export interface SessionLimits {
  statementTimeoutMs: number;
  clientCheckIntervalMs: number;
}

interface PoolOptions { poolSize: number; applicationName: string; limits?: SessionLimits }

/** Session settings sent when a connection opens (`options` of the startup packet). */
export function sessionOptions(limits: SessionLimits | undefined, more: string[] = []): string | undefined {
  const settings = [...more];
  if (limits?.statementTimeoutMs) settings.push(`-c statement_timeout=${limits.statementTimeoutMs}`);
  if (limits?.clientCheckIntervalMs) settings.push(`-c client_connection_check_interval=${limits.clientCheckIntervalMs}`);
  return settings.length ? settings.join(' ') : undefined;
}

function dataSourceFor(url: string, options: PoolOptions, moreSettings: string[] = []): DataSource {
  const settings = sessionOptions(options.limits, moreSettings);
  return new DataSource({
    type: 'postgres',
    url,
    entities: ALL_ENTITIES,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    poolSize: options.poolSize,
    applicationName: options.applicationName,
    // Keep bigint ids as strings (they are inRiver ids, never arithmetic), counts as numbers.
    parseInt8: false,
    // TCP keepalives: a connection to a vanished server (or through a dropped NAT entry) fails
    // instead of hanging.
    extra: { keepAlive: true, keepAliveInitialDelayMillis: 10_000, ...(settings ? { options: settings } : {}) },
  });
}

/**
 * The service's access to PostgreSQL. Every query of a business unit runs through `withBu`, in
 * one of two ways that never leave a pooled connection with another BU's schema:
 * - writes and snapshot reads: a transaction on the shared pool that routes by
 *   `SET LOCAL search_path`, forgotten when the transaction ends;
 * - plain reads (read only, READ COMMITTED): a small pool of the BU's own, whose connections are
 *   opened with that BU's search_path and read-only, and never serve another BU. A plain read
 *   then costs one round trip per statement instead of three (BEGIN, statement, COMMIT), with the
 *   same semantics (in READ COMMITTED every statement takes its own snapshot anyway).
 */
export class Database {
  private readonly readPools = new Map<string, Promise<DataSource>>();

  private constructor(readonly dataSource: DataSource, private readonly url: string, private readonly options: PoolOptions) {}

  static async connect(url: string, options: { poolSize?: number; applicationName?: string; limits?: SessionLimits } = {}): Promise<Database> {
    const pool: PoolOptions = { poolSize: options.poolSize ?? 10, applicationName: options.applicationName ?? 'pim-accumulator', limits: options.limits };
    const dataSource = dataSourceFor(url, pool);
    await dataSource.initialize();
    return new Database(dataSource, url, pool);
  }

  async withBu<T>(bu: BusinessUnit, fn: (manager: EntityManager) => Promise<T>, options: BuTransactionOptions = {}): Promise<T> {
    if (options.readOnly && (options.isolation ?? 'READ COMMITTED') === 'READ COMMITTED') {
      return fn((await this.readPool(bu)).manager);
    }
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      return await this.inBuTransaction(runner, bu, options, () => fn(runner.manager));
    } finally {
      await runner.release();
    }
  }

  /** Runs `fn` in a BU transaction on a runner the caller already holds (e.g. the loader's). */
  async inBuTransaction<T>(runner: QueryRunner, bu: BusinessUnit, options: BuTransactionOptions, fn: () => Promise<T>): Promise<T> {
    // One round trip: BEGIN and SET LOCAL travel together (the schema name is validated when the
    // BU is configured, and quoted here). SET LOCAL ends with the transaction, whatever happens.
    await runner.query(`BEGIN ISOLATION LEVEL ${options.isolation ?? 'READ COMMITTED'}${options.readOnly ? ' READ ONLY' : ''}; `
      + `SET LOCAL search_path TO ${quoteIdent(bu.schema)}`);
    try {
      const result = await fn();
      await runner.query('COMMIT');
      return result;
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Plain queries that touch no BU schema (health checks, admin). */
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T[]> {
    return this.dataSource.query(sql, params);
  }

  private readPool(bu: BusinessUnit): Promise<DataSource> {
    let pool = this.readPools.get(bu.schema);
    if (!pool) {
      // The schema name is validated when the BU is configured ([a-z][a-z0-9_]*): safe in options.
      const ds = dataSourceFor(this.url, { ...this.options, poolSize: Math.max(2, Math.ceil(this.options.poolSize / 4)) },
        [`-c search_path=${bu.schema}`, '-c default_transaction_read_only=on']);
      markReadPool(ds);
      pool = ds.initialize();
      pool.catch(() => this.readPools.delete(bu.schema)); // a failed start is retried by the next read
      this.readPools.set(bu.schema, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const readPools = [...this.readPools.values()];
    this.readPools.clear();
    for (const pool of readPools) {
      const ds = await pool.catch(() => null);
      if (ds?.isInitialized) await ds.destroy();
    }
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
