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
