import { jsonl } from '../support/bucket-factory';
import { LoaderHarness, loaderHarness } from '../support/loader-harness';
import { prng, productFileNamer, randomAttributeFile, randomChannelFile, randomProductLines } from '../support/random-bucket';

/**
 * The replay invariant (docs/loading-and-replay.md "Replay"): after any sequence of loads, file
 * replacements, replays and restarts, the state equals a fresh database loaded from the current
 * source. Randomized over seeded buckets: PROPERTY_SEEDS / PROPERTY_STEPS make it bigger.
 */

const SEEDS = Array.from({ length: Number(process.env.PROPERTY_SEEDS ?? 3) }, (_, i) => i + 1);
const STEPS = Number(process.env.PROPERTY_STEPS ?? 8);

/** Runs passes until caught up, replaying from the event a blocking error names (as an operator would). */
async function catchUp(h: LoaderHarness, log: string[]): Promise<void> {
  for (let guard = 0; guard < 5; guard++) {
    const result = await h.pass();
    if (result.status === 'done') return;
    const from = /Replay from event (\d+)/.exec(result.message ?? '')?.[1] ?? result.errorEventId!;
    log.push(`blocked (${result.message?.slice(0, 60)}…) → replay from ${from}`);
    await h.replay(from, 'operator fixes the order');
  }
  throw new Error('loading did not catch up');
}

describe.each(SEEDS)('replay invariant, seed %i', (seed) => {
  let h: LoaderHarness;
  beforeAll(async () => { h = await loaderHarness({ limits: { maxBadLines: 100, maxBadRatio: 1 } }); });
  afterAll(() => h.close());

  it(`holds after each of ${STEPS} random operations`, async () => {
    const rng = prng(seed);
    const nextName = productFileNamer(rng);
    const files: string[] = [];
    const log: string[] = [];
    h.bucket.write('SHARED/AttributeFile.json', randomAttributeFile(rng));
    h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', randomChannelFile(rng));
    for (let step = 0; step < STEPS; step++) {
      const roll = rng.next();
      if (roll < 0.4 || files.length === 0) {
        const name = nextName();
        files.push(h.product(name, randomProductLines(rng), { gzip: name.endsWith('.gz') }));
        log.push(`add ${name}`);
      } else if (roll < 0.55) {
        h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', randomChannelFile(rng));
        log.push('rewrite channel file');
      } else if (roll < 0.62) {
        h.bucket.write('SHARED/AttributeFile.json', randomAttributeFile(rng));
        log.push('rewrite AttributeFile');
      } else if (roll < 0.8) {
        const key = rng.pick(files);
        h.bucket.write(key, jsonl(randomProductLines(rng)), { gzip: key.endsWith('.gz') });
        log.push(`replace ${key}`);
      } else {
        const valid = await h.q('SELECT id FROM load_event WHERE replay_date IS NULL ORDER BY id');
        const from = rng.pick(valid).id;
        await h.replay(from, `random replay at step ${step}`);
        log.push(`replay from ${from}`);
      }
      await catchUp(h, log);
      const fresh = await h.freshState();
      const context = `seed ${seed}, step ${step}:\n  ${log.join('\n  ')}`;
      expect({ context, state: await h.state() }).toEqual({ context, state: fresh.state });
    }
  });
});
