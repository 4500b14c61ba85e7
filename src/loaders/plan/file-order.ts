import type { FileKind } from '../../entities/entity-types';
import { SourceObject } from '../source/source';

export type SourceFileKind = FileKind;

export interface SourceFileInfo {
  key: string;
  kind: SourceFileKind;
  /** The name's timestamp token right-padded to 17 digits (yyyyMMddHHmmssSSS), so strings compare as times. */
  timestamp: string | null;
  /** From a trailing `_NNN` before the extension; 0 when absent. */
  part: number;
  /** The name contains `_full_`: a full snapshot rather than a delta. */
  full: boolean;
}

const ATTRIBUTES_NAME = /^AttributeFile\.json(\.gz)?$/i;
const JSONL = /\.jsonl(\.gz)?$/i;
// Up to 5 digits: a longer trailing run is a job number or the timestamp itself, not a part.
const PART = /_(\d{1,5})$/;

/** Classifies a key (relative to the source root) for one BU folder; null for anything the loader ignores. */
export function classifyKey(key: string, buFolder: string): SourceFileInfo | null {
  const segments = key.split('/');
  const name = segments[segments.length - 1];
  const folder = buFolder.replace(/^\/+|\/+$/g, '');
  let kind: SourceFileKind;
  if (segments.length === 2 && segments[0].toUpperCase() === 'SHARED' && ATTRIBUTES_NAME.test(name)) {
    kind = 'attributes';
  } else if (segments[0] !== folder || !JSONL.test(name)) {
    return null;
  } else if (segments.length === 3 && segments[1].toUpperCase() === 'CHANNEL') {
    kind = 'channel';
  } else if (segments.length >= 3 && segments[1].toUpperCase() === 'PRODUCT' && /^ecommerce_/i.test(name)) {
    kind = 'product';
  } else {
    return null;
  }
  const stem = name.replace(/\.jsonl?(\.gz)?$/i, '');
  const part = PART.exec(stem);
  return {
    key,
    kind,
    timestamp: timestampToken(stem),
    part: part ? Number(part[1]) : 0,
    full: /_full_/i.test(name),
  };
}

/** The longest run of 14–17 digits (the first one on a tie), right-padded with 0 to 17 digits. */
export function timestampToken(name: string): string | null {
  let best: string | null = null;
  for (const [run] of name.matchAll(/\d+/g)) {
    if (run.length >= 14 && run.length <= 17 && (best === null || run.length > best.length)) best = run;
  }
  return best === null ? null : best.padEnd(17, '0');
}

type Orderable = Pick<SourceFileInfo, 'key' | 'timestamp' | 'part'> & { lastModified?: Date };

const cmp = <T extends string | number>(a: T, b: T) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Timestamp, then part, then key (by code unit, not locale), then lastModified as a last resort.
 * A file without a timestamp sorts after every file with one: its position in time is unknown, and
 * placing it first would make every timestamped file of the pass look like it followed it.
 */
export function compareProductFiles(a: Orderable, b: Orderable): number {
  if (a.timestamp !== b.timestamp) {
    if (a.timestamp === null) return 1;
    if (b.timestamp === null) return -1;
    return cmp(a.timestamp, b.timestamp);
  }
  return cmp(a.part, b.part)
    || cmp(a.key, b.key)
    || cmp(a.lastModified?.getTime() ?? 0, b.lastModified?.getTime() ?? 0);
}

const KIND_RANK: Record<SourceFileKind, number> = { attributes: 0, channel: 1, product: 2 };

/** The order one load pass applies files in: attributes, then channel files, then product files. */
export function orderPass<T extends SourceObject & SourceFileInfo>(objects: readonly T[]): T[] {
  return [...objects].sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind] || compareProductFiles(a, b));
}
