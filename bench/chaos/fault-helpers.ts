import { BusinessUnit } from '../../src/config/business-unit';
import { FedFile } from './bucket-feed';
import { closedAsInterrupted, withClient } from './chaos-checks';
import { BU, ChaosWorld, isFileStart } from './chaos-world';
import { ServiceCopy } from './service-copy';

/**
 * What a fault reports. Each fault sets work going, injects itself at a random point inside it and
 * returns how to tell afterwards whether it really hit that work (`confirm`), what else recovery
 * requires (`verify`) and, for exports, the files to compare (`compare`).
 */
export interface Injection {
  /** The work ended before the fault point came: nothing was injected (the campaign tries again). */
  skipped?: string;
  injectedAt: number;
  confirm(): Promise<{ hit: boolean; detail: string }>;
  verify?(): Promise<string[]>;
  compare?(): Promise<string[]>;
}

export type Fault = (w: ChaosWorld, attempt: number) => Promise<Injection>;

export const NOT_INJECTED = async () => ({ hit: false, detail: 'not injected' });

export async function addFile(w: ChaosWorld, kind: 'full' | 'delta' | 'either'): Promise<FedFile> {
  const full = kind === 'full' || (kind === 'either' && w.rng.chance(0.5));
  return full ? w.feed.addFull() : w.feed.addDelta();
}

/** Adds a file and waits until one of `copies` starts applying it. */
export async function fileStarted(w: ChaosWorld, kind: 'full' | 'delta' | 'either', copies: ServiceCopy[], trigger = true) {
  const marks = copies.map((c) => c.mark());
  const file = await addFile(w, kind);
  const uri = w.uri(file);
  if (trigger) await w.triggerLoad(copies[0]);
  const started = await Promise.race(copies.map(async (copy, i) => {
    const line = await copy.waitFor(isFileStart(uri), marks[i], 120_000);
    return line ? { copy, line, from: marks[i] } : null;
  }));
  if (!started) throw new Error(`no copy started applying ${uri} within 120 s`);
  return { file, uri, ...started, startId: String(started.line.startEventId) };
}

export const interrupted = (w: ChaosWorld, startId: string, bu: BusinessUnit = BU) => async () => {
  const hit = await withClient(w.urls.adminUrl, (c) => closedAsInterrupted(c, startId), bu.schema);
  return { hit, detail: hit ? `file_start ${startId} closed as interrupted` : `file_start ${startId} committed before the fault` };
};
