-- The event log becomes tamper-proof in the database itself, and every change of the state is
-- kept in an append-only history (for replay, per-entity history and "what changed since").

ALTER TABLE load_event DROP CONSTRAINT load_event_event_type_check;
ALTER TABLE load_event ADD CONSTRAINT load_event_event_type_check
  CHECK (event_type IN ('file_start', 'file_complete', 'file_error', 'replay'));

-- Events are never deleted; the only update is setting replay_date and replay_reason, once.
CREATE FUNCTION load_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'load_event cannot be truncated: the event log is append-only';
  ELSIF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'load_event % cannot be deleted: the event log is append-only (a replay marks events instead)', OLD.id;
  END IF;
  IF OLD.replay_date IS NOT NULL THEN
    RAISE EXCEPTION 'load_event % was already marked for replay at % and cannot change again', OLD.id, OLD.replay_date;
  END IF;
  IF NEW.replay_date IS NULL OR NEW.replay_reason IS NULL OR btrim(NEW.replay_reason) = '' THEN
    RAISE EXCEPTION 'load_event %: an update must set replay_date and a non-empty replay_reason', OLD.id;
  END IF;
  IF (to_jsonb(NEW) - 'replay_date' - 'replay_reason') IS DISTINCT FROM (to_jsonb(OLD) - 'replay_date' - 'replay_reason') THEN
    RAISE EXCEPTION 'load_event %: only replay_date and replay_reason may be set; every other column is immutable', OLD.id;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER load_event_guard_rows BEFORE UPDATE OR DELETE ON load_event
  FOR EACH ROW EXECUTE FUNCTION load_event_guard();
CREATE TRIGGER load_event_guard_truncate BEFORE TRUNCATE ON load_event
  FOR EACH STATEMENT EXECUTE FUNCTION load_event_guard();

-- One row per insert, update or delete of a product, item, channel node or attribute
-- definition, with the event that made it and the stored image after the change (nested
-- resources, links and membership included, so a replay can put any entity back exactly).
-- content is NULL when the entity's row was removed altogether.
CREATE TABLE entity_history (
  id          bigserial PRIMARY KEY,
  -- Deferred: a file's rows are written before its file_complete event, in the same transaction.
  event_id    bigint NOT NULL REFERENCES load_event (id) DEFERRABLE INITIALLY DEFERRED,
  entity_type text NOT NULL CHECK (entity_type IN ('Product', 'Item', 'ChannelNode', 'AttributeDefinition')),
  entity_key  text NOT NULL,   -- EntityId; "EntityTypeId/AttributeId" for attribute definitions
  operation   text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  changed_at  timestamptz NOT NULL,
  source_file text NOT NULL,
  content     jsonb
);
CREATE INDEX entity_history_entity_idx ON entity_history (entity_type, entity_key, event_id DESC, id DESC);
CREATE INDEX entity_history_event_idx ON entity_history (event_id, id);
CREATE INDEX entity_history_changed_at_idx ON entity_history (changed_at);

CREATE FUNCTION entity_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'entity_history is append-only: % is not allowed', TG_OP;
END $$;
CREATE TRIGGER entity_history_guard_rows BEFORE UPDATE OR DELETE ON entity_history
  FOR EACH ROW EXECUTE FUNCTION entity_history_guard();
CREATE TRIGGER entity_history_guard_truncate BEFORE TRUNCATE ON entity_history
  FOR EACH STATEMENT EXECUTE FUNCTION entity_history_guard();

-- Stored images: the row as it is plus its nested sets. Replay writes them back with
-- jsonb_populate_record, so an image always has exactly the table's columns.
CREATE FUNCTION owned_children(p_owner_type text, p_owner_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'resources', coalesce((SELECT jsonb_agg(to_jsonb(r) - 'owner_type' - 'owner_entity_id' ORDER BY r.sort_order, r.resource_entity_id)
                           FROM resource r WHERE r.owner_type = p_owner_type AND r.owner_entity_id = p_owner_id), '[]'::jsonb),
    'links', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'owner_type' - 'owner_entity_id' ORDER BY l.direction, l.sort_order)
                       FROM entity_link l WHERE l.owner_type = p_owner_type AND l.owner_entity_id = p_owner_id), '[]'::jsonb))
$$;

CREATE FUNCTION product_image(p product) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT to_jsonb(p) || owned_children('Product', p.entity_id) || jsonb_build_object(
    'membership', coalesce((SELECT jsonb_agg(to_jsonb(m) - 'product_entity_id' ORDER BY m.sort_order, m.channel_node_id)
                            FROM channel_node_product m WHERE m.product_entity_id = p.entity_id), '[]'::jsonb))
$$;

CREATE FUNCTION item_image(i item) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT to_jsonb(i) || owned_children('Item', i.entity_id)
$$;

CREATE FUNCTION channel_node_image(n channel_node) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT to_jsonb(n) || owned_children('ChannelNode', n.entity_id)
$$;
