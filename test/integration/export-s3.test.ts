import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { S3ExportStore } from '../../src/export/job/export-store';
import { createS3Client } from '../../src/storage/s3-client';
import { exportAndWait, fileByName, parseCsv } from '../support/export-helpers';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/** Exports to an S3-compatible store (s3rver): multipart uploads, manifest, pre-signed download URLs. */

const ADMIN = 'admin-key-12345';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('exporting to S3', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let client: S3Client;
  let bucket: string;
  const get = async (key: string) => Buffer.from(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  const keyOf = (uri: string) => uri.replace(`s3://${bucket}/`, '');
  const s3env = () => ({ S3_ENDPOINT: process.env.TEST_S3_ENDPOINT!, S3_FORCE_PATH_STYLE: 'true', EXPORT_DOWNLOAD_URL_EXPIRY_SECONDS: '900' });

  beforeAll(async () => {
    if (!process.env.TEST_S3_ENDPOINT) throw new Error('TEST_S3_ENDPOINT is not set: run through jest global setup');
    client = createS3Client({ endpoint: process.env.TEST_S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' });
    bucket = `export-${randomUUID()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    t = await createTestDatabase(['bak']);
    s = await startTestServer(t, {
      bucketDir: path.join(PROJECT_ROOT, 'samples', 'bucket'), exportUrl: `s3://${bucket}/exports/pim`, apiKeys: `${ADMIN}:admin`, env: s3env(),
    });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 4 });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    client.destroy();
  });

  it('writes every default file and the manifest under {prefix}/{BU}/{date}/{jobId}/', async () => {
    const job = await exportAndWait(s.gql, 'bak', { key: ADMIN });
    expect(job.status).toBe('SUCCEEDED');
    const folder = `exports/pim/BAK/${job.requestedAt.slice(0, 10)}/${job.id}`;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${folder}/` }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([...job.files.map((f: any) => `${folder}/${f.name}`), `${folder}/manifest.json`].sort());
    expect(job.manifestUri).toBe(`s3://${bucket}/${folder}/manifest.json`);
    const manifest = JSON.parse((await get(`${folder}/manifest.json`)).toString('utf8'));
    for (const f of job.files) {
      expect(f.uri).toBe(`s3://${bucket}/${folder}/${f.name}`);
      const bytes = await get(keyOf(f.uri));
      expect([bytes.length, sha(bytes)]).toEqual([f.bytes, f.sha256]);
      expect(manifest.files.find((m: any) => m.name === f.name)).toMatchObject({ uri: f.uri, sha256: f.sha256, rows: f.rows });
    }
    expect(parseCsv(await get(keyOf(fileByName(job, 'item-categories.csv').uri))).slice(1).map((r) => [r[0], r[3]]))
      .toEqual([['3424', '50714'], ['3430', '50714'], ['3450', '50715']]);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(fileByName(job, 'items.csv').uri) }));
    expect(head.ContentType).toBe('text/csv; charset=utf-8');
  });

  it('gives each file a pre-signed download URL that fetches it without credentials', async () => {
    const job = await exportAndWait(s.gql, 'bak', { templates: ['products.csv'], key: ADMIN });
    const file = fileByName(job, 'products.csv');
    expect(file.downloadUrl).toMatch(/X-Amz-Signature=/);
    expect(new URL(file.downloadUrl).searchParams.get('X-Amz-Expires')).toBe('900');
    const res = await fetch(file.downloadUrl);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(sha(bytes)).toBe(file.sha256);
    expect(parseCsv(bytes)[1].slice(0, 2)).toEqual(['19456', 'P100982724']);
  });

  /**
   * The requests the service's export store sends from now on (an SDK middleware on its client; the
   * server stays s3rver), and optionally a fault: `fail` may throw instead of sending a request.
   */
  function storeRequests(fail?: (command: string, input: Record<string, unknown>) => Error | null) {
    const storeClient = (s.app.exportStore as unknown as { client: S3Client }).client;
    const sent: { command: string; input: Record<string, unknown> }[] = [];
    storeClient.middlewareStack.add((next, context) => async (args) => {
      const request = { command: context.commandName!.replace(/Command$/, ''), input: args.input as Record<string, unknown> };
      sent.push(request);
      const fault = fail?.(request.command, request.input);
      if (fault) throw fault;
      return next(args);
    }, { step: 'initialize', name: 'storeRequests' });
    return { sent, stop: () => storeClient.middlewareStack.remove('storeRequests') };
  }

  /** A template whose file is over one 8 MiB part: a static value is at most 10,000 characters, 40 columns of it make 400 KB a row. */
  async function bigTemplate(name: string) {
    const pad = 'x'.repeat(10_000);
    const up = await s.gql(`mutation($input: CsvTemplateInput!) { upsertCsvTemplate(businessUnit: "bak", input: $input) { name } }`, { input: {
      name, rowSource: 'ATTRIBUTE', columns: [
        { columnName: 'attribute_id', sourceType: 'INRIVER_FIELD', sourceValue: 'AttributeId' },
        ...Array.from({ length: 40 }, (_, i) => ({ columnName: `padding${i}`, sourceType: 'STATIC', sourceValue: pad })),
      ] } }, ADMIN);
    expect(up.body.errors).toBeUndefined();
    return pad.repeat(40);
  }

  it('streams a file larger than one part as a multipart upload', async () => {
    const big = await bigTemplate('big.csv');
    const requests = storeRequests();
    let job;
    try {
      job = await exportAndWait(s.gql, 'bak', { templates: ['big.csv'], key: ADMIN });
    } finally {
      requests.stop();
    }
    expect(job.status).toBe('SUCCEEDED');
    const file = fileByName(job, 'big.csv');
    expect(file.bytes).toBeGreaterThan(9 * 1024 * 1024);
    // Streamed in 8 MiB parts (never the whole file in one request, nor in memory): one upload, a request per part, completed once.
    // (Answering exportJob pre-signs a GetObject of the file: not a write.)
    const forFile = requests.sent.filter((r) => r.input.Key === keyOf(file.uri) && r.command !== 'GetObject');
    const parts = Math.ceil(file.bytes / (8 * 1024 * 1024));
    expect(forFile.map((r) => r.command)).toEqual(['CreateMultipartUpload', ...Array(parts).fill('UploadPart'), 'CompleteMultipartUpload']);
    expect(forFile.filter((r) => r.command === 'UploadPart').map((r) => r.input.PartNumber).sort()).toEqual(Array.from({ length: parts }, (_, i) => i + 1));
    const bytes = await get(keyOf(file.uri));
    expect([bytes.length, sha(bytes)]).toEqual([file.bytes, file.sha256]);
    const rows = parseCsv(bytes);
    expect(rows).toHaveLength(25);
    expect(rows.slice(1).every((r) => r.slice(1).join('') === big)).toBe(true);
  });

  it('leaves nothing behind when an upload fails mid-file: no file, no manifest, and the multipart upload is aborted', async () => {
    await bigTemplate('big-failing.csv');
    // The second part's request fails as a reset connection would; the first one reaches s3rver.
    const requests = storeRequests((command, input) => (command === 'UploadPart' && input.PartNumber === 2
      ? Object.assign(new Error('injected: connection reset while sending part 2'), { name: 'InjectedFault' }) : null));
    let job;
    try {
      job = await exportAndWait(s.gql, 'bak', { templates: ['big-failing.csv'], key: ADMIN });
    } finally {
      requests.stop();
    }
    expect(job).toMatchObject({ status: 'FAILED', files: [], manifestUri: null });
    expect(job.error).toMatch(/big-failing\.csv/);
    const folder = `exports/pim/BAK/${job.requestedAt.slice(0, 10)}/${job.id}`;
    expect((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${folder}/` }))).Contents ?? []).toEqual([]);
    // The parts already sent are given up: S3 deletes them on AbortMultipartUpload (s3rver does not implement it, so
    // what is left on its disk is not what S3 keeps; the request is what the service owes).
    const forFile = requests.sent.filter((r) => r.input.Key === `${folder}/big-failing.csv`);
    const [created] = forFile.filter((r) => r.command === 'CreateMultipartUpload');
    expect(created).toBeDefined();
    const uploadIds = new Set(forFile.filter((r) => r.command === 'UploadPart').map((r) => r.input.UploadId));
    expect(forFile.filter((r) => r.command === 'AbortMultipartUpload').map((r) => r.input.UploadId)).toEqual([...uploadIds]);
    expect(forFile.some((r) => r.command === 'CompleteMultipartUpload' || r.command === 'PutObject')).toBe(false);
  });

  it('fails with the store error and writes no manifest when the bucket is missing', async () => {
    const missing = `missing-${randomUUID()}`;
    // A database of its own: on the shared one, the other server's export worker could take the job and succeed.
    const t2 = await createTestDatabase(['bak']);
    const other = await startTestServer(t2, {
      bucketDir: path.join(PROJECT_ROOT, 'samples', 'bucket'), exportUrl: `s3://${missing}/x`, apiKeys: `${ADMIN}:admin`, env: s3env(),
    });
    try {
      const job = await exportAndWait(other.gql, 'bak', { templates: ['products.csv'], key: ADMIN });
      expect(job).toMatchObject({ status: 'FAILED', manifestUri: null, files: [] });
      expect(job.error).toMatch(/NoSuchBucket|bucket does not exist/i);
      // The SDK's message alone names neither bucket, key nor endpoint.
      expect(job.error).toMatch(new RegExp(`^S3 removing the objects under s3://${missing}/x/BAK/[^ ]+/ at ${process.env.TEST_S3_ENDPOINT} failed: `
        + 'The specified bucket does not exist \\(NoSuchBucket, HTTP 404\\)$'));
    } finally {
      await other.stop();
      await t2.close();
    }
  });

  it('names the operation, object and endpoint of every store call that fails', async () => {
    const missing = `missing-${randomUUID()}`;
    const store = new S3ExportStore(client, missing, 'x');
    const failure = (operation: string, key: string) =>
      `S3 ${operation} s3://${missing}/x/${key} at ${process.env.TEST_S3_ENDPOINT} failed: The specified bucket does not exist (NoSuchBucket, HTTP 404)`;
    await expect(store.put('BAK/manifest.json', '{}', 'application/json')).rejects.toThrow(failure('PutObject of', 'BAK/manifest.json'));
    await expect(store.removeFolder('BAK/2026-04-16/1')).rejects.toThrow(failure('removing the objects under', 'BAK/2026-04-16/1/'));
    const sink = await store.openWrite('BAK/items.csv', 'text/csv');
    sink.stream.end('a,b\n');
    await expect(sink.commit()).rejects.toThrow(failure('upload of', 'BAK/items.csv'));
    await sink.abort();
  });
});
