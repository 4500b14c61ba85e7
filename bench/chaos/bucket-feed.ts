import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { generateBucket } from '../generate';

export type FedKind = 'attributes' | 'channel' | 'full' | 'delta';

export interface FedFile {
  key: string;
  /** The business unit folder it belongs to; null for SHARED/, which every business unit reads. */
  folder: string | null;
  etag: string;
  size: number;
  kind: FedKind;
}

export interface FeedOptions {
  products: number;
  deltaSize: number;
  seed: number;
}

export const BU_FOLDER = 'BAK';
/** The generator's files are dated April 2026; the campaign's follow from May on, a minute apart. */
const FIRST_STAMP = Date.UTC(2026, 4, 1);

/** yyyyMMddHHmmss of the n-th file the campaign adds: always later than every file before it. */
function stamp(n: number): string {
  return new Date(FIRST_STAMP + n * 60_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The bucket the service reads, filled over time as inRiver fills it: the generated AttributeFile,
 * channel file and full snapshot first, then one file at a time under a name whose timestamp is
 * later than every earlier one (a file that sorted earlier would be a late arrival, which stops
 * the business unit by design). Deltas come from one generated series; each full snapshot is a
 * newly generated one (another seed: other values in every item, so applying it rewrites every
 * product, as a real full load does).
 */
export class BucketFeed {
  /** Every file uploaded, in order, with the ETag S3 gave it. */
  readonly files: FedFile[] = [];
  private deltas: string[] = [];
  private channel = '';
  private nextDelta = 0;
  private added = 0;

  constructor(private readonly client: S3Client, readonly bucket: string, private readonly dir: string, private readonly opts: FeedOptions,
    /** Makes an upload appear to the service whole, as S3 does (ChaosS3.whileHeld). */
    private readonly atomically: <T>(upload: () => Promise<T>) => Promise<T> = (upload) => upload()) {}

  /** Creates the bucket, generates the series and uploads the first three files. */
  async init(deltaCount: number): Promise<void> {
    await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    const out = path.join(this.dir, 'generated');
    const { files } = await generateBucket({
      products: this.opts.products, deltas: deltaCount, deltaSize: this.opts.deltaSize, itemAttributes: 1000, filledAttributes: 50,
      seed: this.opts.seed, out, bu: BU_FOLDER,
    });
    const [full, ...deltas] = files;
    this.deltas = deltas;
    this.channel = path.join(out, BU_FOLDER, 'CHANNEL', 'ChannelStructure_001.jsonl');
    await this.upload('SHARED/AttributeFile.json', path.join(out, 'SHARED', 'AttributeFile.json'), 'attributes');
    await this.upload(`${BU_FOLDER}/CHANNEL/ChannelStructure_001.jsonl`, this.channel, 'channel');
    await this.upload(path.relative(out, full).split(path.sep).join('/'), full, 'full');
  }

  /** Files a business unit of folder `folder` reads: SHARED/ and its own. */
  filesFor(folder: string): FedFile[] {
    return this.files.filter((f) => f.folder === null || f.folder === folder);
  }

  /** A new business unit's folder: the channel file and a full snapshot (what its first load applies). */
  async addBusinessUnit(folder: string): Promise<FedFile> {
    await this.upload(`${folder}/CHANNEL/ChannelStructure_001.jsonl`, this.channel, 'channel');
    return this.addFull(folder);
  }

  /** The next delta of the series (gzip ones stay gzip), under the next name. */
  async addDelta(): Promise<FedFile> {
    // Past the end of the series, its files come again under new names: still real changes, as
    // other files were applied in between.
    const local = this.deltas[this.nextDelta++ % this.deltas.length];
    const n = this.added++;
    const gz = local.endsWith('.gz') ? '.gz' : '';
    const name = n % 2 ? `ecommerce_629037_${stamp(n)}_001.jsonl${gz}` : `ecommerce_${stamp(n)}_001.jsonl${gz}`;
    return this.upload(`${BU_FOLDER}/PRODUCT/2026/05/${name}`, local, 'delta');
  }

  /** A newly generated full snapshot of every product, under the next name. */
  async addFull(folder = BU_FOLDER): Promise<FedFile> {
    const n = this.added++;
    const out = path.join(this.dir, `full-${n}`);
    const { files: [full] } = await generateBucket({
      products: this.opts.products, deltas: 0, deltaSize: 0, itemAttributes: 1000, filledAttributes: 50,
      seed: this.opts.seed * 1000 + n + 1, out, bu: BU_FOLDER,
    });
    try {
      return await this.upload(`${folder}/PRODUCT/2026/05/ecommerce_full_${stamp(n)}_001.jsonl`, full, 'full');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }

  private async upload(key: string, file: string, kind: FedKind): Promise<FedFile> {
    const body = fs.readFileSync(file);
    const res = await this.atomically(() => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body })));
    const folder = key.startsWith('SHARED/') ? null : key.slice(0, key.indexOf('/'));
    const fed = { key, folder, etag: (res.ETag ?? '').replace(/"/g, ''), size: body.length, kind };
    this.files.push(fed);
    return fed;
  }

  uriOf(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}
