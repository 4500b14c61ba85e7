import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { Command } from 'commander';
import { prng, Rng } from './prng';

/**
 * A deterministic bucket in the real layout, for benchmarks and manual runs:
 *   npm run generate -- --products 100000 --deltas 20 --seed 1 --out /tmp/bucket
 * SHARED/AttributeFile.json; {BU}/CHANNEL/ChannelStructure_001.jsonl (nodes listing their
 * products, lines of several hundred KB); a full snapshot of every product, then deltas in both
 * naming styles (some gzip) with updates, new products, deletes, revivals, items added and
 * removed, category changes and a few bad lines. Written as a stream: memory stays flat.
 */

export interface GenerateOptions {
  products: number;
  deltas: number;
  deltaSize: number;
  itemAttributes: number;
  /** How many of the item attributes each item fills (real files: about 50 of about 1,000). */
  filledAttributes: number;
  seed: number;
  out: string;
  bu: string;
}

const CATEGORY_COUNT = 60;
const SUPPLIERS = ['SUP-0042', 'SUP-0077', 'SUP-0101', 'SUP-0150'];
const UNITS = [['EA', 'Each'], ['BX', 'Box'], ['CS', 'Case']];

function itemAttributeType(a: number): string {
  return ['String', 'String', 'CVLString', 'Double', 'Boolean', 'LocaleString', 'Integer'][a % 7];
}

function attributeFile(opts: GenerateOptions): string {
  const def = (id: string, type: string, i: number, extra: Record<string, unknown> = {}) =>
    ({ AttributeId: id, Name: { stringMap: { en: id } }, SortOrder: i + 1, DataType: type, AvailableFieldsets: [], ...extra });
  return JSON.stringify([
    { EntityTypeId: 'ChannelNode', Attributes: [def('ChannelNodeID', 'String', 0), def('ChannelNodeName', 'LocaleString', 1), def('ChannelNodeActiveInEcommerce', 'Boolean', 2)] },
    {
      EntityTypeId: 'Product', Attributes: [def('ProductId', 'String', 0), def('ProductShortDescription', 'LocaleString', 1),
        def('ProductProductFamily', 'String', 2), def('ProductMainSupplier', 'CVLString', 3, { IsMultiValue: false, AllowedValues: Object.fromEntries(SUPPLIERS.map((s) => [s, `Supplier ${s}`])) })],
    },
    {
      EntityTypeId: 'Item', Attributes: [def('ItemWatscoItemNo', 'String', 0), def('ItemItemQuantityType', 'CVLString', 1, { IsMultiValue: false }),
        ...Array.from({ length: opts.itemAttributes }, (_, a) => def(`ItemAttr${a}`, itemAttributeType(a), a + 2, itemAttributeType(a) === 'CVLString' ? { IsMultiValue: false } : {}))],
    },
    { EntityTypeId: 'Resource', Attributes: [def('ResourceFilename', 'String', 0), def('ResourceMIMEType', 'String', 1)] },
  ]);
}

function itemValue(rng: Rng, a: number, version: number): unknown {
  switch (itemAttributeType(a)) {
    case 'CVLString': return { key: `K${(a + version) % 9}`, value: `Value ${(a + version) % 9}` };
    case 'Double': return Math.round(rng.next() * 10000) / 100;
    case 'Boolean': return rng.chance(0.5);
    case 'LocaleString': return { en: `Text ${a} v${version}`, 'fr-CA': `Texte ${a} v${version}` };
    case 'Integer': return rng.int(0, 500);
    default: return `value ${a} v${version}`;
  }
}

/** Which attributes an item fills: a stable, item-specific window of the attribute list. */
function filledAttributeIds(itemId: number, opts: GenerateOptions): number[] {
  const n = Math.min(opts.filledAttributes, opts.itemAttributes);
  const start = (itemId * 37) % Math.max(1, opts.itemAttributes - n + 1);
  return Array.from({ length: n }, (_, i) => start + i);
}

/** Categories of a product: 1–2 of the leaf nodes, derived from its id so the node side can list them. */
const categoriesOf = (id: number, version: number) => [1000 + ((id + version) % CATEGORY_COUNT), ...(id % 3 === 0 ? [1000 + ((id * 7) % CATEGORY_COUNT)] : [])]
  .filter((n, i, all) => all.indexOf(n) === i);

function productLine(rng: Rng, id: number, version: number, opts: GenerateOptions): string {
  const itemCount = 1 + ((id * 7 + version) % 4); // 1–4 items; a new version adds or drops some
  const items = Array.from({ length: itemCount }, (_, k) => ({
    EntityId: id * 10 + k, EntityTypeId: 'Item', FieldSetId: null,
    Attributes: {
      ItemWatscoItemNo: `W-${id}-${k}`, ItemItemQuantityType: Object.fromEntries([['key', UNITS[k % 3][0]], ['value', UNITS[k % 3][1]]]),
      ...Object.fromEntries(filledAttributeIds(id * 10 + k, opts).map((a) => [`ItemAttr${a}`, itemValue(rng, a, version)])),
    },
    Resources: k === 0 ? [{ EntityId: 3_000_000 + id * 10 + k, EntityTypeId: 'Resource', FieldSetId: null, Attributes: { ResourceFilename: `${id}-${k}.jpg`, ResourceMIMEType: 'image/jpeg' } }] : [],
    InboundLinks: [], OutboundLinks: [],
  }));
  return JSON.stringify({
    EntityId: id, EntityTypeId: 'Product', FieldSetId: null,
    Attributes: {
      ProductId: `P${100_000_000 + id}`, ProductShortDescription: { en: `Product ${id} v${version}`, 'fr-CA': `Produit ${id} v${version}` },
      ProductProductFamily: `FAM${id % 500}`, ProductMainSupplier: { key: SUPPLIERS[id % 4], value: `Supplier ${SUPPLIERS[id % 4]}` },
    },
    Items: items,
    Resources: [{ EntityId: 2_000_000 + id, EntityTypeId: 'Resource', FieldSetId: null, Attributes: { ResourceFilename: `${id}.jpg`, ResourceMIMEType: 'image/jpeg' } }],
    InboundLinks: categoriesOf(id, version).map((n) => ({ LinkTypeId: 'ChannelNodeProduct', SourceEntityTypeId: 'ChannelNode', SourceEntityId: n })),
    OutboundLinks: [],
  });
}

async function writeLines(file: string, lines: Iterable<string>, gzip: boolean): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file);
  const sink = gzip ? createGzip() : null;
  if (sink) sink.pipe(out);
  const target = sink ?? out;
  for (const line of lines) {
    if (!target.write(`${line}\n`)) await once(target, 'drain');
  }
  target.end();
  await once(out, 'finish');
}

export async function generateBucket(opts: GenerateOptions): Promise<{ files: string[] }> {
  const rng = prng(opts.seed);
  const root = path.resolve(opts.out);
  const files: string[] = [];
  const productDir = path.join(root, opts.bu, 'PRODUCT', '2026', '04');
  fs.mkdirSync(path.join(root, 'SHARED'), { recursive: true });
  fs.writeFileSync(path.join(root, 'SHARED', 'AttributeFile.json'), attributeFile(opts));

  const members = new Map<number, number[]>();
  for (let id = 1; id <= opts.products; id++) for (const n of categoriesOf(id, 0)) (members.get(n) ?? members.set(n, []).get(n)!).push(id);
  const leaves = Array.from({ length: CATEGORY_COUNT }, (_, i) => 1000 + i);
  const node = (id: number, name: string, children: number[], products: number[]) => JSON.stringify({
    EntityId: id, EntityTypeId: 'ChannelNode', FieldSetId: null,
    Attributes: { ChannelNodeID: `N${id}`, ChannelNodeName: { en: name, 'fr-CA': `${name} (fr)` }, ChannelNodeActiveInEcommerce: true },
    Resources: [], InboundLinks: [],
    OutboundLinks: [
      ...children.map((c) => ({ LinkTypeId: 'ChannelNodeChannelNodes', TargetEntityTypeId: 'ChannelNode', TargetEntityId: c })),
      ...products.map((p) => ({ LinkTypeId: 'ChannelNodeProduct', TargetEntityTypeId: 'Product', TargetEntityId: p })),
    ],
  });
  await writeLines(path.join(root, opts.bu, 'CHANNEL', 'ChannelStructure_001.jsonl'),
    [node(1, 'Catalog', leaves, []), ...leaves.map((n) => node(n, `Category ${n}`, [], members.get(n) ?? []))], false);

  const full = path.join(productDir, 'ecommerce_full_20260401000000_001.jsonl');
  await writeLines(full, (function* () { for (let id = 1; id <= opts.products; id++) yield productLine(rng, id, 0, opts); })(), false);
  files.push(full);

  const deleted = new Set<number>();
  let nextId = opts.products + 1;
  for (let d = 0; d < opts.deltas; d++) {
    const stamp = `202604${String(2 + Math.floor(d / 20)).padStart(2, '0')}${String(d % 20).padStart(2, '0')}3000`;
    const gzip = d % 3 === 2;
    const name = d % 2 ? `ecommerce_629037_${stamp}_001.jsonl` : `ecommerce_${stamp}${String(d).padStart(3, '0')}_001.jsonl`;
    const file = path.join(productDir, name + (gzip ? '.gz' : ''));
    const lines = function* () {
      for (let i = 0; i < opts.deltaSize; i++) {
        const roll = rng.next();
        if (roll < 0.001) yield `{"EntityId": ${rng.int(1, opts.products)}, "EntityTypeId": "Prod`; // a truncated line
        else if (roll < 0.02) {
          const id = rng.int(1, opts.products);
          deleted.add(id);
          yield JSON.stringify({ EntityTypeId: 'Product', EntityId: id, Deleted: true });
        } else if (roll < 0.03 && deleted.size) {
          const id = [...deleted][rng.int(0, deleted.size - 1)];
          deleted.delete(id);
          yield productLine(rng, id, d + 1, opts); // a revival
        } else if (roll < 0.1) yield productLine(rng, nextId++, d + 1, opts); // a new product
        else yield productLine(rng, rng.int(1, opts.products), d + 1, opts); // changes: attributes, items, categories
      }
    };
    await writeLines(file, lines(), gzip);
    files.push(file);
  }
  return { files };
}

if (require.main === module) {
  const o = new Command('generate')
    .description('Write a deterministic inRiver bucket in the real layout.')
    .option('--products <n>', 'products in the full snapshot', '10000')
    .option('--deltas <n>', 'delta files after it', '5')
    .option('--delta-size <n>', 'lines per delta file', '1000')
    .option('--item-attributes <n>', 'item attributes in the AttributeFile (real files: about 1,000)', '1000')
    .option('--filled <n>', 'attributes each item fills (real files: about 50)', '50')
    .option('--seed <n>', 'random seed', '1')
    .option('--bu <folder>', 'business unit folder', 'BAK')
    .requiredOption('--out <dir>', 'where to write the bucket')
    .parse()
    .opts();
  const opts: GenerateOptions = {
    products: Number(o.products), deltas: Number(o.deltas), deltaSize: Number(o.deltaSize),
    itemAttributes: Number(o.itemAttributes), filledAttributes: Number(o.filled), seed: Number(o.seed), out: o.out, bu: o.bu,
  };
  const started = Date.now();
  generateBucket(opts).then(({ files }) => {
    const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    process.stdout.write(`wrote ${files.length} product files (${(bytes / 1e6).toFixed(1)} MB) under ${path.resolve(opts.out)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, (err) => {
    console.error(err);
    process.exit(1);
  });
}
