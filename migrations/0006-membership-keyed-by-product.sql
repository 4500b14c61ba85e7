-- Category membership is written and probed by product on every batch of a load (a product line
-- states its categories), and by node only to page a node's products. With the node first in the
-- primary key, a probe by product had two indexes to choose from, and when the planner's statistics
-- are wrong (inside a load, or after an interrupted one) it could scan the whole primary key once
-- per product. The product now leads the key; the node's index keeps node pages in product order.
ALTER TABLE channel_node_product DROP CONSTRAINT channel_node_product_pkey;
ALTER TABLE channel_node_product ADD PRIMARY KEY (product_entity_id, channel_node_id);
DROP INDEX channel_node_product_product_idx;
CREATE INDEX channel_node_product_node_idx ON channel_node_product (channel_node_id, product_entity_id);
