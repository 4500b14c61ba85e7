import { getIntrospectionQuery } from 'graphql';
import { TempBucket } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

const READER = 'reader-key-0001';
const INTROSPECTION = getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true });

/**
 * Starts the server as a deployment would with NODE_ENV set to `value` (or unset): Apollo and
 * Express read NODE_ENV when they are built, so it is set around the start only.
 */
async function startWithNodeEnv(value: string | undefined, t: TestDatabase, bucket: TempBucket, env: Record<string, string>, apiKeys = `${READER}:reader`) {
  const saved = process.env.NODE_ENV;
  if (value === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = value;
  try {
    return await startTestServer(t, { bucketDir: bucket.root, apiKeys, env });
  } finally {
    process.env.NODE_ENV = saved;
  }
}

/** What must never reach a client: a stack trace, install paths, an HTML error page. */
function expectNoInternals(text: string) {
  expect(text).not.toMatch(/\bat .+\(|node_modules|\/work\/|<html|<pre>/i);
}

describe('GRAPHQL_INTROSPECTION under NODE_ENV=production', () => {
  let t: TestDatabase;
  const bucket = new TempBucket();
  let servers: Awaited<ReturnType<typeof startTestServer>>[] = [];
  const start = async (env: Record<string, string>, apiKeys?: string) => {
    const s = await startWithNodeEnv('production', t, bucket, env, apiKeys);
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
  });
  afterEach(async () => {
    for (const s of servers) await s.stop();
    servers = [];
  });
  afterAll(async () => {
    await t.close();
    bucket.remove();
  });

  it('answers introspection for a caller with a valid key by default (Apollo alone turns it off in production)', async () => {
    const s = await start({});
    expect(s.config.graphqlIntrospection).toBe('authenticated');
    const r = await s.gql(INTROSPECTION, {}, READER);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.__schema.queryType.name).toBe('Query');
    expect(r.body.data.__schema.types.map((type: { name: string }) => type.name)).toContain('LoadStatus');
    // Without a key, nothing: not even the schema.
    const anonymous = await s.gql(INTROSPECTION);
    expect([anonymous.status, errorCodes(anonymous)]).toEqual([401, ['UNAUTHENTICATED']]);
  });

  it('answers introspection in open mode (no API_KEYS: loopback only)', async () => {
    const s = await start({}, '');
    const r = await s.gql(INTROSPECTION);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.__schema.queryType.name).toBe('Query');
  });

  it('refuses it to everyone with GRAPHQL_INTROSPECTION=off, saying so; data queries still work', async () => {
    const s = await start({ GRAPHQL_INTROSPECTION: 'off' }, `${READER}:reader,admin-key-00001:admin`);
    for (const key of [READER, 'admin-key-00001']) {
      const r = await s.gql(INTROSPECTION, {}, key);
      expect(r.status).toBe(400);
      expect(r.body.data).toBeUndefined();
      expect(r.body.errors?.[0].message).toMatch(/^introspection \(__schema\) is turned off on this server \(GRAPHQL_INTROSPECTION=off\)/);
      expect(errorCodes(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    }
    const typeQuery = await s.gql('{ __type(name: "Product") { name } }', {}, READER);
    expect(typeQuery.body.errors?.[0].message).toMatch(/introspection \(__type\) is turned off/);
    const data = await s.gql('{ businessUnits { code __typename } }', {}, READER);
    expect(data.body).toEqual({ data: { businessUnits: [{ code: 'bak', __typename: 'BusinessUnit' }] } });
  });

  it('with GRAPHQL_INTROSPECTION=on answers the schema without a key, and nothing else', async () => {
    const s = await start({ GRAPHQL_INTROSPECTION: 'true' });
    expect(s.config.graphqlIntrospection).toBe('on');
    const r = await s.gql(INTROSPECTION);
    expect([r.status, r.body.errors]).toEqual([200, undefined]);
    expect(r.body.data.__schema.queryType.name).toBe('Query');

    const smuggled = [
      '{ businessUnits { code } }',
      '{ __schema { queryType { name } } businessUnits { code } }',
      'query { ...F } fragment F on Query { __typename businessUnits { code } }',
      'query { ... on Query { __type(name: "Product") { name } loadStatus(businessUnit: "bak") { productCount } } }',
      'mutation { __typename }',
    ];
    for (const query of smuggled) {
      const refused = await s.gql(query);
      expect({ query, status: refused.status, codes: errorCodes(refused), data: refused.body.data }).toEqual({ query, status: 401, codes: ['UNAUTHENTICATED'], data: undefined });
    }
    expect((await s.gql('{ businessUnits { code } }', {}, 'not-a-valid-key')).status).toBe(401);
    expect((await s.gql('{ businessUnits { code } }', {}, READER)).body).toEqual({ data: { businessUnits: [{ code: 'bak' }] } });
  });
});

describe('malformed HTTP requests get JSON errors, also without NODE_ENV', () => {
  let t: TestDatabase;
  const bucket = new TempBucket();
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let base: string;
  const post = (body: string | Buffer, contentType = 'application/json') =>
    fetch(s.app.server.url, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${READER}` }, body });

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    // Express shows stack traces unless NODE_ENV=production: this is the case that leaked them.
    s = await startWithNodeEnv(undefined, t, bucket, {});
    base = s.app.server.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  const expectJsonError = async (res: Response, status: number, code: string, message: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expectNoInternals(text);
    const body = JSON.parse(text) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe(code);
    expect(body.errors[0].message).toMatch(message);
  };

  it('answers a body that is not JSON with 400', async () => {
    await expectJsonError(await post('{"query": "{ businessUnits { code } }"'), 400, 'BAD_REQUEST', /^the request body is not valid JSON/);
  });

  it('answers a 2 MB body with 413, naming the limit', async () => {
    const body = JSON.stringify({ query: '{ businessUnits { code } }', variables: { padding: 'x'.repeat(2 * 1024 * 1024) } });
    await expectJsonError(await post(body), 413, 'BAD_REQUEST', /is over the 1048576-byte limit of \/graphql/);
  });

  it('answers a wrong content type, charset or encoding with JSON', async () => {
    await expectJsonError(await post('<query/>', 'application/xml'), 400, 'BAD_REQUEST', /invalid Content-Type/);
    await expectJsonError(await post('{ businessUnits { code } }', 'text/plain'), 400, 'BAD_REQUEST', /Cross-Site Request Forgery/);
    await expectJsonError(await post('{}', 'application/json; charset=klingon'), 415, 'BAD_REQUEST', /unsupported charset/);
    const encoded = await fetch(s.app.server.url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'zip-ish' }, body: '{}',
    });
    await expectJsonError(encoded, 415, 'BAD_REQUEST', /unsupported content encoding/);
  });

  it('answers an unknown path with a JSON 404 that points to the API', async () => {
    await expectJsonError(await fetch(`${base}/graphq`), 404, 'NOT_FOUND', /^nothing at GET \/graphq: the API is POST \/graphql/);
    // The routes that exist keep working.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await s.gql('{ businessUnits { code } }', {}, READER)).body).toEqual({ data: { businessUnits: [{ code: 'bak' }] } });
  });
});
