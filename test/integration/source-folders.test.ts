import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { parseBusinessUnits } from '../../src/config/config';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';
import { FolderCheck, folderBannerLines } from '../../src/loaders/source/folder-check';
import { listBuFiles } from '../../src/loaders/plan/load-planner';
import { LocalSource } from '../../src/loaders/source/local-source';
import { S3Source } from '../../src/loaders/source/s3-source';
import { createS3Client } from '../../src/storage/s3-client';
import { Source, SourceObject } from '../../src/loaders/source/source';
import { TempBucket, nodeLine, productLine } from '../support/bucket-factory';
import { productName } from '../support/loader-harness';
import { loaderLimits } from '../support/loader-limits';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/** BUSINESS_UNITS=bak,gem=gemaire over a bucket whose folder is GEMAIRE/: gem loads nothing, and must say so. */

const UNITS = parseBusinessUnits('bak,gem=gemaire');
const [BAK, GEM] = UNITS;
const PRODUCT = productName('20260415000000000');

function fill(bucket: TempBucket): TempBucket {
  bucket.write('SHARED/AttributeFile.json', '[]');
  bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', `${JSON.stringify(nodeLine(1, 'Root'))}\n`);
  bucket.product('BAK', PRODUCT, [productLine({ id: 1 })]);
  bucket.product('GEMAIRE', PRODUCT, [productLine({ id: 2 })]);
  return bucket;
}

/** A source that counts what it is asked, to show what listing each check costs. */
class CountingSource implements Source {
  lists = 0;
  folderLists = 0;
  constructor(private readonly inner: Source) {}
  get url() { return this.inner.url; }
  list(prefix: string): AsyncIterable<SourceObject> { this.lists++; return this.inner.list(prefix); }
  folders() { this.folderLists++; return this.inner.folders(); }
  open(key: string) { return this.inner.open(key); }
  uriFor(key: string) { return this.inner.uriFor(key); }
}

const caseHint = (url: string) => `folder gemaire/ is not in ${url}, so nothing loads for gem; `
  + 'folder GEMAIRE/ exists (folder names are case-sensitive): set BUSINESS_UNITS=bak,gem=GEMAIRE';

describe('checking the BU folders of a local source', () => {
  const bucket = fill(new TempBucket());
  const source = new LocalSource(bucket.root);
  afterAll(() => bucket.remove());

  it('counts what a present folder holds and warns about a folder that differs only in case', async () => {
    const folders = new FolderCheck(source, UNITS);
    const bak = await folders.check(BAK);
    expect(bak).toMatchObject({ businessUnit: 'bak', folder: 'BAK/', productFiles: 1, channelFile: true, warnings: [] });
    const gem = await folders.check(GEM);
    expect(gem).toMatchObject({ businessUnit: 'gem', folder: 'gemaire/', productFiles: 0, channelFile: false, warnings: [caseHint(source.url)] });
    expect(folderBannerLines(UNITS, [bak, gem])).toEqual([
      '    bak      schema inriver_bak, folder BAK/: 1 product file, a channel file',
      '    gem      schema inriver_gem, folder gemaire/: 0 product files, no channel file',
      `      !! ${caseHint(source.url)}`,
    ]);
  });

  it('names the folders that are there, an empty folder, and a source with no folders at all', async () => {
    const other = new TempBucket();
    try {
      other.write('CEFL/README.txt', 'not a delivery');
      other.write('BAK/PRODUCT/2026/04/notes.txt', 'not a product file');
      const folders = new FolderCheck(new LocalSource(other.root), parseBusinessUnits('bak,ecm'));
      expect((await folders.check(BAK)).warnings).toEqual([
        `folder BAK/ of ${pathUrl(other.root)} holds no product file (BAK/PRODUCT/…/ecommerce_*.jsonl[.gz]) and no channel file `
        + '(BAK/CHANNEL/*.jsonl[.gz]), so nothing loads for bak',
      ]);
      expect((await folders.check(parseBusinessUnits('ecm')[0])).warnings).toEqual([
        `folder ECM/ is not in ${pathUrl(other.root)}, so nothing loads for ecm; the folders there are BAK/, CEFL/: `
        + 'check BUSINESS_UNITS (ecm=<folder>) and SOURCE_URL',
      ]);
      const nowhere = new FolderCheck(new LocalSource(path.join(other.root, 'missing')));
      expect((await nowhere.check(BAK)).warnings).toEqual([
        `folder BAK/ is not in ${pathUrl(path.join(other.root, 'missing'))}, so nothing loads for bak; it has no folders at all: check SOURCE_URL`,
      ]);
    } finally {
      other.remove();
    }
  });

  it('reuses a listing it is given, lists the root only while a folder is missing, and then only once per few seconds', async () => {
    const counting = new CountingSource(source);
    const folders = new FolderCheck(counting, UNITS);
    const listed = await listBuFiles(counting, BAK);
    const listsOfBak = counting.lists;
    await folders.fromListing(BAK, listed);
    expect([counting.lists, counting.folderLists]).toEqual([listsOfBak, 0]);
    for (let i = 0; i < 5; i++) await folders.fromListing(GEM, await listBuFiles(counting, GEM));
    expect(counting.folderLists).toBe(1);
  });

  it('answers /readyz-style questions from the latest report without listing, refreshing a stale one in the background', async () => {
    const counting = new CountingSource(source);
    const folders = new FolderCheck(counting, UNITS);
    const first = await folders.current(GEM, 60_000); // no report yet: waits for one
    const lists = counting.lists;
    expect(await folders.current(GEM, 60_000)).toBe(first);
    expect(counting.lists).toBe(lists);
    // Stale: the old report at once, a new one on its way.
    expect(await folders.current(GEM, -1)).toBe(first);
    const next = await folders.check(GEM);
    expect(next).not.toBe(first);
    expect(next.warnings).toEqual(first.warnings);
  });

  it('logs the warning on every load pass of the BU, and loads nothing for it', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'warn' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    const t = await createTestDatabase(['gem']);
    try {
      const loader = new BusinessUnitLoader(t.db, source, { loader: loaderLimits(), businessUnits: UNITS }, log);
      await expect(loader.loadOnce(GEM)).resolves.toEqual({ status: 'done', applied: 1 }); // SHARED/AttributeFile.json only
      await expect(loader.loadOnce(GEM)).resolves.toEqual({ status: 'done', applied: 0 });
      expect(lines.map((l) => [l.level, l.bu, l.folder, l.msg])).toEqual([
        [40, 'gem', 'gemaire/', caseHint(source.url)],
        [40, 'gem', 'gemaire/', caseHint(source.url)],
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('checking the BU folders of an S3 source', () => {
  let client: S3Client;
  let bucket: string;

  beforeAll(async () => {
    if (!process.env.TEST_S3_ENDPOINT) throw new Error('TEST_S3_ENDPOINT is not set: run through jest global setup');
    client = createS3Client({ endpoint: process.env.TEST_S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' });
    bucket = `folders-${randomUUID()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const local = fill(new TempBucket());
    try {
      for await (const o of new LocalSource(local.root).list('')) {
        const body = fs.readFileSync(path.join(local.root, ...o.key.split('/')));
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: `exports/inriver/${o.key}`, Body: body }));
      }
    } finally {
      local.remove();
    }
    // Folder markers, as S3 consoles make them. s3rver 3.7 reports a common prefix only for a folder
    // that holds an object directly (it prunes the deeper ones); S3 and MinIO report every folder.
    for (const folder of ['BAK', 'GEMAIRE']) await client.send(new PutObjectCommand({ Bucket: bucket, Key: `exports/inriver/${folder}/`, Body: Buffer.alloc(0) }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'exports/inriver/.hidden/x.jsonl', Body: 'x' }));
  });
  afterAll(() => client.destroy());

  it('lists the folders under its prefix, dot folders left out', async () => {
    const source = new S3Source(client, { bucket, prefix: 'exports/inriver' });
    expect(await source.folders()).toEqual(['BAK', 'GEMAIRE', 'SHARED']);
  });

  it('warns about the folder that differs only in case, as for local files', async () => {
    const source = new S3Source(client, { bucket, prefix: 'exports/inriver' });
    const folders = new FolderCheck(source, UNITS);
    expect(await folders.check(BAK)).toMatchObject({ productFiles: 1, channelFile: true, warnings: [] });
    expect((await folders.check(GEM)).warnings).toEqual([caseHint(`s3://${bucket}/exports/inriver`)]);
  });

  it('reports a bucket that does not exist as a warning naming it, instead of failing', async () => {
    const missing = `missing-${randomUUID()}`;
    const folders = new FolderCheck(new S3Source(client, { bucket: missing }), UNITS);
    const report = await folders.check(BAK);
    expect(report).toMatchObject({ productFiles: 0, channelFile: false });
    expect(report.warnings).toEqual([
      `cannot list s3://${missing} for bak: S3 ListObjectsV2 of s3://${missing}/SHARED/ at ${process.env.TEST_S3_ENDPOINT} failed: `
      + 'The specified bucket does not exist (NoSuchBucket, HTTP 404)',
    ]);
  });
});

describe('loadStatus.warnings and /readyz', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = fill(new TempBucket());

  beforeAll(async () => {
    t = await createTestDatabase(['bak', 'gem']);
    s = await startTestServer(t, { bucketDir: bucket.root, units: 'bak,gem=gemaire' });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  it('loadStatus says why a BU loads nothing, and nothing for a BU whose folder is there', async () => {
    const status = async (bu: string) => (await s.gql(`{ loadStatus(businessUnit: "${bu}") { pendingFiles warnings } }`)).body.data.loadStatus;
    expect(await status('gem')).toEqual({ pendingFiles: [new LocalSource(bucket.root).uriFor('SHARED/AttributeFile.json')], warnings: [caseHint(pathUrl(bucket.root))] });
    expect((await status('bak')).warnings).toEqual([]);
  });

  it('/readyz stays ready (200) but carries each BU\'s folder detail and the warning', async () => {
    const res = await fetch(s.app.server.url.replace(/\/graphql$/, '/readyz'));
    expect(res.status).toBe(200);
    const body = await res.json() as { status: string; warnings: string[]; businessUnits: Record<string, unknown>[] };
    expect(body.status).toBe('ready');
    expect(body.warnings).toEqual([`gem: ${caseHint(pathUrl(bucket.root))}`]);
    expect(body.businessUnits).toEqual([
      { code: 'bak', folder: 'BAK/', productFiles: 1, channelFile: true, warnings: [], checkedAt: expect.any(String), loading: expect.objectContaining({ stalled: false, lock: null }) },
      { code: 'gem', folder: 'gemaire/', productFiles: 0, channelFile: false, warnings: [caseHint(pathUrl(bucket.root))], checkedAt: expect.any(String),
        loading: expect.objectContaining({ stalled: false, lock: null }) },
    ]);
  });
});

function pathUrl(dir: string): string {
  return new LocalSource(dir).url;
}
