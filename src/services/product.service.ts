import { SelectQueryBuilder } from 'typeorm';
import { BusinessUnit } from '../db/business-unit';
import { Database } from '../db/database';
import { ItemEntity, ProductEntity } from '../entities';
import { badInput } from '../errors/domain-error';
import { Page, checkPageSize, decodeCursor, parseEntityIds, toPage } from './pagination';

export interface AttributeCondition {
  attributeId: string;
  value: string;
  locale?: string | null;
}

export interface ProductQuery {
  entityIds?: string[] | null;
  productIds?: string[] | null;
  updatedSince?: Date | null;
  channelNodeId?: string | null;
  sourceFile?: string | null;
  attributeEquals?: AttributeCondition[] | null;
  includeDeleted?: boolean | null;
}

export interface ItemQuery {
  entityIds?: string[] | null;
  productEntityIds?: string[] | null;
  updatedSince?: Date | null;
  attributeEquals?: AttributeCondition[] | null;
  includeDeleted?: boolean | null;
}

/**
 * JSONB containment conditions for "attribute equals value": a plain value, a LocaleString's text
 * in one locale, or a CVL key. Containment (`@>`) lets the GIN index on `attributes` answer it.
 */
export function attributeContainment(cond: AttributeCondition): Record<string, unknown>[] {
  if (!cond.attributeId) throw badInput('attributeEquals needs an attributeId');
  const id = cond.attributeId;
  if (cond.locale) return [{ [id]: { [cond.locale]: cond.value } }];
  const options: Record<string, unknown>[] = [{ [id]: cond.value }, { [id]: { key: cond.value } }, { [id]: { keys: [cond.value] } }];
  const n = Number(cond.value);
  if (cond.value.trim() !== '' && Number.isFinite(n)) options.push({ [id]: n });
  if (cond.value === 'true' || cond.value === 'false') options.push({ [id]: cond.value === 'true' });
  return options;
}

function applyAttributeConditions<T extends object>(qb: SelectQueryBuilder<T>, alias: string, conds: AttributeCondition[] | null | undefined): void {
  (conds ?? []).forEach((cond, i) => {
    const options = attributeContainment(cond);
    const clause = options.map((_, j) => `${alias}.attributes @> CAST(:attr_${i}_${j} AS jsonb)`).join(' OR ');
    const params = Object.fromEntries(options.map((o, j) => [`attr_${i}_${j}`, JSON.stringify(o)]));
    qb.andWhere(`(${clause})`, params);
  });
}

/** Reads of the accumulated product and item state. */
export class ProductService {
  constructor(private readonly db: Database) {}

  async getProduct(bu: BusinessUnit, by: { entityId?: string | null; productId?: string | null }, includeDeleted: boolean): Promise<ProductEntity | null> {
    if ((by.entityId == null) === (by.productId == null)) throw badInput('give exactly one of entityId and productId');
    const ids = by.entityId != null ? parseEntityIds([by.entityId], 'entityId') : null;
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(ProductEntity).createQueryBuilder('p');
      if (ids) qb.where('p.entity_id = :id', { id: ids[0] });
      else qb.where('p.product_id = :pid', { pid: by.productId });
      if (!includeDeleted) qb.andWhere('NOT p.deleted');
      return qb.orderBy('p.deleted', 'ASC').addOrderBy('p.entity_id', 'ASC').getOne();
    }, { readOnly: true });
  }

  async listProducts(bu: BusinessUnit, filter: ProductQuery, first: number | null | undefined, after: string | null | undefined): Promise<Page<ProductEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    const entityIds = parseEntityIds(filter.entityIds, 'filter.entityIds');
    const nodeId = filter.channelNodeId != null ? parseEntityIds([filter.channelNodeId], 'filter.channelNodeId')![0] : null;
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(ProductEntity).createQueryBuilder('p');
      if (!filter.includeDeleted) qb.andWhere('NOT p.deleted');
      if (entityIds) qb.andWhere('p.entity_id = ANY(CAST(:entityIds AS bigint[]))', { entityIds });
      if (filter.productIds) qb.andWhere('p.product_id = ANY(CAST(:productIds AS text[]))', { productIds: filter.productIds });
      if (filter.updatedSince) qb.andWhere('p.updated_at >= :since', { since: filter.updatedSince });
      if (filter.sourceFile) qb.andWhere('p.source_file = :sourceFile', { sourceFile: filter.sourceFile });
      if (nodeId) {
        qb.andWhere('EXISTS (SELECT 1 FROM channel_node_product m WHERE m.product_entity_id = p.entity_id AND m.channel_node_id = :nodeId)', { nodeId });
      }
      applyAttributeConditions(qb, 'p', filter.attributeEquals);
      const totalCount = await qb.getCount();
      if (afterKey) qb.andWhere('p.entity_id > :afterKey', { afterKey });
      const rows = await qb.orderBy('p.entity_id', 'ASC').limit(size + 1).getMany();
      return toPage(rows, size, totalCount, (r) => r.entityId);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async listItems(bu: BusinessUnit, filter: ItemQuery, first: number | null | undefined, after: string | null | undefined): Promise<Page<ItemEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    const entityIds = parseEntityIds(filter.entityIds, 'filter.entityIds');
    const productIds = parseEntityIds(filter.productEntityIds, 'filter.productEntityIds');
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(ItemEntity).createQueryBuilder('i');
      if (!filter.includeDeleted) qb.andWhere('NOT i.deleted');
      if (entityIds) qb.andWhere('i.entity_id = ANY(CAST(:entityIds AS bigint[]))', { entityIds });
      if (productIds) qb.andWhere('i.product_entity_id = ANY(CAST(:productIds AS bigint[]))', { productIds });
      if (filter.updatedSince) qb.andWhere('i.updated_at >= :since', { since: filter.updatedSince });
      applyAttributeConditions(qb, 'i', filter.attributeEquals);
      const totalCount = await qb.getCount();
      if (afterKey) qb.andWhere('i.entity_id > :afterKey', { afterKey });
      const rows = await qb.orderBy('i.entity_id', 'ASC').limit(size + 1).getMany();
      return toPage(rows, size, totalCount, (r) => r.entityId);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async getItem(bu: BusinessUnit, entityId: string, includeDeleted: boolean): Promise<ItemEntity | null> {
    const [id] = parseEntityIds([entityId], 'entityId')!;
    return this.db.withBu(bu, (m) => m.getRepository(ItemEntity).findOne({ where: { entityId: id, ...(includeDeleted ? {} : { deleted: false }) } }), { readOnly: true });
  }
}
