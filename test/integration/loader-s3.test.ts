import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { LoadScheduler } from '../../src/loaders/load-scheduler';
import { S3Source } from '../../src/loaders/source/s3-source';
import { createS3Client } from '../../src/storage/s3-client';
import { nodeLine } from '../support/bucket-factory';
import { LoaderHarness, loaderHarness } from '../support/loader-harness';
import { silentLogger } from '../support/silent-logger';
import { PROJECT_ROOT } from '../support/test-database';

/** The sample flow (samples/README.md) read from an S3-compatible store (s3rver), under a prefix. */

const SAMPLES = path.join(PROJECT_ROOT, 'samples', 'bucket');
const PREFIX = 'exports/inriver';

function sampleFiles(dir = SAMPLES, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    (e.isDirectory() ? sampleFiles(dir, `${rel}${e.name}/`) : [`${rel}${e.name}`]));
}

describe('loading the sample bucket from S3', () => {
  let client: S3Client;
  let bucket: string;
  let h: LoaderHarness;
  const put = (key: string, body: string | Buffer) => client.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/${key}`, Body: body }));

  beforeAll(async () => {
    if (!process.env.TEST_S3_ENDPOINT) throw new Error('TEST_S3_ENDPOINT is not set: run through jest global setup');
    client = createS3Client({ endpoint: process.env.TEST_S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' });
    bucket = `loader-${randomUUID()}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of sampleFiles()) await put(key, fs.readFileSync(path.join(SAMPLES, key)));
    await put('CEFL/CHANNEL/ChannelStructure_001.jsonl', JSON.stringify(nodeLine(1, 'not ours')) + '\n');
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'BAK/CHANNEL/ChannelStructure_001.jsonl', Body: 'outside the prefix\n' }));
    h = await loaderHarness({ source: new S3Source(client, { bucket, prefix: PREFIX }) });
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 4 });
  });
  afterAll(async () => {
    await h.close();
    client.destroy();
  });

  it('applies the four files in order, with s3 URIs, ETags and the sha256 of the bytes read', async () => {
    const completes = (await h.events()).filter((e) => e.event_type === 'file_complete');
    expect(completes.map((e) => e.source_key)).toEqual([
      'SHARED/AttributeFile.json',
      'BAK/CHANNEL/ChannelStructure_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl',
    ]);
    for (const e of completes) {
      const bytes = fs.readFileSync(path.join(SAMPLES, e.source_key));
      expect(e.source_file).toBe(`s3://${bucket}/${PREFIX}/${e.source_key}`);
      expect(e.source_etag).toBe(createHash('md5').update(bytes).digest('hex'));
      expect((await h.q('SELECT source_sha256 FROM load_event WHERE id = $1', [e.id]))[0].source_sha256)
        .toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('ends in the state samples/README.md describes', async () => {
    expect((await h.q('SELECT entity_id, deleted FROM product ORDER BY entity_id')).map((p) => [p.entity_id, p.deleted]))
      .toEqual([['19456', false], ['19457', false], ['19458', true], ['19460', false]]);
    const items = await h.q(`SELECT entity_id, deleted, (attributes->>'ItemItemImperialWeightinPounds')::float AS w FROM item ORDER BY entity_id`);
    expect(items.filter((i) => !i.deleted).map((i) => i.entity_id)).toEqual(['3424', '3430', '3450']);
    expect(items.filter((i) => i.deleted).map((i) => i.entity_id)).toEqual(['3425', '3440']);
    expect(items.find((i) => i.entity_id === '3424').w).toBe(0.9);
    const membership = await h.q(`SELECT m.channel_node_id, array_agg(m.product_entity_id ORDER BY m.product_entity_id) AS products
      FROM channel_node_product m JOIN product p ON p.entity_id = m.product_entity_id AND NOT p.deleted GROUP BY 1 ORDER BY 1`);
    expect(membership.map((r) => [r.channel_node_id, r.products])).toEqual([['50714', ['19456', '19457']], ['50715', ['19460']]]);
    expect((await h.q('SELECT count(*)::int AS n FROM channel_node'))[0].n).toBe(3);
    const quarantined = await h.q('SELECT source_file, line_number FROM quarantined_line');
    expect(quarantined).toEqual([{ source_file: `s3://${bucket}/${PREFIX}/BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl`, line_number: 3 }]);
    const [last] = (await h.events()).filter((e) => e.event_type === 'file_complete').slice(-1);
    expect(last.metadata.membershipDisagreements).toBe(1);
  });

  it('applies nothing again, then picks up the channel file overwritten in S3', async () => {
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 0 });
    const channel = fs.readFileSync(path.join(SAMPLES, 'BAK/CHANNEL/ChannelStructure_001.jsonl'), 'utf8').replace('"Capacitors"', '"Run capacitors"');
    await put('BAK/CHANNEL/ChannelStructure_001.jsonl', channel);
    await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
    expect((await h.q(`SELECT attributes->'ChannelNodeName'->>'en' AS n FROM channel_node WHERE entity_id = 50715`))[0].n).toBe('Run capacitors');
  });
});

describe('a load pass over a bucket that does not exist', () => {
  it('fails with a message naming the operation, bucket, prefix and endpoint', async () => {
    const client = createS3Client({ endpoint: process.env.TEST_S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' });
    const missing = `missing-${randomUUID()}`;
    const h = await loaderHarness({ source: new S3Source(client, { bucket: missing, prefix: PREFIX }) });
    try {
      const result = await new LoadScheduler(h.loader, [h.bu()], silentLogger()).trigger(h.bu());
      expect(result).toEqual({
        status: 'failed', applied: 0,
        message: `S3 ListObjectsV2 of s3://${missing}/${PREFIX}/SHARED/ at ${process.env.TEST_S3_ENDPOINT} failed: `
          + 'The specified bucket does not exist (NoSuchBucket, HTTP 404)',
      });
    } finally {
      await h.close();
      client.destroy();
    }
  });
});
