import { deleteLine, jsonl, nodeLine, productLine } from './bucket-factory';
import { attributeFile, productName } from './loader-harness';
import { Rng, prng } from '../../bench/prng';

export { prng };
export type { Rng } from '../../bench/prng';



const PRODUCTS = Array.from({ length: 12 }, (_, i) => i + 1);
const ITEMS = Array.from({ length: 30 }, (_, i) => 100 + i);
const NODES = [1, 2, 3, 4, 5];
const RESOURCES = [900, 901, 902, 903];

/** Lines of one product file: updates, deletes, revivals, moved and removed items, category changes, a rare bad line. */
export function randomProductLines(rng: Rng): unknown[] {
  return Array.from({ length: rng.int(1, 5) }, () => {
    const id = rng.pick(PRODUCTS);
    if (rng.chance(0.15)) return deleteLine(id);
    if (rng.chance(0.04)) return '{"EntityId": ' + id + ', "EntityTypeId": "Prod';
    return productLine({
      id,
      attrs: { Stage: rng.pick(['a', 'b', 'c', 'd']), ...(rng.chance(0.3) ? { Color: rng.pick(['red', 'blue']) } : {}) },
      items: rng.subset(ITEMS, 0.08).map((item) => ({ id: item, attrs: { Size: rng.int(1, 3) }, resources: rng.subset(RESOURCES, 0.2) })),
      resources: rng.subset(RESOURCES, 0.3),
      nodes: rng.subset(NODES, 0.3),
    });
  });
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

/** A new product file name: a later time each call, either naming style, sometimes gzip. */
export function productFileNamer(rng: Rng) {
  let day = 1;
  return () => {
    day++;
    const stamp = `202604${String(day).padStart(2, '0')}${String(rng.int(0, 23)).padStart(2, '0')}0000`;
    const gzip = rng.chance(0.2);
    return rng.chance(0.5) ? productName(stamp, 1, { job: '629037', gzip }) : productName(`${stamp}${rng.int(100, 999)}`, 1, { gzip });
  };
}
