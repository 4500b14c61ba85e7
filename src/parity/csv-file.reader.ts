import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { badInput } from '../errors/domain-error';
import { checkLength } from '../loaders/source/s3-source';
import { s3Failure } from '../storage/s3-client';

/** Bytes read to detect a dialect and the header: many lines of any real file. */
export const HEAD_BYTES = 64 * 1024;

/** A CSV file to compare: a local path, file:// or s3://bucket/key. Opened as many times as needed. */
export interface CsvFile {
  /** file:///abs/path or s3://bucket/key: what runs record. */
  readonly uri: string;
  open(): Promise<Readable>;
  /** Its first bytes (at most HEAD_BYTES). */
  head(): Promise<Buffer>;
}

function localFile(file: string): CsvFile {
  const abs = path.resolve(file);
  return {
    uri: pathToFileURL(abs).href,
    async open() {
      try {
        await fs.promises.access(abs, fs.constants.R_OK);
      } catch (err) {
        throw badInput(`cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      return fs.createReadStream(abs, { highWaterMark: 256 * 1024 });
    },
    async head() {
      const handle = await fs.promises.open(abs, 'r').catch((err: NodeJS.ErrnoException) => {
        throw badInput(`cannot read ${abs}: ${err.code ?? err.message}`);
      });
      try {
        const buf = Buffer.alloc(HEAD_BYTES);
        const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}

function s3File(client: () => S3Client, uri: string): CsvFile {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw badInput(`"${uri}" is not s3://bucket/key`);
  const [, bucket, key] = m;
  const get = async (range?: string) => {
    const s3 = client();
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
      if (!(res.Body instanceof Readable)) throw new Error(`s3: no readable body for ${uri}`);
      return res.ContentLength === undefined ? res.Body : checkLength(res.Body, res.ContentLength, uri);
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') throw badInput(`${uri} does not exist`);
      throw await s3Failure(s3, err, 'GetObject of', uri);
    }
  };
  return {
    uri,
    open: () => get(),
    async head() {
      // An empty object has no byte 0 to ask a range of.
      const size = (await client().send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(() => null))?.ContentLength;
      if (size === 0) return Buffer.alloc(0);
      const chunks: Buffer[] = [];
      for await (const chunk of await get(`bytes=0-${HEAD_BYTES - 1}`)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
    },
  };
}

/**
 * `location` as a person types it: a path (relative to the working folder), file:///abs/path or
 * s3://bucket/key. The S3 client is made only when an s3:// file is read.
 */
export function csvFile(location: string, s3Client: () => S3Client): CsvFile {
  const l = location.trim();
  if (l === '') throw badInput('no file given');
  if (l.startsWith('s3://')) return s3File(s3Client, l);
  if (l.startsWith('file://')) return localFile(fileURLToPath(l));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(l)) throw badInput(`"${l}": expected a path, file:///abs/path or s3://bucket/key`);
  return localFile(l);
}
