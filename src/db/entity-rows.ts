import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Entities from rows of their own table read with plain SQL (`SELECT t.*`), hydrated as TypeORM's
 * query builder does it (the entity's column metadata and the driver's value conversion), without
 * building each query through the builder: on the hottest reads (a product, its items) the
 * builder cost the service more CPU than the statement itself.
 */
export function entitiesFromRows<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, rows: readonly Record<string, unknown>[]): T[] {
  const hydrate = hydratorOf(m, target) as (row: Record<string, unknown>) => T;
  return rows.map(hydrate);
}

/**
 * Column types the driver hands over as the entity stores them (prepareHydratedValue returns them
 * unchanged); their values are copied without going through it. Dates and anything with a
 * transformer still do.
 */
const PLAIN_TYPES = new Set<unknown>(['text', 'bigint', 'integer', 'jsonb', 'boolean']);
const hydrators = new WeakMap<EntityMetadata, (row: Record<string, unknown>) => ObjectLiteral>();

/** The row → entity function of an entity, built once from its column metadata. */
function hydratorOf(m: EntityManager, target: EntityTarget<ObjectLiteral>): (row: Record<string, unknown>) => ObjectLiteral {
  const meta = m.connection.getMetadata(target);
  let hydrate = hydrators.get(meta);
  if (!hydrate) {
    const driver = m.connection.driver;
    const columns = meta.columns.map((column) => ({
      column, name: column.databaseName, property: column.propertyName,
      plain: PLAIN_TYPES.has(column.type) && !column.transformer && !column.embeddedMetadata && !column.isVirtual,
    }));
    hydrate = (row) => {
      const entity = meta.create();
      for (const c of columns) {
        const value = row[c.name];
        if (value === undefined) continue;
        if (c.plain) entity[c.property] = value;
        else c.column.setEntityValue(entity, driver.prepareHydratedValue(value, c.column));
      }
      return entity;
    };
    hydrators.set(meta, hydrate);
  }
  return hydrate;
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
