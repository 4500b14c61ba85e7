import {
  AbortMultipartUploadCommand, DeleteObjectsCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import type { AppConfig } from '../../config/config';
import type { Location } from '../../config/location';
import { createS3Client, s3Failure } from '../../storage/s3-client';

/** A file being written: bytes go to `stream`; `commit` makes it visible under its name, `abort` drops it. */
export interface ExportSink {
  stream: Writable;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * Where export files go (EXPORT_URL): a local folder or an S3 bucket + prefix. Keys are relative
 * ("BAK/2026-04-16/12/items.csv"). A file is visible under its final name only once complete
 * (local: written as .partial then renamed; S3: a multipart upload appears when it completes).
 */
export interface ExportStore {
  readonly url: string;
  openWrite(key: string, contentType: string): Promise<ExportSink>;
  put(key: string, body: string, contentType: string): Promise<void>;
  /**
   * Removes everything under a folder (a job's files, `.partial` files, a manifest; on S3 also
   * unfinished multipart uploads): what an attempt that failed or died left behind.
   */
  removeFolder(folder: string): Promise<void>;
  uriFor(key: string): string;
  /** A pre-signed GET URL for a file URI this kind of store wrote; null where there is none (local files). */
  downloadUrl(uri: string, expiresInSeconds: number): Promise<string | null>;
  close(): Promise<void>;
}

export class LocalExportStore implements ExportStore {
  readonly url: string;

  constructor(private readonly root: string) {
    this.url = pathToFileURL(root).href;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async openWrite(key: string): Promise<ExportSink> {
    const file = this.pathOf(key);
    const partial = `${file}.partial`;
    await ensureDir(path.dirname(file));
    const stream = fs.createWriteStream(partial);
    return {
      stream,
      commit: () => fs.promises.rename(partial, file),
      abort: async () => {
        // Wait for the stream to close: an open still in flight would otherwise create the file after the rm.
        if (!stream.closed) {
          const closed = once(stream, 'close').catch(() => undefined);
          stream.destroy();
          await closed;
        }
        await fs.promises.rm(partial, { force: true });
      },
    };
  }

  async put(key: string, body: string): Promise<void> {
    const file = this.pathOf(key);
    await ensureDir(path.dirname(file));
    await fs.promises.writeFile(`${file}.partial`, body);
    await fs.promises.rename(`${file}.partial`, file);
  }

  async removeFolder(folder: string): Promise<void> {
    await fs.promises.rm(this.pathOf(folder), { recursive: true, force: true });
  }

  uriFor(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  async downloadUrl(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}
}

/** 8 MiB parts, 2 in flight: at most ~16 MiB buffered per file, whatever its size. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

export class S3ExportStore implements ExportStore {
  readonly url: string;
  private readonly root: string;

  constructor(private readonly client: S3Client, private readonly bucket: string, prefix: string, private readonly ownsClient = false) {
    const p = prefix.replace(/^\/+|\/+$/g, '');
    this.root = p ? `${p}/` : '';
    this.url = `s3://${bucket}${p ? `/${p}` : ''}`;
  }

  async openWrite(key: string, contentType: string): Promise<ExportSink> {
    const body = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.root + key, Body: body, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
    });
    // done() starts consuming the stream; if the upload fails, break the writer's pipeline too.
    const done = upload.done().then(() => undefined, async (err: Error) => {
      const failure = await s3Failure(this.client, err, 'upload of', this.uriFor(key));
      body.destroy(failure);
      throw failure;
    });
    done.catch(() => undefined);
    return {
      stream: body,
      commit: () => done,
      abort: async () => {
        await upload.abort().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }

  async put(key: string, body: string, contentType: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.root + key, Body: body, ContentType: contentType }));
    } catch (err) {
      throw await s3Failure(this.client, err, 'PutObject of', this.uriFor(key));
    }
  }

  async removeFolder(folder: string): Promise<void> {
    const prefix = `${this.root}${folder.replace(/\/+$/, '')}/`;
    try {
      let token: string | undefined;
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length) await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw await s3Failure(this.client, err, 'removing the objects under', `s3://${this.bucket}/${prefix}`);
    }
    // Parts of an upload a dead attempt never completed are invisible but stored (and billed).
    const uploads = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix })).catch(() => null);
    for (const u of uploads?.Uploads ?? []) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key!, UploadId: u.UploadId! })).catch(() => undefined);
    }
  }

  uriFor(key: string): string {
    return `s3://${this.bucket}/${this.root}${key}`;
  }

  async downloadUrl(uri: string, expiresInSeconds: number): Promise<string | null> {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) return null;
    try {
      return await getSignedUrl(this.client, new GetObjectCommand({ Bucket: m[1], Key: m[2] }), { expiresIn: expiresInSeconds });
    } catch (err) {
      throw await s3Failure(this.client, err, 'pre-signing a GetObject of', uri);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

export function createExportStore(target: Location, s3: AppConfig['s3']): ExportStore {
  if (target.kind === 'file') return new LocalExportStore(target.path);
  return new S3ExportStore(createS3Client(s3), target.bucket, target.prefix, true);
}

/**
 * mkdir -p that reports why it cannot: Node's recursive mkdir answers ENOENT on a read-only file
 * system (instead of EROFS) and never returns under /proc. One level at a time, from the deepest
 * folder that exists.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await fs.promises.mkdir(dir);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await fs.promises.stat(dir)).isDirectory()) return;
      throw new Error(`cannot create the folder ${dir}: a file of that name is in the way`);
    }
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await ensureDir(parent);
  }
  try {
    await fs.promises.mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
