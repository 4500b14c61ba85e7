-- The products each part of a full snapshot listed, kept with the part's file_complete event (in
-- the file's transaction), so that a later part counts the parts before it from the database.
-- Until now a loader kept them in memory: a restart, a crash or another copy of the service
-- between two parts lost them, and after a replay re-applied a part the products of the undone
-- version still counted, so absentFromSnapshot reported the wrong products. Only parts whose
-- event is valid (replay_date IS NULL) count. Parts applied before this migration have no row:
-- a snapshot whose parts straddle the upgrade reports its later parts as if they were the first.
CREATE TABLE snapshot_part (
  -- Deferred: the part's file_complete is written last, in the same transaction.
  event_id   bigint PRIMARY KEY REFERENCES load_event (id) DEFERRABLE INITIALLY DEFERRED,
  snapshot   text NOT NULL,      -- what the parts share: "<folder>|<timestamp>"
  entity_ids bigint[] NOT NULL
);
CREATE INDEX snapshot_part_snapshot_idx ON snapshot_part (snapshot);
