import { BusinessUnit } from '../src/config/business-unit';
import { Database } from '../src/db/database';

/**
 * Generates a catalog with SQL straight into a BU schema (no files, no loader): products shaped
 * like the real ones (21 attributes: LocaleString, CVL single and multi, Boolean, Integer, text),
 * items with `itemAttributes` attributes each, resources, and a 3-level channel tree of 570 nodes
 * with every product in one or two leaf nodes. 2% of products are deleted. Deterministic.
 */
export interface SeedOptions {
  products: number;
  itemsPerProduct: number;
  itemAttributes: number;
}

export const SEED_SOURCE_KEY = 'BAK/PRODUCT/2026/01/ecommerce_20260101000000_001.jsonl';
export const SEED_SOURCE_FILE = `file:///bench/${SEED_SOURCE_KEY}`;
export const PRODUCT_BASE = 1_000_000;
export const NODE_BASE = 900_000;

// Node ids: 1–10 roots, 11–80 their children (7 each), 81–570 leaves (7 under each level-2 node).
const NODES_SQL = `
  INSERT INTO channel_node (entity_id, attributes, content_hash, source_file, event_id, updated_at)
  SELECT ${NODE_BASE} + i,
    jsonb_build_object('ChannelNodeID', 'N' || i, 'ChannelNodeName', jsonb_build_object('en', 'Category ' || i, 'es', 'Categoría ' || i, 'fr-CA', 'Catégorie ' || i),
      'ChannelNodeActiveInEcommerce', true),
    md5(i::text), $1, $2, now()
  FROM generate_series(1, 570) i`;
const TREE_SQL = `
  INSERT INTO entity_link (owner_type, owner_entity_id, direction, sort_order, link_type_id, other_entity_type_id, other_entity_id)
  SELECT 'ChannelNode', ${NODE_BASE} + CASE WHEN i <= 80 THEN (i - 11) / 7 + 1 ELSE (i - 81) / 7 + 11 END, 'OUTBOUND',
    CASE WHEN i <= 80 THEN (i - 11) % 7 ELSE (i - 81) % 7 END, 'ChannelNodeChannelNodes', 'ChannelNode', ${NODE_BASE} + i
  FROM generate_series(11, 570) i`;

const PRODUCTS_SQL = `
  INSERT INTO product (entity_id, product_id, attributes, content_hash, deleted, deleted_at, source_file, event_id, updated_at)
  SELECT ${PRODUCT_BASE} + g, 'P' || g,
    jsonb_build_object(
      'ProductId', 'P' || g,
      'ProductShortDescription', jsonb_build_object('en', 'Product ' || g, 'es', 'Producto ' || g, 'fr-CA', 'Produit ' || g),
      'ProductProductFamily', 'FAM' || lpad((g % 1000)::text, 4, '0'),
      'ProductMainSupplier', jsonb_build_object('key', 'SUP-' || lpad((g % 200)::text, 4, '0'), 'value', 'Supplier ' || (g % 200)),
      'ProductCountries', CASE WHEN g % 2 = 0 THEN '{"keys": ["US", "MX"], "values": ["United States", "Mexico"]}'::jsonb
                               ELSE '{"keys": ["US"], "values": ["United States"]}'::jsonb END,
      'ProductBrand', 'Brand ' || (g % 50),
      'ProductActiveInEcommerce', (g % 10) <> 0,
      'ProductWarrantyYears', g % 7)
    || (SELECT jsonb_object_agg('ProductText' || k, md5(g || '-' || k)) FROM generate_series(1, 13) k),
    md5(g::text), g % 50 = 0, CASE WHEN g % 50 = 0 THEN now() END, $1, $2, now() - (g % 1000) * interval '1 minute'
  FROM generate_series(1, $3::int) g`;

const ITEMS_SQL = `
  INSERT INTO item (entity_id, product_entity_id, sort_order, attributes, content_hash, deleted, source_file, event_id, updated_at)
  SELECT 5000000 + g * 10 + k, ${PRODUCT_BASE} + g, k,
    jsonb_build_object(
      'ItemWatscoItemNo', 'W-' || g || '-' || k,
      'ItemItemQuantityType', jsonb_build_object('key', (ARRAY['EA', 'BX', 'CS'])[1 + (g + k) % 3], 'value', 'unit'),
      'ItemItemImperialWeightinPounds', (g % 97) / 10.0,
      'ItemItemQuantity', 1 + g % 12)
    || (SELECT coalesce(jsonb_object_agg('ItemAttr' || lpad(a::text, 4, '0'), md5(g || '-' || k || '-' || a)), '{}'::jsonb)
        FROM generate_series(1, $4::int) a),
    md5(g || '-' || k), g % 50 = 0, $1, $2, now()
  FROM generate_series(1, $3::int) g, generate_series(0, $5::int - 1) k`;

const RESOURCES_SQL = `
  INSERT INTO resource (owner_type, owner_entity_id, resource_entity_id, sort_order, attributes)
  SELECT 'Product', ${PRODUCT_BASE} + g, 20000000 + g * 2 + r, r,
    jsonb_build_object('ResourceFilename', g || '-' || r || '.jpg', 'ResourceMIMEType', 'image/jpeg')
  FROM generate_series(1, $1::int) g, generate_series(0, 1) r
  UNION ALL
  SELECT 'Item', i.entity_id, 30000000 + i.entity_id, 0, jsonb_build_object('ResourceFilename', i.entity_id || '.pdf')
  FROM item i`;

// Leaves are nodes 81–570: each product in leaf 81 + g % 490, every third also in another leaf.
const MEMBERSHIP_SQL = `
  WITH m AS (
    SELECT ${PRODUCT_BASE} + g AS product, ${NODE_BASE} + 81 + g % 490 AS node, 0 AS pos FROM generate_series(1, $1::int) g
    UNION ALL
    SELECT ${PRODUCT_BASE} + g, ${NODE_BASE} + 81 + (g * 7 + 3) % 490, 1 FROM generate_series(1, $1::int) g
    WHERE g % 3 = 0 AND (g * 7 + 3) % 490 <> g % 490),
  links AS (
    INSERT INTO entity_link (owner_type, owner_entity_id, direction, sort_order, link_type_id, other_entity_type_id, other_entity_id)
    SELECT 'Product', product, 'INBOUND', pos, 'ChannelNodeProduct', 'ChannelNode', node FROM m)
  INSERT INTO channel_node_product (channel_node_id, product_entity_id, sort_order) SELECT node, product, pos FROM m`;

export async function seedCatalog(db: Database, bu: BusinessUnit, opts: SeedOptions, say: (m: string) => void = () => undefined): Promise<void> {
  const run = (sql: string, params: unknown[] = []) => db.withBu(bu, (m) => m.query(sql, params));
  const [event] = await run(
    `INSERT INTO load_event (event_type, source_file, source_key, source_etag, entity_type, records_processed)
     VALUES ('file_complete', $1, $2, 'bench', 'Product', $3) RETURNING id`, [SEED_SOURCE_FILE, SEED_SOURCE_KEY, opts.products]);
  const meta = [SEED_SOURCE_FILE, event.id];
  const steps: [string, string, unknown[]][] = [
    ['channel nodes', NODES_SQL, meta],
    ['channel tree links', TREE_SQL, []],
    [`${opts.products} products`, PRODUCTS_SQL, [...meta, opts.products]],
    [`${opts.products * opts.itemsPerProduct} items × ${opts.itemAttributes} attributes`, ITEMS_SQL, [...meta, opts.products, opts.itemAttributes, opts.itemsPerProduct]],
    ['resources', RESOURCES_SQL, [opts.products]],
    ['category membership', MEMBERSHIP_SQL, [opts.products]],
  ];
  for (const [what, sql, params] of steps) {
    const started = Date.now();
    await run(sql, params);
    say(`seeded ${what} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  // Outside a transaction; sets the visibility map and statistics, as on a settled production table.
  await db.query('VACUUM (ANALYZE)');
}
