import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { ItemEntity, ProductEntity } from '../entities';
import { badInput } from '../errors/domain-error';
import {
  AttributeCondition, ItemQuery, ProductIncludes, ProductQuery, ProductWith, findItem, findProduct, listItems, listProducts,
} from '../repositories/product.repository';
import { ListOptions, Page, checkPageSize, decodeCursor, parseEntityIds, toPage } from './pagination';

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

/** Reads of the accumulated product and item state. */
export class ProductService {
  constructor(private readonly db: Database) {}

  /** One product, with its live items and categories read in the same statement when `include` asks for them. */
  async getProduct(bu: BusinessUnit, by: { entityId?: string | null; productId?: string | null }, includeDeleted: boolean,
    include: ProductIncludes = {}): Promise<ProductWith | null> {
    if ((by.entityId == null) === (by.productId == null)) throw badInput('give exactly one of entityId and productId');
    const ids = by.entityId != null ? parseEntityIds([by.entityId], 'entityId') : null;
    return this.db.withBu(bu, (m) => findProduct(m, ids ? { entityId: ids[0] } : { productId: by.productId! }, includeDeleted, include), { readOnly: true });
  }

  /** A page of products, with the live items and categories of its products in the page's statement when `include` asks. */
  async listProducts(bu: BusinessUnit, filter: ProductQuery, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions & { include?: ProductIncludes } = {}): Promise<Page<ProductWith>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    const entityIds = parseEntityIds(filter.entityIds, 'filter.entityIds');
    const nodeId = filter.channelNodeId != null ? parseEntityIds([filter.channelNodeId], 'filter.channelNodeId')![0] : null;
    checkAttributeConditions(filter.attributeEquals);
    const countTotal = opts.countTotal !== false;
    // A count and the page, or the two steps of an attribute filter's page, share one snapshot; one statement needs no transaction.
    const oneStatement = !countTotal && !filter.attributeEquals?.length;
    return this.db.withBu(bu, async (m) => {
      const { rows, children, totalCount } = await listProducts(m, { ...filter, entityIds, nodeId }, { afterKey, size, countTotal }, opts.include);
      const page = toPage(rows, size, totalCount, (r) => r.entityId);
      return { ...page, nodes: page.nodes.map((product) => ({ product, ...children.get(product.entityId) })) };
    }, oneStatement ? { readOnly: true } : { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async listItems(bu: BusinessUnit, filter: ItemQuery, first: number | null | undefined, after: string | null | undefined,
    opts: ListOptions = {}): Promise<Page<ItemEntity>> {
    const size = checkPageSize(first, 100);
    const afterKey = decodeCursor(after);
    const entityIds = parseEntityIds(filter.entityIds, 'filter.entityIds');
    const productIds = parseEntityIds(filter.productEntityIds, 'filter.productEntityIds');
    checkAttributeConditions(filter.attributeEquals);
    return this.db.withBu(bu, async (m) => {
      const { rows, totalCount } = await listItems(m, { ...filter, entityIds, productIds }, { afterKey, size, countTotal: opts.countTotal !== false });
      return toPage(rows, size, totalCount, (r) => r.entityId);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  async getItem(bu: BusinessUnit, entityId: string, includeDeleted: boolean): Promise<ItemEntity | null> {
    const [id] = parseEntityIds([entityId], 'entityId')!;
    return this.db.withBu(bu, (m) => findItem(m, id, includeDeleted), { readOnly: true });
  }
}
