import { Queryable } from '../db/queryable';
import { validEvent } from './load-event.repository';

// snapshot_part: which products each applied part of a full snapshot held, so a later part (in
// this process or another, after a restart or a replay) counts the products the whole snapshot lacks.

/** EntityIds of the parts of `snapshot` applied so far by valid events. */
export async function earlierPartIds(q: Queryable, snapshot: string): Promise<string[][]> {
  const earlier: { entity_ids: string[] }[] = await q.query(
    `SELECT s.entity_ids FROM snapshot_part s JOIN load_event e ON e.id = s.event_id
       WHERE s.snapshot = $1 AND ${validEvent('e')}`, [snapshot]);
  return earlier.map((part) => part.entity_ids);
}

/** Records one part, with the file_complete of the part (same transaction). */
export async function insertSnapshotPart(q: Queryable, eventId: string, snapshot: string, entityIds: string[]): Promise<void> {
  await q.query('INSERT INTO snapshot_part (event_id, snapshot, entity_ids) VALUES ($1, $2, $3::bigint[])',
    [eventId, snapshot, entityIds]);
}
