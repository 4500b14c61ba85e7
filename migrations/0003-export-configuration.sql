-- The CSV export: its configuration tables (the customer's names: csv_template_config,
-- field_mapping, decorator_data), the default legacy file set as data, and the export jobs.
-- Runs with search_path set to one BU schema; nothing here is qualified.

-- One row per output file. File-level options default to what Blower reads: ",", a header row,
-- RFC 4180 quoting (only fields that need it), LF line endings, UTF-8 without BOM.
CREATE TABLE csv_templates (
  name        text PRIMARY KEY,
  row_source  text NOT NULL CHECK (row_source IN ('PRODUCT', 'ITEM', 'CHANNEL_NODE', 'ATTRIBUTE',
                                                  'ITEM_ATTRIBUTE', 'ITEM_CATEGORY', 'ITEM_RESOURCE')),
  delimiter   text NOT NULL DEFAULT ',' CHECK (length(delimiter) = 1 AND delimiter NOT IN ('"', E'\r', E'\n')),
  enabled     boolean NOT NULL DEFAULT true,
  header      boolean NOT NULL DEFAULT true,
  quoting     text NOT NULL DEFAULT 'minimal' CHECK (quoting IN ('minimal', 'all')),
  line_ending text NOT NULL DEFAULT 'LF' CHECK (line_ending IN ('LF', 'CRLF')),
  encoding    text NOT NULL DEFAULT 'UTF-8' CHECK (encoding IN ('UTF-8', 'UTF-8-BOM')),
  -- Bumped by every change made through the API or the config import; recorded in each manifest.
  version     integer NOT NULL DEFAULT 1,
  notes       text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The customer's column table: one row per output column of a file.
CREATE TABLE csv_template_config (
  id             serial PRIMARY KEY,
  csv_name       text NOT NULL REFERENCES csv_templates (name) ON UPDATE CASCADE ON DELETE CASCADE,
  column_name    text NOT NULL CHECK (column_name <> ''),
  position       integer NOT NULL,
  source_type    text NOT NULL CHECK (source_type IN ('inriver_field', 'decorator', 'static', 'computed')),
  source_value   text,
  default_value  text,
  transformation text,
  required       boolean NOT NULL DEFAULT false,
  notes          text,
  UNIQUE (csv_name, column_name),
  UNIQUE (csv_name, position)
);

-- The customer's mapping table: which inRiver field becomes which legacy column or attribute.
-- Drives the long (EAV) files: each active row of a file yields one row per item with a value.
CREATE TABLE field_mapping (
  id                  serial PRIMARY KEY,
  inriver_entity      text NOT NULL CHECK (inriver_entity IN ('Item', 'Product')),
  inriver_field       text NOT NULL,
  heiler_csv          text NOT NULL,
  heiler_column       text NOT NULL,
  transformation_rule text,
  active              boolean NOT NULL DEFAULT true,
  notes               text
);
CREATE INDEX field_mapping_csv_idx ON field_mapping (heiler_csv, id) WHERE active;

-- The customer's table for what the legacy PIM had and inRiver does not (e.g. an attribute's
-- "purpose"). entity_id is the inRiver EntityId as text, or the AttributeId for attributes.
CREATE TABLE decorator_data (
  id              serial PRIMARY KEY,
  entity_type     text NOT NULL CHECK (entity_type IN ('Product', 'Item', 'ChannelNode', 'Resource', 'Attribute')),
  entity_id       text NOT NULL,
  decorator_type  text NOT NULL,
  decorator_value text,
  source          text DEFAULT 'manual',
  created_at      timestamptz NOT NULL DEFAULT now(),
  notes           text,
  UNIQUE (entity_type, entity_id, decorator_type)
);

-- BU-level export settings (default_locale: the locale a LocaleString renders in by default).
CREATE TABLE export_setting (
  name  text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO export_setting (name, value) VALUES ('default_locale', 'en');

-- Export jobs: queued by requestExport, claimed by a worker of any running copy (FOR UPDATE SKIP
-- LOCKED; the claiming connection holds an advisory lock on the job while it runs, so a job whose
-- process died is recognised and queued again or failed).
CREATE TABLE export_job (
  id                bigserial PRIMARY KEY,
  status            text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')),
  idempotency_key   text,
  templates         text[],                      -- NULL: every enabled template at run time
  requested_by      text,
  requested_at      timestamptz NOT NULL DEFAULT now(),
  started_at        timestamptz,
  finished_at       timestamptz,
  attempts          integer NOT NULL DEFAULT 0,
  worker            text,
  snapshot_event_id bigint,
  files             jsonb NOT NULL DEFAULT '[]'::jsonb,
  manifest_uri      text,
  warnings          jsonb NOT NULL DEFAULT '[]'::jsonb,
  error             text
);
CREATE UNIQUE INDEX export_job_idempotency_key_idx ON export_job (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX export_job_active_idx ON export_job (status, id) WHERE status IN ('QUEUED', 'RUNNING');

-- The default legacy file set (docs/csv-export.md documents every column). Operators adapt it
-- through the API or `npm run config -- import`; nothing in code depends on these rows.
INSERT INTO csv_templates (name, row_source, notes) VALUES
  ('products.csv',        'PRODUCT',        'One row per product.'),
  ('items.csv',           'ITEM',           'One row per item: the legacy item table.'),
  ('itemdataflex.csv',    'ITEM',           'Wide item fields (the legacy itemdataflex table).'),
  ('item-attributes.csv', 'ITEM_ATTRIBUTE', 'Long (EAV) item attributes: one row per item and field_mapping row.'),
  ('attributes.csv',      'ATTRIBUTE',      'Attribute definitions from the AttributeFile, with their purpose decorator.'),
  ('categories.csv',      'CHANNEL_NODE',   'The category tree.'),
  ('item-categories.csv', 'ITEM_CATEGORY',  'Item → category links (items inherit their product''s categories).'),
  ('item-media.csv',      'ITEM_RESOURCE',  'Item media: the item''s resources, then its product''s.');

INSERT INTO csv_template_config (csv_name, position, column_name, source_type, source_value, transformation, required, notes) VALUES
  ('products.csv', 1, 'product_entity_id', 'inriver_field', 'EntityId', NULL, true, 'inRiver EntityId'),
  ('products.csv', 2, 'product_id', 'inriver_field', 'ProductId', NULL, true, 'business key'),
  ('products.csv', 3, 'name', 'inriver_field', 'ProductShortDescription', NULL, false, 'default locale'),
  ('products.csv', 4, 'name_fr_ca', 'inriver_field', 'ProductShortDescription', 'locale(fr-CA)', false, NULL),
  ('products.csv', 5, 'product_family', 'inriver_field', 'ProductProductFamily', NULL, false, NULL),
  ('products.csv', 6, 'supplier_code', 'inriver_field', 'ProductMainSupplier', NULL, false, 'CVL key'),
  ('products.csv', 7, 'supplier_name', 'inriver_field', 'ProductMainSupplier', 'cvl_value', false, 'CVL display value'),
  ('products.csv', 8, 'attribute_set', 'inriver_field', 'FieldSetId', NULL, false, NULL),
  ('products.csv', 9, 'updated_at', 'inriver_field', 'UpdatedAt', 'date("YYYY-MM-DD HH:mm:ss")', false, 'UTC'),

  ('items.csv', 1, 'item_id', 'inriver_field', 'EntityId', NULL, true, 'inRiver EntityId'),
  ('items.csv', 2, 'item_no', 'inriver_field', 'ItemWatscoItemNo', NULL, true, 'business key'),
  ('items.csv', 3, 'product_id', 'inriver_field', 'Product.ProductId', NULL, true, NULL),
  ('items.csv', 4, 'product_entity_id', 'inriver_field', 'Product.EntityId', NULL, false, NULL),
  ('items.csv', 5, 'name', 'inriver_field', 'ItemSupplierShortDescriptionEN', NULL, false, NULL),
  ('items.csv', 6, 'manufacturer_item_no', 'inriver_field', 'ItemManufacturerItemNo', NULL, false, NULL),
  ('items.csv', 7, 'upc', 'inriver_field', 'ItemUPCCode', NULL, false, NULL),
  ('items.csv', 8, 'attribute_set', 'inriver_field', 'FieldSetId', NULL, false, NULL),
  ('items.csv', 9, 'position', 'inriver_field', 'SortOrder', NULL, false, 'position in its product (0-based)'),
  ('items.csv', 10, 'updated_at', 'inriver_field', 'UpdatedAt', 'date("YYYY-MM-DD HH:mm:ss")', false, 'UTC'),

  ('itemdataflex.csv', 1, 'item_id', 'inriver_field', 'EntityId', NULL, true, NULL),
  ('itemdataflex.csv', 2, 'item_no', 'inriver_field', 'ItemWatscoItemNo', NULL, true, NULL),
  ('itemdataflex.csv', 3, 'BU_ISD', 'inriver_field', 'Product.ProductShortDescription', NULL, false, 'the product short description'),
  ('itemdataflex.csv', 4, 'weight_lb', 'inriver_field', 'ItemItemImperialWeightinPounds', 'decimals(2)', false, NULL),
  ('itemdataflex.csv', 5, 'quantity', 'inriver_field', 'ItemItemQuantity', NULL, false, NULL),
  ('itemdataflex.csv', 6, 'uom', 'inriver_field', 'ItemItemQuantityType', NULL, false, 'CVL key'),
  ('itemdataflex.csv', 7, 'uom_name', 'inriver_field', 'ItemItemQuantityType', 'cvl_value', false, NULL),
  ('itemdataflex.csv', 8, 'country_of_origin', 'inriver_field', 'ItemCountryofOrigin', NULL, false, 'CVL keys joined by |'),
  ('itemdataflex.csv', 9, 'ansi_standards', 'inriver_field', 'ItemANSIStandards', 'cvl_value | join(", ")', false, NULL),
  ('itemdataflex.csv', 10, 'product_family', 'inriver_field', 'Product.ProductProductFamily', NULL, false, NULL),
  ('itemdataflex.csv', 11, 'main_supplier', 'inriver_field', 'Product.ProductMainSupplier', 'cvl_value', false, NULL),

  ('item-attributes.csv', 1, 'item_id', 'inriver_field', 'EntityId', NULL, true, NULL),
  ('item-attributes.csv', 2, 'item_no', 'inriver_field', 'ItemWatscoItemNo', NULL, false, NULL),
  ('item-attributes.csv', 3, 'attribute_code', 'computed', 'mapping_column()', NULL, true, 'field_mapping.heiler_column'),
  ('item-attributes.csv', 4, 'attribute_name', 'inriver_field', 'Attribute.Name', NULL, false, 'from the AttributeFile'),
  ('item-attributes.csv', 5, 'value', 'computed', 'mapping_value()', NULL, false, 'after field_mapping.transformation_rule'),
  ('item-attributes.csv', 6, 'purpose', 'decorator', 'Attribute.purpose', NULL, false, 'decorator_data of the attribute'),

  ('attributes.csv', 1, 'entity_type', 'inriver_field', 'EntityTypeId', NULL, true, NULL),
  ('attributes.csv', 2, 'attribute_id', 'inriver_field', 'AttributeId', NULL, true, NULL),
  ('attributes.csv', 3, 'name', 'inriver_field', 'Name', NULL, false, 'default locale'),
  ('attributes.csv', 4, 'data_type', 'inriver_field', 'DataType', NULL, false, NULL),
  ('attributes.csv', 5, 'multi_value', 'inriver_field', 'IsMultiValue', NULL, false, '1/0'),
  ('attributes.csv', 6, 'sort_order', 'inriver_field', 'SortOrder', NULL, false, NULL),
  ('attributes.csv', 7, 'allowed_values', 'inriver_field', 'AllowedValues', NULL, false, 'CVL keys joined by |'),
  ('attributes.csv', 8, 'fieldsets', 'inriver_field', 'Fieldsets', NULL, false, 'fieldset ids joined by |'),
  ('attributes.csv', 9, 'purpose', 'decorator', 'purpose', NULL, false, 'decorator_data'),

  ('categories.csv', 1, 'category_id', 'inriver_field', 'EntityId', NULL, true, NULL),
  ('categories.csv', 2, 'category_code', 'inriver_field', 'ChannelNodeID', NULL, false, NULL),
  ('categories.csv', 3, 'parent_id', 'computed', 'parent(EntityId)', NULL, false, 'empty for a root'),
  ('categories.csv', 4, 'name', 'inriver_field', 'ChannelNodeName', NULL, false, 'default locale'),
  ('categories.csv', 5, 'path', 'computed', 'category_path(ChannelNodeName, " > ")', NULL, false, NULL),
  ('categories.csv', 6, 'level', 'computed', 'level()', NULL, false, '1 for a root'),
  ('categories.csv', 7, 'position', 'inriver_field', 'SortOrder', NULL, false, 'position under its parent (0-based)'),
  ('categories.csv', 8, 'active', 'inriver_field', 'ChannelNodeActiveInEcommerce', NULL, false, '1/0'),
  ('categories.csv', 9, 'include_in_menu', 'inriver_field', 'ChannelNodeIncludeinMenu', NULL, false, '1/0'),

  ('item-categories.csv', 1, 'item_id', 'inriver_field', 'EntityId', NULL, true, NULL),
  ('item-categories.csv', 2, 'item_no', 'inriver_field', 'ItemWatscoItemNo', NULL, false, NULL),
  ('item-categories.csv', 3, 'product_id', 'inriver_field', 'Product.ProductId', NULL, false, NULL),
  ('item-categories.csv', 4, 'category_id', 'inriver_field', 'ChannelNode.EntityId', NULL, true, NULL),
  ('item-categories.csv', 5, 'category_code', 'inriver_field', 'ChannelNode.ChannelNodeID', NULL, false, NULL),
  ('item-categories.csv', 6, 'position', 'inriver_field', 'ChannelNode.SortOrder', NULL, false, 'position among the product''s categories'),

  ('item-media.csv', 1, 'item_id', 'inriver_field', 'EntityId', NULL, true, NULL),
  ('item-media.csv', 2, 'item_no', 'inriver_field', 'ItemWatscoItemNo', NULL, false, NULL),
  ('item-media.csv', 3, 'resource_id', 'inriver_field', 'Resource.EntityId', NULL, true, NULL),
  ('item-media.csv', 4, 'file_name', 'inriver_field', 'Resource.ResourceFilename', NULL, true, NULL),
  ('item-media.csv', 5, 'mime_type', 'inriver_field', 'Resource.ResourceMIMEType', NULL, false, NULL),
  ('item-media.csv', 6, 'media_type', 'inriver_field', 'Resource.ResourceResourceType', NULL, false, 'CVL key: normal, cl, subs'),
  ('item-media.csv', 7, 'file_id', 'inriver_field', 'Resource.ResourceFileId', NULL, false, NULL),
  ('item-media.csv', 8, 'position', 'inriver_field', 'Resource.SortOrder', NULL, false, 'own resources first (0-based)'),
  ('item-media.csv', 9, 'inherited_from', 'computed', 'resource_owner()', NULL, false, 'Item or Product');

-- Example mappings for item-attributes.csv (operators replace them with the real list).
INSERT INTO field_mapping (inriver_entity, inriver_field, heiler_csv, heiler_column, transformation_rule, notes) VALUES
  ('Item', 'ItemItemImperialWeightinPounds', 'item-attributes.csv', 'weight', 'decimals(2)', 'pounds'),
  ('Item', 'ItemItemQuantityType', 'item-attributes.csv', 'uom', NULL, 'CVL key'),
  ('Item', 'ItemCountryofOrigin', 'item-attributes.csv', 'country_of_origin', 'cvl_value | join(", ")', NULL),
  ('Item', 'ItemUPCCode', 'item-attributes.csv', 'upc', NULL, NULL),
  ('Product', 'ProductProductFamily', 'item-attributes.csv', 'product_family', NULL, 'inherited from the product');
