import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { S3Source } from '../../src/loaders/source/s3-source';
import { createS3Client } from '../../src/storage/s3-client';
import { productLine } from '../support/bucket-factory';
import { CuttingRelay, cuttingRelay } from '../support/cutting-relay';
import { attributeFile, loaderHarness, productKey, productName } from '../support/loader-harness';

/**
 * The S3 server goes away in the middle of a read (a restart, a network cut): that is not the
 * file's fault. The pass is interrupted (nothing of the file applied, the business unit not
 * blocked) and the next pass reads the file again. Real s3rver, behind a relay that cuts one
 * response part-way.
 */
describe('an S3 read cut part-way', () => {
  let direct: S3Client;
  const relays: CuttingRelay[] = [];
  beforeAll(() => {
    if (!process.env.TEST_S3_ENDPOINT) throw new Error('TEST_S3_ENDPOINT is not set: run through jest global setup');
    direct = createS3Client({ endpoint: process.env.TEST_S3_ENDPOINT, forcePathStyle: true, region: 'us-east-1' });
  });
  afterAll(async () => {
    for (const r of relays) await r.close();
    direct.destroy();
  });

  /** A bucket holding `objects`, and a harness whose source reads it through a relay that cuts the read of `cutKey`. */
  async function setUp(objects: Record<string, Buffer | string>, cutKey: string, afterBytes: number) {
    const bucket = `outage-${randomUUID()}`;
    await direct.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [key, body] of Object.entries(objects)) await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const relay = await cuttingRelay(process.env.TEST_S3_ENDPOINT!, { match: (method, path) => method === 'GET' && path.split('?')[0] === `/${bucket}/${cutKey}`, afterBytes });
    relays.push(relay);
    const client = createS3Client({ endpoint: relay.endpoint, forcePathStyle: true, region: 'us-east-1' });
    const h = await loaderHarness({ source: new S3Source(client, { bucket, ownsClient: true }) });
    return { h, relay };
  }

  const products = (n: number) => Array.from({ length: n }, (_, i) =>
    JSON.stringify(productLine({ id: 1000 + i, attrs: { ProductShortDescription: { en: `product ${i} ${'x'.repeat(200)}` } }, items: [{ id: 50_000 + i }] }))).join('\n');

  it.each([
    ['a product file', false],
    ['a gzip product file', true],
  ])('interrupts the pass when the read of %s is cut: not blocked, nothing applied, applied on the next pass', async (_name, gzip) => {
    const key = productKey('BAK', productName('20260501000000', 1, { gzip }));
    const text = products(3000);
    const body = gzip ? gzipSync(text) : Buffer.from(text);
    const { h, relay } = await setUp({ [key]: body }, key, Math.floor(body.length * 0.4));
    try {
      const first = await h.pass();
      expect(relay.cuts).toBe(1);
      expect(first).toMatchObject({ status: 'interrupted', applied: 0 });
      const events = await h.events();
      expect(events.map((e) => e.event_type)).toEqual(['file_start', 'file_error']);
      expect(events[1].metadata).toMatchObject({ errorCode: 'interrupted', blocking: false });
      expect(await h.q('SELECT count(*)::int AS n FROM product')).toEqual([{ n: 0 }]);

      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
      expect(await h.completed()).toEqual([key]);
      const fresh = await h.freshState();
      expect(await h.state()).toEqual(fresh.state);
    } finally {
      await h.close();
    }
  });

  it('interrupts the pass when the read of the AttributeFile is cut', async () => {
    const attributes = JSON.parse(attributeFile({ ProductId: 'String', ProductShortDescription: 'LocaleString' }));
    // Large enough to arrive in several chunks.
    attributes[0].Attributes.push(...Array.from({ length: 2000 }, (_, i) => ({ AttributeId: `Extra${i}`, DataType: 'String', SortOrder: 10 + i, Name: { stringMap: { en: `Extra ${i}` } } })));
    const body = JSON.stringify(attributes);
    const { h, relay } = await setUp({ 'SHARED/AttributeFile.json': body }, 'SHARED/AttributeFile.json', Math.floor(body.length / 2));
    try {
      await expect(h.pass()).resolves.toMatchObject({ status: 'interrupted', applied: 0 });
      expect(relay.cuts).toBe(1);
      expect((await h.events()).map((e) => [e.event_type, e.metadata?.errorCode])).toEqual([['file_start', undefined], ['file_error', 'interrupted']]);
      await expect(h.pass()).resolves.toEqual({ status: 'done', applied: 1 });
      expect(await h.q('SELECT count(*)::int AS n FROM attribute_definition')).toEqual([{ n: 2003 }]);
    } finally {
      await h.close();
    }
  });
});
