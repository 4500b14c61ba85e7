-- The GIN indexes on attributes take a first full load's entries into their pending lists (cheap
-- appends) and have them merged into the trees by a second connection while the load goes on
-- (src/loaders/apply/index-cleaner.ts): the merge runs on another core instead of inside the
-- loading backend, which is the load's bottleneck. A larger pending list lets the loading backend
-- leave the merge to that connection; autovacuum still merges what is left.
ALTER INDEX item_attributes_idx SET (gin_pending_list_limit = 65536);
ALTER INDEX product_attributes_idx SET (gin_pending_list_limit = 65536);

-- gin_clean_pending_list needs the index's owner; the service's role may only call this. It does
-- what autovacuum would do, on these two indexes only, so it stays callable by anyone who can
-- reach the schema. The names are qualified and the search_path pinned (SECURITY DEFINER).
DO $$
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION clean_attribute_index_pending_lists() RETURNS bigint
      LANGUAGE sql SECURITY DEFINER SET search_path = %1$I, pg_temp
      AS $body$ SELECT gin_clean_pending_list(%2$L::regclass) + gin_clean_pending_list(%3$L::regclass) $body$
  $f$, current_schema(), format('%I.item_attributes_idx', current_schema()), format('%I.product_attributes_idx', current_schema()));
END $$;
