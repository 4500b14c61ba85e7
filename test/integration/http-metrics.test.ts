import { TempBucket, productLine } from '../support/bucket-factory';
import { serveBucket, ServedBucket, startTestServer } from '../support/test-server';

describe('GET /metrics', () => {
  let served: ServedBucket;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();

  beforeAll(async () => {
    bucket.product('MET', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 1 }), '{ bad line']);
    bucket.product('MET', 'ecommerce_20260402000000_001.jsonl', Array.from({ length: 12 }, () => 'not json'));
    served = await serveBucket(bucket, ['met']);
    s = served.s;
    await s.gql('query CountProducts { products(businessUnit: "met") { totalCount } }');
  });
  afterAll(async () => {
    await served.close();
  });

  it('exposes load, quarantine, failure, lag and GraphQL figures in Prometheus format', async () => {
    const res = await fetch(s.app.server.url.replace('/graphql', '/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^pim_files_loaded_total\{bu="met",kind="product"\} 1$/m);
    expect(text).toMatch(/^pim_files_failed_total\{bu="met",code="too_many_bad_lines"\} 1$/m);
    expect(text).toMatch(/^pim_lines_quarantined_total\{bu="met"\} 1$/m);
    expect(text).toMatch(/^pim_load_blocked\{bu="met"\} 1$/m);
    expect(text).toMatch(/^pim_load_lag_seconds\{bu="met"\} [0-9.e+-]+$/m);
    expect(text).toMatch(/^pim_file_apply_seconds_count\{bu="met",kind="product"\} 1$/m);
    expect(text).toMatch(/^pim_graphql_request_seconds_count\{operation="CountProducts",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^pim_process_resident_memory_bytes /m);
  });
});
