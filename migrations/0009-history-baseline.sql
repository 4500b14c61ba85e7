-- A replay puts each entity back to the before-image of its first history row at or after the event
-- it replays from (an undo log, 0007). Entities stored before the history existed (a database
-- written at version 0001, before 0002) have no row at all, so a replay from an event at or before
-- the one that last wrote them would leave them as they are instead of undoing that event. Each
-- entity without a history row gets one under the event that last wrote it: an UPDATE whose
-- before-image is not known (NULL). The image after it is the current row, as for any latest
-- change, so `history` lists that version. A replay that would need the unknown image (one from
-- that event or an earlier one, but not the BU's first event) is refused, naming the entities
-- (src/loaders/state-restorer.ts). The same holds for rows 0007 converted whose entity existed
-- before the history began (its first row is an UPDATE with no earlier row to take an image
-- from). A database written at 0002 or later has no entity without a row: this inserts nothing there.
INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT t.event_id, 'Product', t.entity_id::text, 'UPDATE', t.updated_at, t.source_file, NULL
FROM product t
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = t.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'Product' AND h.entity_key = t.entity_id::text)
ORDER BY t.entity_id;

INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT t.event_id, 'Item', t.entity_id::text, 'UPDATE', t.updated_at, t.source_file, NULL
FROM item t
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = t.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'Item' AND h.entity_key = t.entity_id::text)
ORDER BY t.entity_id;

INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT t.event_id, 'ChannelNode', t.entity_id::text, 'UPDATE', t.updated_at, t.source_file, NULL
FROM channel_node t
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = t.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'ChannelNode' AND h.entity_key = t.entity_id::text)
ORDER BY t.entity_id;

INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
SELECT d.event_id, 'AttributeDefinition', d.entity_type_id || '/' || d.attribute_id, 'UPDATE', d.updated_at, d.source_file, NULL
FROM attribute_definition d
WHERE EXISTS (SELECT 1 FROM load_event e WHERE e.id = d.event_id)
  AND NOT EXISTS (SELECT 1 FROM entity_history h WHERE h.entity_type = 'AttributeDefinition' AND h.entity_key = d.entity_type_id || '/' || d.attribute_id)
ORDER BY d.entity_type_id, d.attribute_id;
