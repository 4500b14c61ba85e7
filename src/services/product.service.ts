import { SelectQueryBuilder } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { entitiesFromRows } from '../db/entity-rows';
import { ItemEntity, ProductEntity } from '../entities';
import { badInput } from '../errors/domain-error';
import { keysetRows } from './keyset-page';
import { ListOptions, Page, checkPageSize, countOf, decodeCursor, parseEntityIds, toPage } from './pagination';

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


/** One way an attribute can equal the value: `attributes @> contains`, unless one of `unlessText` locales holds text. */
export interface AttributeMatch {
  contains: Record<string, unknown>;
  unlessText: string[];
}

/**
 * The ways "attribute equals value" can hold, each a JSONB containment (`@>`) that the GIN
 * jsonb_path_ops index on `attributes` answers: a plain value; a CVL key (single, or one of a
 * multi-select); a number or boolean written as text; and with `locale`, the LocaleString text
 * that `attribute(id, locale)` shows: that locale's, else its language's (fr-CA → fr), else "en".
 * The fallback steps only apply when the more specific locale has no text (a recheck on the rows
 * the index found).
 */
export function attributeMatches(cond: AttributeCondition): AttributeMatch[] {
  if (!cond.attributeId) throw badInput('attributeEquals needs an attributeId');
  if (cond.locale === '') throw badInput('attributeEquals: locale must not be empty (leave it out instead)');
  const id = cond.attributeId;
  const value = cond.value;
  const matches: AttributeMatch[] = [];
  if (cond.locale) {
    const chain = [...new Set([cond.locale, cond.locale.split('-')[0], 'en'])];
    chain.forEach((locale, i) => matches.push({ contains: { [id]: { [locale]: value } }, unlessText: chain.slice(0, i) }));
  }
  const plain = (contains: unknown) => matches.push({ contains: { [id]: contains }, unlessText: [] });
  plain(value);
  plain({ key: value });
  plain({ keys: [value] });
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n)) plain(n);
  if (value === 'true' || value === 'false') plain(value === 'true');
  return matches;
}

/**
 * Most attributeEquals conditions of one filter. Each becomes up to seven JSONB containments and ten
 * bind parameters; 8,000 of them passed PostgreSQL's 65,535 parameters and failed there.
 */
export const MAX_ATTRIBUTE_CONDITIONS = 20;

function checkAttributeConditions(conds: AttributeCondition[] | null | undefined): void {
  if (conds && conds.length > MAX_ATTRIBUTE_CONDITIONS) {
    throw badInput(`filter.attributeEquals has ${conds.length} conditions; at most ${MAX_ATTRIBUTE_CONDITIONS} are allowed`);
  }
}

function applyAttributeConditions<T extends object>(qb: SelectQueryBuilder<T>, alias: string, conds: AttributeCondition[] | null | undefined): void {
  (conds ?? []).forEach((cond, i) => {
    const params: Record<string, unknown> = { [`attr_${i}`]: cond.attributeId };
    const clause = attributeMatches(cond).map((match, j) => {
      params[`attr_${i}_${j}`] = JSON.stringify(match.contains);
      const unless = match.unlessText.map((locale, k) => {
        params[`attr_${i}_${j}_${k}`] = locale;
        return ` AND jsonb_typeof(${alias}.attributes -> CAST(:attr_${i} AS text) -> CAST(:attr_${i}_${j}_${k} AS text)) IS DISTINCT FROM 'string'`;
      }).join('');
      return `(${alias}.attributes @> CAST(:attr_${i}_${j} AS jsonb)${unless})`;
    }).join(' OR ');
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
      // A productId may have been reused: the live product first, then the lowest EntityId.
      const rows = await m.query(
        `SELECT * FROM product WHERE ${ids ? 'entity_id = $1::bigint' : 'product_id = $1'} ${includeDeleted ? '' : 'AND NOT deleted'}
         ORDER BY deleted, entity_id LIMIT 1`, [ids ? ids[0] : by.productId]);
      return entitiesFromRows(m, ProductEntity, rows)[0] ?? null;
    }, { readOnly: true });
  }

  async listProducts(bu: BusinessUnit, filter: ProductQuery, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions = {}): Promise<Page<ProductEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    const entityIds = parseEntityIds(filter.entityIds, 'filter.entityIds');
    const nodeId = filter.channelNodeId != null ? parseEntityIds([filter.channelNodeId], 'filter.channelNodeId')![0] : null;
    checkAttributeConditions(filter.attributeEquals);
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(ProductEntity).createQueryBuilder('p');
      if (!filter.includeDeleted) qb.andWhere('NOT p.deleted');
      if (entityIds) qb.andWhere('p.entity_id = ANY(CAST(:entityIds AS bigint[]))', { entityIds });
      if (filter.productIds) qb.andWhere('p.product_id = ANY(CAST(:productIds AS text[]))', { productIds: filter.productIds });
      if (filter.updatedSince) qb.andWhere('p.updated_at >= :since', { since: filter.updatedSince });
      if (filter.sourceFile) {
        // Entities store the file's full URI; operators often have its key (as in loadEvents' filter).
        // The event log turns a key into URIs first (an init plan), so product_source_file_idx still applies.
        qb.andWhere(`p.source_file = ANY(ARRAY(SELECT CAST(:sourceFile AS text) UNION
          SELECT e.source_file FROM load_event e WHERE e.source_key = CAST(:sourceFile AS text)))`, { sourceFile: filter.sourceFile });
      }
      if (nodeId) {
        qb.andWhere('EXISTS (SELECT 1 FROM channel_node_product m WHERE m.product_entity_id = p.entity_id AND m.channel_node_id = :nodeId)', { nodeId });
      }
      applyAttributeConditions(qb, 'p', filter.attributeEquals);
      const totalCount = opts.countTotal === false ? Number.NaN : await countOf(qb);
      const rows = await keysetRows(m, qb, { alias: 'p', table: 'product', afterKey, size, containment: !!filter.attributeEquals?.length });
      return toPage(rows, size, totalCount, (r) => r.entityId);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async listItems(bu: BusinessUnit, filter: ItemQuery, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions = {}): Promise<Page<ItemEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    const entityIds = parseEntityIds(filter.entityIds, 'filter.entityIds');
    const productIds = parseEntityIds(filter.productEntityIds, 'filter.productEntityIds');
    checkAttributeConditions(filter.attributeEquals);
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(ItemEntity).createQueryBuilder('i');
      if (!filter.includeDeleted) qb.andWhere('NOT i.deleted');
      if (entityIds) qb.andWhere('i.entity_id = ANY(CAST(:entityIds AS bigint[]))', { entityIds });
      if (productIds) qb.andWhere('i.product_entity_id = ANY(CAST(:productIds AS bigint[]))', { productIds });
      if (filter.updatedSince) qb.andWhere('i.updated_at >= :since', { since: filter.updatedSince });
      applyAttributeConditions(qb, 'i', filter.attributeEquals);
      const totalCount = opts.countTotal === false ? Number.NaN : await countOf(qb);
      const rows = await keysetRows(m, qb, { alias: 'i', table: 'item', afterKey, size, containment: !!filter.attributeEquals?.length });
      return toPage(rows, size, totalCount, (r) => r.entityId);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async getItem(bu: BusinessUnit, entityId: string, includeDeleted: boolean): Promise<ItemEntity | null> {
    const [id] = parseEntityIds([entityId], 'entityId')!;
    return this.db.withBu(bu, (m) => m.getRepository(ItemEntity).findOne({ where: { entityId: id, ...(includeDeleted ? {} : { deleted: false }) } }), { readOnly: true });
  }
}
