import { CreateBucketCommand, ListObjectsV2CommandInput, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseLocation } from '../../src/config/location';
import { LineRecord, readLines } from '../../src/loaders/parse/line-reader';
import { LocalSource } from '../../src/loaders/source/local-source';
import { S3Source, checkLength } from '../../src/loaders/source/s3-source';
import { createS3Client } from '../../src/storage/s3-client';
import { Source, SourceObject } from '../../src/loaders/source/source';
import { createSource } from '../../src/loaders/source/source-factory';

const s3Config = { endpoint: process.env.TEST_S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' };

async function listAll(source: Source, prefix = ''): Promise<SourceObject[]> {
  const out: SourceObject[] = [];
  for await (const o of source.list(prefix)) out.push(o);
  return out;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function texts(lines: AsyncIterable<LineRecord>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push('text' in l ? l.text : 'tooLong' in l ? `<too long ${l.bytes}>` : `<invalid UTF-8 ${l.raw}>`);
  return out;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const keys = (objects: SourceObject[]) => objects.map((o) => o.key).sort();

describe('LocalSource', () => {
  let dir: string;
  let source: LocalSource;
  const write = (key: string, data: string | Buffer) => {
    const file = path.join(dir, ...key.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-source-'));
    source = new LocalSource(dir);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists nested keys under a prefix, skipping dotfiles', async () => {
    write('SHARED/AttributeFile.json', '[]');
    write('BAK/CHANNEL/ChannelStructure_001.jsonl', '{}\n');
    write('BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl', '{"a":1}\n');
    write('BAK/PRODUCT/2026/04/.partial.jsonl', 'x');
    write('BAK/.hidden/ecommerce_20260415122159450_001.jsonl', 'x');
    write('BAKERY/x.jsonl', 'x');
    expect(keys(await listAll(source))).toEqual([
      'BAK/CHANNEL/ChannelStructure_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl',
      'BAKERY/x.jsonl',
      'SHARED/AttributeFile.json',
    ]);
    expect(keys(await listAll(source, 'BAK/'))).toEqual([
      'BAK/CHANNEL/ChannelStructure_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl',
    ]);
    expect(keys(await listAll(source, 'BAK'))).toHaveLength(3); // a plain string prefix, like S3
    expect(await listAll(source, 'CEFL/')).toEqual([]);
    expect(source.uriFor('BAK/CHANNEL/ChannelStructure_001.jsonl'))
      .toBe(pathToFileURL(path.join(dir, 'BAK', 'CHANNEL', 'ChannelStructure_001.jsonl')).href);
    expect(source.url).toBe(pathToFileURL(dir).href);
  });

  it('lists nothing for a missing root', async () => {
    expect(await listAll(new LocalSource(path.join(dir, 'nope')))).toEqual([]);
    expect(await new LocalSource(path.join(dir, 'nope')).folders()).toEqual([]);
  });

  it('names the folders at its root: directories only, dot folders left out, symlinks followed', async () => {
    write('SHARED/AttributeFile.json', '[]');
    write('gemaire/CHANNEL/ChannelStructure_001.jsonl', '{}\n');
    write('.git/HEAD', 'x');
    write('README.txt', 'x');
    fs.mkdirSync(path.join(dir, 'EMPTY'));
    fs.symlinkSync(path.join(dir, 'gemaire'), path.join(dir, 'GEMAIRE'));
    expect(await source.folders()).toEqual(['EMPTY', 'GEMAIRE', 'SHARED', 'gemaire']);
  });

  it('uses the sha256 of the content as etag, and sees rewrites', async () => {
    const file = path.join(dir, 'BAK', 'CHANNEL', 'ChannelStructure_001.jsonl');
    const then = new Date('2026-04-15T12:00:00Z');
    write('BAK/CHANNEL/ChannelStructure_001.jsonl', 'one\n');
    fs.utimesSync(file, then, then);
    const [first] = await listAll(source);
    expect(first).toMatchObject({ etag: sha256('one\n'), size: 4, lastModified: then });
    write('BAK/CHANNEL/ChannelStructure_001.jsonl', 'two\n'); // same size
    // Same size and mtime: the cached hash is served, showing unchanged files are not re-read.
    fs.utimesSync(file, then, then);
    expect((await listAll(source))[0].etag).toBe(first.etag);
    fs.utimesSync(file, then, new Date(then.getTime() + 1000));
    expect((await listAll(source))[0].etag).toBe(sha256('two\n'));
  });

  it('opens raw bytes and rejects keys outside the root', async () => {
    const gz = gzipSync('{"a":1}\n{"b":2}\n');
    write('BAK/PRODUCT/ecommerce_20260415122159450_001.jsonl.gz', gz);
    const raw = await readAll(await source.open('BAK/PRODUCT/ecommerce_20260415122159450_001.jsonl.gz'));
    expect(raw.equals(gz)).toBe(true);
    expect(await texts(readLines(await source.open('BAK/PRODUCT/ecommerce_20260415122159450_001.jsonl.gz'), { gzip: 'auto', maxLineBytes: 100 })))
      .toEqual(['{"a":1}', '{"b":2}']);
    await expect(source.open('../etc/passwd')).rejects.toThrow(/outside/);
    await expect(source.open('BAK/missing.jsonl')).rejects.toThrow(/ENOENT/);
  });

  it('is what the factory builds for a file location', () => {
    expect(createSource(parseLocation(pathToFileURL(dir).href), s3Config)).toBeInstanceOf(LocalSource);
  });
});

describe('S3Source', () => {
  let client: S3Client;
  let bucket: string;
  const put = (key: string, body: string | Buffer) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  beforeAll(() => {
    if (!process.env.TEST_S3_ENDPOINT) throw new Error('TEST_S3_ENDPOINT is not set: run through jest global setup');
    client = createS3Client(s3Config);
  });
  afterAll(() => client.destroy());
  beforeEach(async () => {
    bucket = `src-${randomUUID()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  /** The ListObjectsV2 requests `c` sends from now on, as the source made them (an SDK middleware; the server stays s3rver). */
  function recordListings(c: S3Client) {
    const sent: ListObjectsV2CommandInput[] = [];
    c.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'ListObjectsV2Command') sent.push({ ...(args.input as ListObjectsV2CommandInput) });
      return next(args);
    }, { step: 'initialize', name: 'recordListings' });
    return { sent, stop: () => c.middlewareStack.remove('recordListings') };
  }

  it('pages through listings: one request per page, each continuing where the last one ended', async () => {
    for (let i = 1; i <= 5; i++) await put(`root/BAK/PRODUCT/2026/04/ecommerce_2026041512215945${i}_001.jsonl`, `{"n":${i}}\n`);
    const counted = createS3Client(s3Config);
    const listings = recordListings(counted);
    try {
      const source = new S3Source(counted, { bucket, prefix: 'root', maxKeys: 2 });
      const objects = await listAll(source, 'BAK/');
      expect(objects).toHaveLength(5);
      expect(new Set(objects.map((o) => o.key)).size).toBe(5);
      expect(objects[0]).toMatchObject({ key: 'BAK/PRODUCT/2026/04/ecommerce_20260415122159451_001.jsonl', size: 8 });
      expect(objects[0].lastModified).toBeInstanceOf(Date);
      expect(objects[0].etag).toMatch(/^[0-9a-f]{32}$/); // quotes stripped
      // Five objects at two a page: three requests, the first without a token, each later one with the token the page before gave.
      expect(listings.sent.map((r) => [r.Prefix, r.MaxKeys, typeof r.ContinuationToken])).toEqual([
        ['root/BAK/', 2, 'undefined'], ['root/BAK/', 2, 'string'], ['root/BAK/', 2, 'string'],
      ]);
      expect(new Set(listings.sent.map((r) => r.ContinuationToken)).size).toBe(3);
    } finally {
      listings.stop();
      counted.destroy();
    }
  });

  it('lists nested keys relative to its root, under a prefix', async () => {
    await put('root/SHARED/AttributeFile.json', '[]');
    await put('root/BAK/CHANNEL/ChannelStructure_001.jsonl', '{}\n');
    await put('root/BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl', '{}\n');
    await put('root/BAK/PRODUCT/', Buffer.alloc(0)); // a console's folder marker
    await put('root/CEFL/CHANNEL/ChannelStructure_001.jsonl', '{}\n');
    await put('other/BAK/CHANNEL/ChannelStructure_001.jsonl', '{}\n');
    const source = new S3Source(client, { bucket, prefix: '/root/' });
    expect(source.url).toBe(`s3://${bucket}/root`);
    expect(keys(await listAll(source, 'BAK/'))).toEqual([
      'BAK/CHANNEL/ChannelStructure_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl',
    ]);
    expect(await listAll(source)).toHaveLength(4);
    expect(await listAll(source, 'GEM/')).toEqual([]);
    expect(source.uriFor('SHARED/AttributeFile.json')).toBe(`s3://${bucket}/root/SHARED/AttributeFile.json`);
    const bare = new S3Source(client, { bucket });
    expect(bare.url).toBe(`s3://${bucket}`);
    expect(keys(await listAll(bare, 'other/'))).toEqual(['other/BAK/CHANNEL/ChannelStructure_001.jsonl']);
  });

  it('reports a new etag when an object is overwritten', async () => {
    const key = 'BAK/CHANNEL/ChannelStructure_001.jsonl';
    const source = new S3Source(client, { bucket });
    await put(key, 'one\n');
    const [first] = await listAll(source);
    await put(key, 'two\n');
    const [second] = await listAll(source);
    expect(second.key).toBe(first.key);
    expect(second.etag).not.toBe(first.etag);
  });

  it('streams raw bytes, gzipped ones through readLines', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ EntityId: i, EntityTypeId: 'Product', Name: 'Fournitures élégantes' }));
    const gz = gzipSync(lines.join('\n') + '\n');
    await put('BAK/PRODUCT/ecommerce_20260415122159450_001.jsonl.gz', gz);
    const source = new S3Source(client, { bucket });
    const raw = await readAll(await source.open('BAK/PRODUCT/ecommerce_20260415122159450_001.jsonl.gz'));
    expect(raw.equals(gz)).toBe(true);
    const stream = await source.open('BAK/PRODUCT/ecommerce_20260415122159450_001.jsonl.gz');
    expect(await texts(readLines(stream, { gzip: 'auto', maxLineBytes: 1000 }))).toEqual(lines);
    await expect(source.open('BAK/missing.jsonl')).rejects.toThrow();
  });

  it('names the operation, bucket, key or prefix and endpoint when S3 refuses', async () => {
    const endpoint = process.env.TEST_S3_ENDPOINT;
    const missing = `missing-${randomUUID()}`;
    const nowhere = new S3Source(client, { bucket: missing, prefix: 'exports/inriver' });
    await expect(listAll(nowhere, 'BAK/PRODUCT/')).rejects.toThrow(
      `S3 ListObjectsV2 of s3://${missing}/exports/inriver/BAK/PRODUCT/ at ${endpoint} failed: The specified bucket does not exist (NoSuchBucket, HTTP 404)`);
    const source = new S3Source(client, { bucket, prefix: 'root' });
    const failure = await source.open('BAK/CHANNEL/missing.jsonl').catch((err: Error) => err);
    expect((failure as Error).message).toMatch(new RegExp(`^S3 GetObject of s3://${bucket}/root/BAK/CHANNEL/missing\\.jsonl at ${endpoint} failed: .*\\(NoSuchKey, HTTP 404\\)$`));
    expect((failure as Error).cause).toMatchObject({ name: 'NoSuchKey' });
  });

  it('is what the factory builds for an s3 location', async () => {
    const source = createSource(parseLocation(`s3://${bucket}/root`), s3Config);
    expect(source).toBeInstanceOf(S3Source);
    await put('root/SHARED/AttributeFile.json', '[]');
    expect(keys(await listAll(source))).toEqual(['SHARED/AttributeFile.json']);
    await source.close?.();
  });
});

describe('checkLength', () => {
  it('fails a body that ends short of its content length', async () => {
    await expect(readAll(checkLength(Readable.from([Buffer.from('abc')]), 5, 's3://b/k'))).rejects.toThrow('truncated read of s3://b/k: got 3 of 5 bytes');
    expect((await readAll(checkLength(Readable.from([Buffer.from('abc')]), 3, 's3://b/k'))).toString()).toBe('abc');
  });
});
