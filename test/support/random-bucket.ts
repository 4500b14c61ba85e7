import { deleteLine, jsonl, nodeLine, productLine } from './bucket-factory';
import { attributeFile, productName } from './loader-harness';
import { Rng, prng } from '../../bench/prng';

export { prng };
export type { Rng } from '../../bench/prng';

const PRODUCTS = Array.from({ length: 12 }, (_, i) => i + 1);
const ITEMS = Array.from({ length: 30 }, (_, i) => 100 + i);
const NODES = [1, 2, 3, 4, 5];
const RESOURCES = [900, 901, 902, 903];

function randomProduct(rng: Rng, id: number) {
  return productLine({
    id,
    attrs: { Stage: rng.pick(['a', 'b', 'c', 'd']), ...(rng.chance(0.3) ? { Color: rng.pick(['red', 'blue']) } : {}) },
    items: rng.subset(ITEMS, 0.08).map((item) => ({ id: item, attrs: { Size: rng.int(1, 3) }, resources: rng.subset(RESOURCES, 0.2) })),
    resources: rng.subset(RESOURCES, 0.3),
    nodes: rng.subset(NODES, 0.3),
  });
}

/** Lines of one product file: updates, deletes, revivals, moved and removed items, category changes, a rare bad line. */
export function randomProductLines(rng: Rng): unknown[] {
  return Array.from({ length: rng.int(1, 5) }, () => {
    const id = rng.pick(PRODUCTS);
    if (rng.chance(0.15)) return deleteLine(id);
    if (rng.chance(0.04)) return '{"EntityId": ' + id + ', "EntityTypeId": "Prod';
    return randomProduct(rng, id);
  });
}

/**
 * The parts of a full snapshot: a random share of the products, each listed in exactly one part
 * (a part may be empty), so products stored but in no part are there to be reported as absent.
 */
export function randomSnapshotParts(rng: Rng, parts: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: parts }, () => []);
  for (const id of rng.subset(PRODUCTS, 0.6)) out[rng.int(0, parts - 1)].push(randomProduct(rng, id));
  return out;
}

export function randomChannelFile(rng: Rng): string {
  const children = rng.subset(NODES.slice(1), 0.7);
  return jsonl([
    nodeLine(1, rng.pick(['Root', 'HVAC']), { children, products: rng.subset(PRODUCTS, 0.2) }),
    ...children.map((n) => nodeLine(n, `Node ${n}${rng.pick(['', ' v2'])}`, { products: rng.subset(PRODUCTS, 0.2) })),
  ]);
}

export function randomAttributeFile(rng: Rng): string {
  return attributeFile({ ProductId: 'String', Stage: 'String', ...(rng.chance(0.5) ? { Color: 'CVLString' } : {}) });
}

/**
 * Names of product files at increasing times (some hours apart, so any number of calls stays a
 * valid date): deltas in either naming style, sometimes gzip, and the parts of full snapshots.
 */
export function productFileNamer(rng: Rng) {
  let hours = 0;
  const nextStamp = () => {
    hours += rng.int(1, 30);
    return new Date(Date.UTC(2026, 3, 1) + hours * 3_600_000).toISOString().replace(/\D/g, '').slice(0, 14);
  };
  const delta = () => {
    const stamp = nextStamp();
    const gzip = rng.chance(0.2);
    return rng.chance(0.5) ? productName(stamp, 1, { job: '629037', gzip }) : productName(`${stamp}${rng.int(100, 999)}`, 1, { gzip });
  };
  /** `ecommerce_<time>_full_001.jsonl` …: the parts of one snapshot share folder and time. */
  const full = (parts: number) => {
    const stamp = nextStamp();
    return Array.from({ length: parts }, (_, i) => `ecommerce_${stamp}_full_${String(i + 1).padStart(3, '0')}.jsonl${rng.chance(0.2) ? '.gz' : ''}`);
  };
  return Object.assign(delta, { delta, full });
}
