import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Source, SourceObject } from './source';

interface CachedHash {
  size: number;
  mtimeMs: number;
  etag: string;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A directory laid out like the bucket. The ETag is the content's sha256, as mtime alone misses same-second rewrites. */
export class LocalSource implements Source {
  readonly root: string;
  readonly url: string;
  // Polls list the whole tree every few seconds: re-hashing unchanged multi-MB files each time would dominate.
  private readonly hashes = new Map<string, CachedHash>();

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
    this.url = pathToFileURL(this.root).href;
  }

  async *list(prefix: string): AsyncIterable<SourceObject> {
    // Same semantics as an S3 prefix (a plain string prefix of the key), but only walk the directory it names.
    const dirPart = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    for await (const key of this.walk(dirPart)) {
      if (!key.startsWith(prefix)) continue;
      const file = this.pathFor(key);
      let stat: fs.Stats;
      try {
        stat = await fs.promises.stat(file);
      } catch (err) {
        if (isMissing(err)) continue; // deleted between readdir and stat
        throw err;
      }
      // A Date built here, not stat.mtime: that one comes from node's realm and fails instanceof under jest.
      yield { key, etag: await this.etagFor(file, stat), lastModified: new Date(stat.mtimeMs), size: stat.size };
    }
  }

  async folders(): Promise<string[]> {
    const names: string[] = [];
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const isDir = entry.isDirectory()
        || (entry.isSymbolicLink() && !!(await fs.promises.stat(path.join(this.root, entry.name)).catch(() => null))?.isDirectory());
      if (isDir) names.push(entry.name);
    }
    return names.sort(byName);
  }

  async open(key: string): Promise<Readable> {
    const handle = await fs.promises.open(this.pathFor(key), 'r');
    return handle.createReadStream();
  }

  uriFor(key: string): string {
    return pathToFileURL(this.pathFor(key)).href;
  }

  private async *walk(relDir: string): AsyncIterable<string> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(path.join(this.root, relDir), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    entries.sort((a, b) => byName(a.name, b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = relDir + entry.name;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await fs.promises.stat(path.join(this.root, rel)).catch(() => null);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir) yield* this.walk(`${rel}/`);
      else if (isFile) yield rel;
    }
  }

  private pathFor(key: string): string {
    const file = path.resolve(this.root, ...key.split('/'));
    if (file !== this.root && !file.startsWith(this.root + path.sep)) throw new Error(`key "${key}" is outside ${this.url}`);
    return file;
  }

  private async etagFor(file: string, stat: fs.Stats): Promise<string> {
    const cached = this.hashes.get(file);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.etag;
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    const etag = hash.digest('hex');
    // Keyed by the stat taken before hashing: a write during hashing changes mtime, so the next poll re-hashes.
    this.hashes.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, etag });
    return etag;
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
