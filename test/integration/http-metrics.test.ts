import { TempBucket, productLine } from '../support/bucket-factory';
import { createTestDatabase } from '../support/test-database';
import { serveBucket, ServedBucket, startTestServer } from '../support/test-server';

const graphqlSeries = (text: string) => text.split('\n').filter((l) => l.startsWith('pim_graphql_request_seconds_count{'));

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

  const scrape = async () => {
    const res = await fetch(s.app.server.metricsUrl);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('exposes load, quarantine, failure, lag and GraphQL figures in Prometheus format', async () => {
    expect(s.app.server.metricsUrl).toBe(s.app.server.url.replace('/graphql', '/metrics'));
    const res = await fetch(s.app.server.metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^pim_files_loaded_total\{bu="met",kind="product"\} 1$/m);
    expect(text).toMatch(/^pim_files_failed_total\{bu="met",code="too_many_bad_lines"\} 1$/m);
    expect(text).toMatch(/^pim_lines_quarantined_total\{bu="met"\} 1$/m);
    expect(text).toMatch(/^pim_load_blocked\{bu="met"\} 1$/m);
    expect(text).toMatch(/^pim_load_lag_seconds\{bu="met"\} [0-9.e+-]+$/m);
    expect(text).toMatch(/^pim_file_apply_seconds_count\{bu="met",kind="product"\} 1$/m);
    expect(text).toMatch(/^pim_graphql_request_seconds_count\{operation="products",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^pim_process_resident_memory_bytes /m);
  });

  it('labels GraphQL requests by the root field they ask, never by text the client chose', async () => {
    const before = await scrape();
    // The attack from issue 11: every request a new operationName (naming no operation, or one of
    // its own document), each of which used to add a series of 14 lines that never went away.
    for (let i = 0; i < 100; i++) {
      await s.gql('{ businessUnits { code } }', {}, undefined, `NoSuchOperation${i}`);
      await s.gql(`query Named${i} { businessUnits { code } } query Other${i} { products(businessUnit: "met") { totalCount } }`, {}, undefined, `Named${i}`);
    }
    await s.gql('query Both { businessUnits { code } products(businessUnit: "met", first: 1) { totalCount } }');
    await s.gql('query Schema { __schema { queryType { name } } }');
    await s.gql('{ noSuchField }', {}, undefined, 'Broken');
    const after = await scrape();
    expect(after).not.toMatch(/NoSuchOperation|Named|Other|Broken|Both|Schema/);
    expect(graphqlSeries(after).map((l) => /operation="([^"]*)",outcome="(\w+)"/.exec(l)!.slice(1).join(' ')).sort()).toEqual([
      'businessUnits ok', 'introspection ok', 'multiple ok', 'other error', 'products ok',
    ]);
    expect(after).toMatch(/^pim_graphql_request_seconds_count\{operation="businessUnits",outcome="ok"\} 100$/m);
    expect(after).toMatch(/^pim_graphql_request_seconds_count\{operation="other",outcome="error"\} 101$/m);
    // 200 requests with 200 names added 4 series (a few KB), not 200.
    expect(after.length - before.length).toBeLessThan(8_000);
  });
});

describe('who may read /metrics (METRICS_TOKEN, METRICS_PORT)', () => {
  const bucket = new TempBucket();
  const KEYS = 'metrics-reader-key:reader';
  const TOKEN = 'metrics-token-0123456789';
  let t: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 1 })]);
    t = await createTestDatabase(['bak']);
  });
  afterAll(async () => {
    await t.close();
    bucket.remove();
  });

  const get = async (url: string, key?: string) => {
    const res = await fetch(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, text: await res.text(), auth: res.headers.get('www-authenticate') };
  };
  const withServer = async (env: Record<string, string>, apiKeys: string, check: (server: Awaited<ReturnType<typeof startTestServer>>) => Promise<void>) => {
    const server = await startTestServer(t, { bucketDir: bucket.root, apiKeys, env });
    try {
      await check(server);
    } finally {
      await server.stop();
    }
  };

  it('by default asks what the API asks: an API key once API_KEYS is set', async () => {
    await withServer({}, KEYS, async (server) => {
      const none = await get(server.app.server.metricsUrl);
      expect(none.status).toBe(401);
      expect(none.auth).toBe('Bearer realm="metrics"');
      expect(JSON.parse(none.text)).toEqual({ errors: [{ message: '/metrics needs any API key: send "Authorization: Bearer <API key>"', extensions: { code: 'UNAUTHENTICATED' } }] });
      expect((await get(server.app.server.metricsUrl, 'not-a-configured-key')).status).toBe(401);
      const reader = await get(server.app.server.metricsUrl, 'metrics-reader-key');
      expect(reader.status).toBe(200);
      expect(reader.text).toMatch(/^pim_process_resident_memory_bytes /m);
    });
  });

  it('with METRICS_TOKEN takes that token and nothing else', async () => {
    await withServer({ METRICS_TOKEN: TOKEN }, KEYS, async (server) => {
      expect((await get(server.app.server.metricsUrl)).status).toBe(401);
      expect((await get(server.app.server.metricsUrl, 'metrics-reader-key')).status).toBe(401);
      expect((await get(server.app.server.metricsUrl, `${TOKEN}x`)).status).toBe(401);
      expect((await get(server.app.server.metricsUrl, TOKEN)).status).toBe(200);
    });
  });

  it('with METRICS_PORT serves it on a listener of its own (loopback by default), no longer on the API port', async () => {
    await withServer({ METRICS_PORT: '0' }, KEYS, async (server) => {
      const apiPort = server.app.server.url.replace('/graphql', '/metrics');
      expect(server.app.server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(server.app.server.metricsUrl).not.toBe(apiPort);
      expect((await get(apiPort, 'metrics-reader-key')).status).toBe(404);
      const own = await get(server.app.server.metricsUrl);
      expect(own.status).toBe(200);
      expect(own.text).toMatch(/^pim_process_resident_memory_bytes /m);
      expect((await get(server.app.server.metricsUrl.replace('/metrics', '/graphql'))).status).toBe(404);
    });
    await withServer({ METRICS_PORT: '0', METRICS_TOKEN: TOKEN }, KEYS, async (server) => {
      expect((await get(server.app.server.metricsUrl)).status).toBe(401);
      expect((await get(server.app.server.metricsUrl, TOKEN)).status).toBe(200);
    });
  });

  it('stays open while the API is open (no API_KEYS, loopback only)', async () => {
    await withServer({}, '', async (server) => {
      expect((await get(server.app.server.metricsUrl)).status).toBe(200);
    });
  });
});
