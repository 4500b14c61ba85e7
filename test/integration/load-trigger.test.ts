import path from 'node:path';
import { TempBucket, productLine } from '../support/bucket-factory';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';

/**
 * triggerLoad is idempotent (issue 11, item 7): 50 aliased triggerLoad in one mutation were all
 * accepted and queued another pass. Passes are counted on the real loader the server runs.
 */
describe('triggerLoad over HTTP', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let bucket: TempBucket;
  const passes = jest.spyOn(BusinessUnitLoader.prototype, 'loadOnce');
  const bak = () => s.config.businessUnits[0];
  const STATUS = 'businessUnit running pendingFiles productCount lastCompleted { id } blockedBy { id }';

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    bucket = new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket'));
    // 20 requests at once from one address: more than the per-key in-flight bound, which is not what this tests.
    s = await startTestServer(t, { bucketDir: bucket.root, env: { GRAPHQL_MAX_IN_FLIGHT_PER_KEY: '100' } });
  });
  afterAll(async () => {
    passes.mockRestore();
    await s.stop();
    await t.close();
    bucket.remove();
  });

  it('50 aliased triggerLoad in one request make one pass, and every alias gets the same answer', async () => {
    passes.mockClear();
    const r = await s.gql(`mutation { ${Array.from({ length: 50 }, (_, i) => `t${i}: triggerLoad(businessUnit: "bak") { ${STATUS} }`).join('\n')} }`);
    expect(r.body.errors).toBeUndefined();
    const answers = Object.values(r.body.data);
    expect(answers).toHaveLength(50);
    for (const a of answers) expect(a).toEqual(answers[0]);
    await s.app.scheduler.idle(bak());
    expect(passes).toHaveBeenCalledTimes(1);
    const after = await s.gql(`{ loadStatus(businessUnit: "bak") { ${STATUS} } }`);
    expect(after.body.data.loadStatus).toMatchObject({ running: false, pendingFiles: [], productCount: 3, blockedBy: null });
  });

  it('any number of requests at once make at most one pass running and one waiting, and load what arrived', async () => {
    bucket.product('BAK', 'ecommerce_20260416080000_001.jsonl', [productLine({ id: 19490, productId: 'P-TRIGGER' })]);
    passes.mockClear();
    const answers = await Promise.all(Array.from({ length: 20 }, () => s.gql(`mutation { triggerLoad(businessUnit: "bak") { businessUnit } }`)));
    for (const a of answers) expect(a.body).toEqual({ data: { triggerLoad: { businessUnit: 'bak' } } });
    await s.app.scheduler.idle(bak());
    expect(passes.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(passes.mock.calls.length).toBeLessThanOrEqual(2);
    const after = await s.gql(`{ loadStatus(businessUnit: "bak") { ${STATUS} } }`);
    expect(after.body.data.loadStatus).toMatchObject({ running: false, pendingFiles: [], productCount: 4 });
  });
});
