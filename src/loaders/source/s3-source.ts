import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Readable, Transform, pipeline } from 'node:stream';
import { s3Failure } from '../../storage/s3-client';
import { Source, SourceObject } from './source';

export interface S3SourceOptions {
  bucket: string;
  /** Root inside the bucket, without leading/trailing '/'. */
  prefix?: string;
  /** Page size of ListObjectsV2 (S3 default 1000); small values let tests exercise paging. */
  maxKeys?: number;
  /** close() destroys the client when the source created it. */
  ownsClient?: boolean;
}

export class S3Source implements Source {
  readonly url: string;
  readonly bucket: string;
  private readonly root: string;

  constructor(private readonly client: S3Client, private readonly opts: S3SourceOptions) {
    this.bucket = opts.bucket;
    const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.root = prefix ? `${prefix}/` : '';
    this.url = `s3://${this.bucket}${prefix ? `/${prefix}` : ''}`;
  }

  async *list(prefix: string): AsyncIterable<SourceObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.root + prefix,
          ContinuationToken: token,
          MaxKeys: this.opts.maxKeys,
        }));
      } catch (err) {
        throw await s3Failure(this.client, err, 'ListObjectsV2 of', `s3://${this.bucket}/${this.root}${prefix}`);
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key?.startsWith(this.root)) continue;
        const key = o.Key.slice(this.root.length);
        // Folder markers made by consoles, and hidden files, to match LocalSource.
        if (key === '' || key.endsWith('/') || key.split('/').some((s) => s.startsWith('.'))) continue;
        yield {
          key,
          etag: (o.ETag ?? '').replace(/"/g, ''),
          lastModified: o.LastModified ?? new Date(0),
          size: o.Size ?? 0,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async folders(): Promise<string[]> {
    const names = new Set<string>();
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({
          Bucket: this.bucket, Prefix: this.root, Delimiter: '/', ContinuationToken: token, MaxKeys: this.opts.maxKeys,
        }));
      } catch (err) {
        throw await s3Failure(this.client, err, 'ListObjectsV2 (folders) of', `s3://${this.bucket}/${this.root}`);
      }
      for (const p of page.CommonPrefixes ?? []) {
        const name = p.Prefix?.slice(this.root.length).replace(/\/$/, '');
        if (name && !name.startsWith('.')) names.add(name);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async open(key: string): Promise<Readable> {
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.root + key }));
    } catch (err) {
      throw await s3Failure(this.client, err, 'GetObject of', this.uriFor(key));
    }
    if (!(res.Body instanceof Readable)) throw new Error(`s3: no readable body for ${this.uriFor(key)}`);
    return res.ContentLength === undefined ? res.Body : checkLength(res.Body, res.ContentLength, this.uriFor(key));
  }

  uriFor(key: string): string {
    return `s3://${this.bucket}/${this.root}${key}`;
  }

  async close(): Promise<void> {
    if (this.opts.ownsClient) this.client.destroy();
  }
}

/**
 * Fails the stream when it ends short of the announced length: a cut connection can otherwise end a plain
 * (not gzipped) body cleanly at a line boundary, and half a file would load as if complete.
 */
export function checkLength(body: Readable, expected: number, uri: string): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(seen === expected ? null : new Error(`truncated read of ${uri}: got ${seen} of ${expected} bytes`));
    },
  });
  return pipeline(body, counter, () => {});
}
