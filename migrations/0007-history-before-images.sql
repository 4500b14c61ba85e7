-- The history becomes an undo log: each row keeps the entity's stored image from just BEFORE its
-- change (NULL when it did not exist), instead of the image after it. What a change made is then
-- the next row's before-image, or the current row for the latest change, so nothing the tables
-- already hold is stored twice and inserts (a first full load is nothing else) store no image at
-- all. Rows written so far hold after-images; each one's before-image is the after-image of the
-- row before it (rows are in the order the changes happened, per entity), so they are converted
-- in place, losing nothing. A replay's own rows keep the image they restored, as before: what a
-- replay from that replay's event needs. This is the one rewrite the append-only guard lets through: done by
-- the owner inside this migration's transaction, the guard back on before it commits. It rewrites
-- the whole table once (time and space in proportion to the history).
ALTER TABLE entity_history DISABLE TRIGGER entity_history_guard_rows;
UPDATE entity_history h SET content = prev.before
FROM (SELECT id, lag(content) OVER (PARTITION BY entity_type, entity_key ORDER BY id) AS before FROM entity_history) prev
WHERE prev.id = h.id AND h.content IS DISTINCT FROM prev.before
  AND (SELECT e.event_type FROM load_event e WHERE e.id = h.event_id) <> 'replay';
ALTER TABLE entity_history ENABLE TRIGGER entity_history_guard_rows;

COMMENT ON COLUMN entity_history.content IS
  'The entity''s stored image just before this change (the row with its resources, links and, for products, membership); NULL when it did not exist. On a replay''s own rows: the image the replay restored. The image after a change is the next row''s content, or the current row for the latest change.';
