import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Entities from rows of their own table read with plain SQL (`SELECT t.*`), hydrated as TypeORM's
 * query builder does it (the entity's column metadata and the driver's value conversion), without
 * building each query through the builder: on the hottest reads (a product, its items) the
 * builder cost the service more CPU than the statement itself.
 */
export function entitiesFromRows<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, rows: readonly Record<string, unknown>[]): T[] {
  const meta = m.connection.getMetadata(target);
  const driver = m.connection.driver;
  return rows.map((row) => {
    const entity = meta.create() as T;
    for (const column of meta.columns) {
      const value = row[column.databaseName];
      if (value !== undefined) column.setEntityValue(entity, driver.prepareHydratedValue(value, column));
    }
    return entity;
  });
}

const jsonSqlCache = new WeakMap<object, Map<string, string>>();

/**
 * A row of the entity's table as one JSON object (`json_build_object`) whose keys and values read
 * back through entitiesFromRows as the row itself would: bigint columns as text, like the driver
 * returns them (a JSON number would lose digits past 2^53), timestamps as ISO text.
 * For nested reads that bring a parent and its children in one statement (json_agg of these).
 */
export function rowJsonSql<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, alias: string): string {
  const meta = m.connection.getMetadata(target);
  let byAlias = jsonSqlCache.get(meta);
  if (!byAlias) jsonSqlCache.set(meta, (byAlias = new Map()));
  let sql = byAlias.get(alias);
  if (!sql) {
    sql = `json_build_object(${meta.columns.map((c) => `'${c.databaseName}', ${alias}.${c.databaseName}${c.type === 'bigint' ? '::text' : ''}`).join(', ')})`;
    byAlias.set(alias, sql);
  }
  return sql;
}
