import { BusinessUnit } from '../../config/business-unit';
import { Queryable } from '../../db/queryable';
import { AppliedFileRow, appliedFiles, findBlockingError } from '../../repositories/load-event.repository';
import { Source, SourceObject } from '../source/source';
import { SourceFileInfo, classifyKey, compareProductFiles, orderPass } from './file-order';

export type PlannedFile = SourceObject & SourceFileInfo & { uri: string };

export interface LateFile {
  file: PlannedFile;
  code: 'late_arrival' | 'overwritten';
  message: string;
}

export interface LoadPlan {
  /** Files to apply, in order. Empty when blocked or when a late file stops the BU. */
  files: PlannedFile[];
  /** Every file in the source not yet applied, in the order it would apply. */
  pending: PlannedFile[];
  blockedBy: { id: string; source_file: string; error_message: string } | null;
  late: LateFile | null;
}

type AppliedRow = AppliedFileRow;

/** Replaying from a file's start event re-applies that file and everything after it. */
const replayPoint = (a: AppliedRow) => String(a.start_event_id ?? a.id);

/** Everything in the source that concerns one BU, classified. */
export async function listBuFiles(source: Source, bu: BusinessUnit): Promise<PlannedFile[]> {
  const files: PlannedFile[] = [];
  for (const prefix of ['SHARED/', `${bu.sourceFolder}/CHANNEL/`, `${bu.sourceFolder}/PRODUCT/`]) {
    for await (const obj of source.list(prefix)) {
      const info = classifyKey(obj.key, bu.sourceFolder);
      if (info) files.push({ ...obj, ...info, uri: source.uriFor(obj.key) });
    }
  }
  return files;
}

/**
 * Decides what the next load pass applies (docs/input-format.md "Which file first", "Is a file new?"): a file is pending until
 * a valid file_complete exists for its key and ETag; a product file that sorts before the last
 * applied one, or an applied product file whose content changed, stops the BU instead.
 */
export async function planLoad(
  runner: Queryable, source: Source, bu: BusinessUnit, options: { asIfReplayedFrom?: string; listed?: readonly PlannedFile[] } = {},
): Promise<LoadPlan> {
  // A replay's dry run plans as if every event from its starting point were already marked.
  const before = options.asIfReplayedFrom;
  const blocked = await findBlockingError(runner, before);
  const applied = await appliedFiles(runner, before);
  const appliedVersions = new Set(applied.map((a) => `${a.source_key}\u0000${a.source_etag}`));
  // Ordered by id, so each key maps to its latest applied version.
  const appliedByKey = new Map(applied.map((a) => [a.source_key, a]));
  // A product file is done once any version of it applied (a changed one is reported below). The
  // channel file and the AttributeFile are overwritten in place: the state must follow the version the
  // source holds now, so they are pending whenever it differs from the latest applied one, even when
  // it equals an older one (A → B → A).
  const isPending = (f: PlannedFile) => (f.kind === 'product'
    ? !appliedVersions.has(`${f.key}\u0000${f.etag}`)
    : appliedByKey.get(f.key)?.source_etag !== f.etag);

  // The caller may have listed already (to check the BU's folder with the same listing).
  const all = options.listed ?? await listBuFiles(source, bu);
  const pending = orderPass(all.filter(isPending));
  const blockedBy = blocked ? { id: String(blocked.id), source_file: blocked.source_file, error_message: blocked.error_message } : null;

  const appliedProducts = applied
    .map((a) => ({ row: a, info: classifyKey(a.source_key, bu.sourceFolder) }))
    .filter((a): a is { row: AppliedRow; info: SourceFileInfo } => a.info?.kind === 'product');
  const last = appliedProducts.reduce<typeof appliedProducts[number] | null>(
    (max, a) => (!max || compareProductFiles(a.info, max.info) > 0 ? a : max), null);

  let late: LateFile | null = null;
  for (const file of pending) {
    if (file.kind !== 'product') continue;
    const previous = appliedByKey.get(file.key);
    if (previous) {
      late = {
        file, code: 'overwritten',
        message: `${file.uri} was applied by event ${previous.id} and has changed since (ETag ${previous.source_etag} → ${file.etag}). ` +
          `It was not applied again; loading of ${bu.code} is stopped. Replay from event ${replayPoint(previous)} to apply the new content in order.`,
      };
      break;
    }
    if (last && compareProductFiles(file, last.info) < 0) {
      const firstAfter = appliedProducts.filter((a) => compareProductFiles(a.info, file) > 0).sort((a, b) => Number(a.row.id) - Number(b.row.id))[0];
      late = {
        file, code: 'late_arrival',
        message: `late arrival: ${file.uri} sorts before ${last.row.source_file}, already applied by event ${last.row.id}. ` +
          `It was not applied out of order; loading of ${bu.code} is stopped. Replay from event ${replayPoint(firstAfter.row)} ` +
          `(${firstAfter.row.source_file}) to apply it in order.`,
      };
      break;
    }
  }
  return { files: blockedBy || late ? [] : pending, pending, blockedBy, late };
}
