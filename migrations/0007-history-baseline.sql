-- A replay puts each entity back to its latest image before the event it replays from, and removes
-- an entity that has none. Entities stored before the history existed (a database written at
-- version 0001, before 0002) had no image at all, so a replay from any later event removed them
-- (a product last changed before the upgrade and changed again after it was gone after a replay
-- of the later file). Each entity without a history row gets one: its stored image (the shape the
-- history writer records), under the event that last wrote it. Its operation is UPDATE, never
-- INSERT: how the entity began is not known, and a replay from before that event is refused
-- (src/loaders/state-restorer.ts). A database written at 0002 or later has no such entity: this
-- inserts nothing there.
INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT t.event_id, 'Product', t.entity_id::text, 'UPDATE', t.updated_at, t.source_file,
  to_jsonb(t) || jsonb_build_object(
    'resources', coalesce((SELECT jsonb_agg(to_jsonb(r) - 'owner_type' - 'owner_entity_id' ORDER BY r.sort_order, r.resource_entity_id)
                           FROM resource r WHERE r.owner_type = 'Product' AND r.owner_entity_id = t.entity_id), '[]'::jsonb),
    'links', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'owner_type' - 'owner_entity_id' ORDER BY l.direction, l.sort_order)
                       FROM entity_link l WHERE l.owner_type = 'Product' AND l.owner_entity_id = t.entity_id), '[]'::jsonb),
    'membership', coalesce((SELECT jsonb_agg(to_jsonb(m) - 'product_entity_id' ORDER BY m.sort_order, m.channel_node_id)
                            FROM channel_node_product m WHERE m.product_entity_id = t.entity_id), '[]'::jsonb))
FROM product t
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = t.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'Product' AND h.entity_key = t.entity_id::text)
ORDER BY t.entity_id;

INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT t.event_id, 'Item', t.entity_id::text, 'UPDATE', t.updated_at, t.source_file,
  to_jsonb(t) || jsonb_build_object(
    'resources', coalesce((SELECT jsonb_agg(to_jsonb(r) - 'owner_type' - 'owner_entity_id' ORDER BY r.sort_order, r.resource_entity_id)
                           FROM resource r WHERE r.owner_type = 'Item' AND r.owner_entity_id = t.entity_id), '[]'::jsonb),
    'links', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'owner_type' - 'owner_entity_id' ORDER BY l.direction, l.sort_order)
                       FROM entity_link l WHERE l.owner_type = 'Item' AND l.owner_entity_id = t.entity_id), '[]'::jsonb))
FROM item t
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = t.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'Item' AND h.entity_key = t.entity_id::text)
ORDER BY t.entity_id;

INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT t.event_id, 'ChannelNode', t.entity_id::text, 'UPDATE', t.updated_at, t.source_file,
  to_jsonb(t) || jsonb_build_object(
    'resources', coalesce((SELECT jsonb_agg(to_jsonb(r) - 'owner_type' - 'owner_entity_id' ORDER BY r.sort_order, r.resource_entity_id)
                           FROM resource r WHERE r.owner_type = 'ChannelNode' AND r.owner_entity_id = t.entity_id), '[]'::jsonb),
    'links', coalesce((SELECT jsonb_agg(to_jsonb(l) - 'owner_type' - 'owner_entity_id' ORDER BY l.direction, l.sort_order)
                       FROM entity_link l WHERE l.owner_type = 'ChannelNode' AND l.owner_entity_id = t.entity_id), '[]'::jsonb))
FROM channel_node t
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = t.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'ChannelNode' AND h.entity_key = t.entity_id::text)
ORDER BY t.entity_id;

INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT d.event_id, 'AttributeDefinition', d.entity_type_id || '/' || d.attribute_id, 'UPDATE', d.updated_at, d.source_file, to_jsonb(d)
FROM attribute_definition d
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = d.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'AttributeDefinition' AND h.entity_key = d.entity_type_id || '/' || d.attribute_id)
ORDER BY d.entity_type_id, d.attribute_id;
