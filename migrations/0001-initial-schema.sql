-- Initial tables of one business unit's schema. Runs with search_path set to that schema:
-- no table name here is qualified, so the same file builds every BU.

-- The append-only load event log (see docs/loading-and-replay.md).
CREATE TABLE load_event (
  id                  bigserial PRIMARY KEY,
  event_time          timestamptz NOT NULL DEFAULT clock_timestamp(),
  event_type          text NOT NULL CHECK (event_type IN ('file_start', 'file_complete', 'file_error')),
  source_file         text NOT NULL,                 -- full URI
  source_key          text NOT NULL,                 -- key inside the source, used for ordering
  source_etag         text,
  source_sha256       text,
  entity_type         text,
  start_event_id      bigint REFERENCES load_event (id),
  records_processed   integer,
  records_inserted    integer,
  records_updated     integer,
  records_unchanged   integer,
  records_deleted     integer,
  records_quarantined integer,
  error_message       text,
  metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
  replay_date         timestamptz,
  replay_reason       text
);
CREATE INDEX load_event_key_idx ON load_event (source_key, source_etag) WHERE replay_date IS NULL;
CREATE INDEX load_event_time_idx ON load_event (event_time);

-- Current state. Each entity keeps its delivered attributes (JSONB, the bronze layer for dbt),
-- any envelope keys this service does not know (`extra`), a hash of its content to skip
-- unchanged lines, and the file/event/time that last changed it.
CREATE TABLE product (
  entity_id       bigint PRIMARY KEY,
  product_id      text,
  field_set_id    text,
  attributes      jsonb NOT NULL DEFAULT '{}'::jsonb,
  extra           jsonb,
  content_hash    text NOT NULL,
  deleted         boolean NOT NULL DEFAULT false,
  deleted_at      timestamptz,
  deleted_by_file text,
  source_file     text NOT NULL,
  event_id        bigint NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX product_product_id_idx ON product (product_id);
CREATE INDEX product_updated_at_idx ON product (updated_at);
CREATE INDEX product_source_file_idx ON product (source_file);
CREATE INDEX product_attributes_idx ON product USING gin (attributes jsonb_path_ops);

CREATE TABLE item (
  entity_id         bigint PRIMARY KEY,
  product_entity_id bigint NOT NULL,
  sort_order        integer NOT NULL,
  field_set_id      text,
  attributes        jsonb NOT NULL DEFAULT '{}'::jsonb,
  extra             jsonb,
  content_hash      text NOT NULL,
  deleted           boolean NOT NULL DEFAULT false,
  deleted_at        timestamptz,
  deleted_by_file   text,
  source_file       text NOT NULL,
  event_id          bigint NOT NULL,
  updated_at        timestamptz NOT NULL
);
CREATE INDEX item_product_idx ON item (product_entity_id, sort_order);
CREATE INDEX item_updated_at_idx ON item (updated_at);
CREATE INDEX item_attributes_idx ON item USING gin (attributes jsonb_path_ops);

CREATE TABLE channel_node (
  entity_id       bigint PRIMARY KEY,
  field_set_id    text,
  attributes      jsonb NOT NULL DEFAULT '{}'::jsonb,
  extra           jsonb,
  content_hash    text NOT NULL,
  deleted         boolean NOT NULL DEFAULT false,
  deleted_at      timestamptz,
  deleted_by_file text,
  source_file     text NOT NULL,
  event_id        bigint NOT NULL,
  updated_at      timestamptz NOT NULL
);

-- Resources nested in a product, item or node, in delivered (display) order. The same resource
-- may hang under several owners, each with the attributes its owner's line delivered.
CREATE TABLE resource (
  owner_type         text NOT NULL,
  owner_entity_id    bigint NOT NULL,
  resource_entity_id bigint NOT NULL,
  sort_order         integer NOT NULL,
  field_set_id       text,
  attributes         jsonb NOT NULL DEFAULT '{}'::jsonb,
  extra              jsonb,
  PRIMARY KEY (owner_type, owner_entity_id, resource_entity_id)
);

-- Every link as delivered on its owner's line (both directions, all link types).
CREATE TABLE entity_link (
  owner_type           text NOT NULL,
  owner_entity_id      bigint NOT NULL,
  direction            text NOT NULL CHECK (direction IN ('INBOUND', 'OUTBOUND')),
  sort_order           integer NOT NULL,
  link_type_id         text NOT NULL,
  other_entity_type_id text NOT NULL,
  other_entity_id      bigint NOT NULL,
  extra                jsonb,
  PRIMARY KEY (owner_type, owner_entity_id, direction, sort_order)
);
CREATE INDEX entity_link_other_idx ON entity_link (other_entity_type_id, other_entity_id, link_type_id);

-- Category membership, owned by the product side (its ChannelNodeProduct inbound links).
CREATE TABLE channel_node_product (
  channel_node_id   bigint NOT NULL,
  product_entity_id bigint NOT NULL,
  sort_order        integer NOT NULL,
  PRIMARY KEY (channel_node_id, product_entity_id)
);
CREATE INDEX channel_node_product_product_idx ON channel_node_product (product_entity_id);

CREATE TABLE attribute_definition (
  entity_type_id  text NOT NULL,
  attribute_id    text NOT NULL,
  data_type       text NOT NULL,
  names           jsonb NOT NULL DEFAULT '{}'::jsonb,
  sort_order      integer,
  is_multi_value  boolean NOT NULL DEFAULT false,
  allowed_values  jsonb,
  fieldsets       jsonb,
  extra           jsonb,
  content_hash    text NOT NULL,
  source_file     text NOT NULL,
  event_id        bigint NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (entity_type_id, attribute_id)
);

-- Lines that could not be applied, verbatim, with why.
CREATE TABLE quarantined_line (
  id          bigserial PRIMARY KEY,
  source_file text NOT NULL,
  line_number integer NOT NULL,
  reason      text NOT NULL,
  raw_line    text NOT NULL,
  event_id    bigint,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantined_line_file_idx ON quarantined_line (source_file, line_number);
