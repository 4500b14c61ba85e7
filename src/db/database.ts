import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { ALL_ENTITIES } from '../entities';
import { BusinessUnit } from './business-unit';
import { quoteIdent } from './sql';

export interface BuTransactionOptions {
  readOnly?: boolean;
  /** REPEATABLE READ gives one snapshot for every statement of the transaction. */
  isolation?: 'READ COMMITTED' | 'REPEATABLE READ';
}

/**
 * The service's access to PostgreSQL. Every query of a business unit runs through `withBu`,
 * which routes by `SET LOCAL search_path` inside a transaction: when the transaction ends the
 * pooled connection forgets the schema, so no other request can inherit it.
 */
export class Database {
  private constructor(readonly dataSource: DataSource) {}

  static async connect(url: string, options: { poolSize?: number; applicationName?: string } = {}): Promise<Database> {
    const dataSource = new DataSource({
      type: 'postgres',
      url,
      entities: ALL_ENTITIES,
      synchronize: false,
      migrationsRun: false,
      logging: false,
      poolSize: options.poolSize ?? 10,
      applicationName: options.applicationName ?? 'pim-accumulator',
      // Keep bigint ids as strings (they are inRiver ids, never arithmetic), counts as numbers.
      parseInt8: false,
    });
    await dataSource.initialize();
    return new Database(dataSource);
  }

  async withBu<T>(bu: BusinessUnit, fn: (manager: EntityManager) => Promise<T>, options: BuTransactionOptions = {}): Promise<T> {
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

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
