import { Queryable } from '../../db/queryable';
import { productsAbsentFrom } from '../../repositories/product.repository';
import { earlierPartIds, insertSnapshotPart } from '../../repositories/snapshot-part.repository';
import type { PlannedFile } from '../plan/load-planner';

const ABSENT_LISTED = 1000;

/**
 * Products stored but in no part of this full snapshot so far: counted and listed, never
 * deleted (a partial snapshot must not wipe a catalogue). Parts share folder and timestamp;
 * the figure on the last part applied is the snapshot's. The parts before this one are read
 * from the database (snapshot_part, only those whose event is valid), not from memory: a
 * restart, a crash or another copy of the service between two parts, or a replay that undid
 * some, must not change what a part reports.
 */
export async function absentFromSnapshot(runner: Queryable, eventId: string, file: PlannedFile, seen: Set<string>): Promise<Record<string, unknown>> {
  const snapshot = `${file.key.slice(0, file.key.lastIndexOf('/'))}|${file.timestamp}`;
  const inSnapshot = new Set(seen);
  for (const part of await earlierPartIds(runner, snapshot)) for (const id of part) inSnapshot.add(String(id));
  // Kept with this part's file_complete (same transaction): the next part counts it, whoever applies that one.
  await insertSnapshotPart(runner, eventId, snapshot, [...seen]);
  const absent = await productsAbsentFrom(runner, [...inSnapshot], ABSENT_LISTED);
  return { count: absent.count, ids: absent.ids, listedUpTo: ABSENT_LISTED, productsInSnapshot: inSnapshot.size };
}
