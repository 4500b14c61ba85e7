import type { Readable } from 'node:stream';

export interface SourceObject {
  key: string;
  etag: string;
  lastModified: Date;
  size: number;
}

/** Where inRiver files are read from: an S3 bucket + prefix or a local directory. */
export interface Source {
  /** e.g. s3://bucket/prefix or file:///abs */
  readonly url: string;
  /** Keys are relative to the source root, '/' separated; the listing is recursive. */
  list(prefix: string): AsyncIterable<SourceObject>;
  /** Names of the folders at the root (one level, without '/', dot folders left out), sorted; [] when the root is missing. */
  folders(): Promise<string[]>;
  /** Raw bytes, NOT decompressed. */
  open(key: string): Promise<NodeJS.ReadableStream & Readable>;
  /** Full URI of a key (s3://bucket/prefix/key or file:///abs/key). */
  uriFor(key: string): string;
  close?(): Promise<void>;
}
