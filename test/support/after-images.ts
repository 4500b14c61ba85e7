import { imageSql } from '../../src/repositories/entity-history.repository';

/**
 * Each history row's content as the code before migration 0007 wrote it: the image after the
 * change (the next row's before-image, or the current row for the latest change); a replay's own
 * rows kept what they restored then as now. Rows of (id, content), for databases of earlier versions.
 */
export const AFTER_IMAGES = `
  SELECT o.id, CASE WHEN o.replay THEN o.content WHEN NOT o.latest THEN o.next ELSE (
      CASE o.entity_type
        WHEN 'Product' THEN (SELECT ${imageSql('product')} FROM product t WHERE t.entity_id = o.entity_key::bigint)
        WHEN 'Item' THEN (SELECT ${imageSql('item')} FROM item t WHERE t.entity_id = o.entity_key::bigint)
        WHEN 'ChannelNode' THEN (SELECT ${imageSql('channel_node')} FROM channel_node t WHERE t.entity_id = o.entity_key::bigint)
        ELSE (SELECT to_jsonb(d) FROM attribute_definition d WHERE d.entity_type_id || '/' || d.attribute_id = o.entity_key) END)
    END AS content
  FROM (SELECT h.id, h.entity_type, h.entity_key, h.content, lead(h.content) OVER w AS next, lead(h.id) OVER w IS NULL AS latest,
          e.event_type = 'replay' AS replay
        FROM entity_history h JOIN load_event e ON e.id = h.event_id
        WINDOW w AS (PARTITION BY h.entity_type, h.entity_key ORDER BY h.id)) o`;

/** Rewrites the history of the current schema to after-images (the guard trigger must be off). */
export const TO_AFTER_IMAGES = `UPDATE entity_history h SET content = a.content FROM (${AFTER_IMAGES}) a WHERE a.id = h.id`;
