-- The image functions of 0002 were replaced by the set-based statement of the history writer
-- (src/loaders/history-writer.ts), which builds the same image for a whole batch; nothing calls
-- them, and a second definition of the image would drift from the one in use.
DROP FUNCTION channel_node_image(channel_node);
DROP FUNCTION item_image(item);
DROP FUNCTION product_image(product);
DROP FUNCTION owned_children(text, bigint);
