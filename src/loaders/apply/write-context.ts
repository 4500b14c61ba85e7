import { Queryable } from '../../db/queryable';

// What the writers of one file share: the file's transaction, its event and the counts.

export interface ApplyCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  deletesOfUnknown: number;
  /**
   * Entities removed because a file that states a whole set (the channel file, the AttributeFile)
   * no longer lists them: a change the file made, but no line of it, so not in `deleted`.
   */
  removedAbsent: number;
  items: { inserted: number; updated: number; unchanged: number; removed: number; deleted: number };
}

export const emptyCounts = (): ApplyCounts => ({
  inserted: 0, updated: 0, unchanged: 0, deleted: 0, deletesOfUnknown: 0, removedAbsent: 0,
  items: { inserted: 0, updated: 0, unchanged: 0, removed: 0, deleted: 0 },
});

export interface WriteContext {
  runner: Queryable;
  eventId: string;
  sourceFile: string;
  counts: ApplyCounts;
}

