import type { PoolClient } from 'pg';
import type { EntityManager, QueryRunner } from 'typeorm';

/** What the loader's SQL helpers need: a transaction-bound runner or entity manager both fit. */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * The pg client under a TypeORM runner (or a transaction's manager), for what TypeORM's query()
 * cannot do: COPY streams, array rows. It is the connection of the runner's transaction, so the
 * search_path and snapshot are that transaction's.
 */
export async function pgClientOf(on: QueryRunner | EntityManager): Promise<PoolClient> {
  const runner: QueryRunner | undefined = 'connect' in on ? on : on.queryRunner;
  if (!runner) throw new Error('pgClientOf: this entity manager has no query runner of its own (it is not in a transaction)');
  return (await runner.connect()) as PoolClient;
}
