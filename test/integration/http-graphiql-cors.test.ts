import fs from 'node:fs';
import vm from 'node:vm';
import { getIntrospectionQuery } from 'graphql';
import { TempBucket } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

describe('HTTP around the API: GraphiQL without a CDN, configurable CORS', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let base: string;
  const bucket = new TempBucket();

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    s = await startTestServer(t, { bucketDir: bucket.root, env: { CORS_ORIGINS: 'https://pim.example.com,http://localhost:3000' } });
    base = s.app.server.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  it('serves GraphiQL and every asset it needs from the service itself', async () => {
    const page = await fetch(`${base}/graphiql`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual([
      '/graphiql/assets/graphiql.min.css', '/graphiql/assets/react.production.min.js',
      '/graphiql/assets/react-dom.production.min.js', '/graphiql/assets/graphiql.min.js', '/graphiql/init.js',
    ]);
    expect(html).not.toMatch(/https?:\/\//);
    const sources: Record<string, string> = {};
    for (const ref of refs) {
      const r = await fetch(`${base}${ref}`);
      expect({ ref, status: r.status }).toEqual({ ref, status: 200 });
      expect(r.headers.get('content-type')).toMatch(ref.endsWith('.css') ? /text\/css/ : /javascript/);
      sources[ref] = await r.text();
      expect(sources[ref]).not.toMatch(/https:\/\/(unpkg|cdn\.jsdelivr|embeddable-sandbox)/);
    }
    expect((await fetch(`${base}/graphiql/assets/package.json`)).status).toBe(404);

    // The bundles load in order and define exactly the globals init.js uses (no browser needed).
    const g: Record<string, unknown> = { console, TextDecoder, TextEncoder, URL, setTimeout, clearTimeout, navigator: { userAgent: 'test' } };
    g.window = g;
    g.self = g;
    g.document = { createElement: () => ({ style: {}, setAttribute() {}, appendChild() {} }), addEventListener() {}, documentElement: { style: {} }, head: { appendChild() {} }, querySelector: () => null };
    const context = vm.createContext(g);
    for (const ref of refs.filter((r) => r.includes('/assets/') && r.endsWith('.js'))) vm.runInContext(sources[ref], context, { filename: ref });
    const globals = g as { React?: { createElement?: unknown }; ReactDOM?: { createRoot?: unknown }; GraphiQL?: { createFetcher?: unknown } };
    expect([typeof globals.React?.createElement, typeof globals.ReactDOM?.createRoot, typeof globals.GraphiQL, typeof globals.GraphiQL?.createFetcher])
      .toEqual(['function', 'function', 'function', 'function']);
    expect(sources['/graphiql/init.js']).toMatch(/GraphiQL\.createFetcher\(\{ url: new URL\('\/graphql'/);
  });

  it("answers GraphiQL's introspection query within the depth and complexity limits", async () => {
    const r = await s.gql(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.__schema.queryType.name).toBe('Query');
  });

  it('sends browsers from / and /graphql to GraphiQL, API clients to the API', async () => {
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/graphiql']);
    const browser = await fetch(`${base}/graphql`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect([browser.status, browser.headers.get('location')]).toEqual([302, '/graphiql']);
    // Apollo's CSRF guard stays on: a GET needs a header a plain cross-site link cannot send.
    const url = `${base}/graphql?query=${encodeURIComponent('{ businessUnits { code } }')}`;
    const api = await fetch(url, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(await api.json()).toEqual({ data: { businessUnits: [{ code: 'bak' }] } });
    const csrf = await fetch(url, { headers: { accept: 'application/json' } });
    expect(csrf.status).toBe(400);
  });

  it('answers CORS only for the configured origins', async () => {
    const preflight = (origin: string) => fetch(s.app.server.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    const allowed = await preflight('https://pim.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://pim.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const other = await preflight('https://evil.example.org');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const post = await fetch(s.app.server.url, {
      method: 'POST', headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ businessUnits { code } }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('keeps /healthz and /readyz', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    // Ready, though the (empty) bucket has no BAK/ folder: the detail says so (source-folders.test.ts).
    expect([ready.status, await ready.json()]).toMatchObject([200, {
      status: 'ready', warnings: [expect.stringMatching(/^bak: folder BAK\/ is not in file:/)], businessUnits: [{ code: 'bak', folder: 'BAK/' }],
    }]);
  });

  it('keeps the GraphiQL bundle versions pinned (UMD builds exist only in these lines)', () => {
    const pkg = JSON.parse(fs.readFileSync(require.resolve('../../package.json'), 'utf8'));
    expect(pkg.dependencies.graphiql).toMatch(/^3\./);
    expect(pkg.dependencies.react).toMatch(/^18\./);
    expect(pkg.dependencies['react-dom']).toMatch(/^18\./);
  });
});
