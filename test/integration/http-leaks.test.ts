import net from 'node:net';
import vm from 'node:vm';
import pino from 'pino';
import { Writable } from 'node:stream';
import { TempBucket, productLine } from '../support/bucket-factory';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/** Small leaks to callers (issue 11, item 8): what an answer may show to whom. */

const READER = 'reader-key-0001';
const GEM_READER = 'gem-reader-0001';

/**
 * A TCP hop between the service and PostgreSQL that the test can cut and restore, to take the
 * database away from a running service (the error then names this hop's host and port).
 */
async function databaseHop(target: URL) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(target.href);
  url.port = String(port);
  return {
    url: url.href,
    port,
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: () => listen(port),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

describe('/readyz shows the cause of a failure only to callers with a key', () => {
  let t: TestDatabase;
  let hop: Awaited<ReturnType<typeof databaseHop>>;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket();
  const logged: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { logged.push(JSON.parse(String(chunk))); done(); } });
  const readyz = (key?: string) => fetch(s.app.server.url.replace(/\/graphql$/, '/readyz'), { headers: key ? { authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    bucket.product('BAK', 'ecommerce_20260401000000_001.jsonl', [productLine({ id: 1 })]);
    t = await createTestDatabase(['bak', 'gem']);
    hop = await databaseHop(new URL(t.url));
    s = await startTestServer(t, {
      bucketDir: bucket.root, units: 'bak,gem=gemaire', apiKeys: `${READER}:reader,${GEM_READER}:reader:gem`,
      env: { DATABASE_URL: hop.url }, log: pino({ level: 'warn' }, sink),
    });
  });
  afterAll(async () => {
    await s.stop();
    await hop.close();
    await t.close();
    bucket.remove();
  });

  it('when ready: the status alone without a key, the folder detail of its own business units with one', async () => {
    const anonymous = await readyz();
    expect([anonymous.status, await anonymous.json()]).toEqual([200, { status: 'ready' }]);
    const wrongKey = await readyz('not-a-valid-key');
    expect([wrongKey.status, await wrongKey.json()]).toEqual([200, { status: 'ready' }]);
    const reader = await readyz(READER);
    expect(await reader.json()).toMatchObject({ status: 'ready', businessUnits: [{ code: 'bak' }, { code: 'gem' }], warnings: [expect.stringMatching(/^gem: /)] });
    const scoped = await readyz(GEM_READER);
    const body = await scoped.json() as { businessUnits: { code: string }[] };
    expect(body.businessUnits.map((b) => b.code)).toEqual(['gem']);
  });

  it('with the database down: 503 and the status alone without a key (the cause is logged), the cause with a key', async () => {
    await hop.cut();
    try {
      // Pooled connections die with the hop ("Connection terminated"); then connecting is refused,
      // and that error names the host and port.
      let detail: { status: string; error: string } = { status: '', error: '' };
      for (let i = 0; i < 20 && !/ECONNREFUSED/.test(detail.error); i++) {
        const reader = await readyz(READER);
        expect(reader.status).toBe(503);
        detail = await reader.json() as typeof detail;
      }
      expect(detail).toMatchObject({ status: 'database unreachable', businessUnits: [{ code: 'bak' }, { code: 'gem' }] });
      expect(detail.error).toContain(`127.0.0.1:${hop.port}`);

      const anonymous = await readyz();
      const text = await anonymous.text();
      expect([anonymous.status, JSON.parse(text)]).toEqual([503, { status: 'database unreachable' }]);
      expect(text).not.toMatch(new RegExp(`${hop.port}|127\\.0\\.0\\.1|ECONNREFUSED`));
      const warnings = logged.filter((l) => l.msg === 'not ready: the database is unreachable');
      expect(JSON.stringify(warnings.at(-1))).toContain(`127.0.0.1:${hop.port}`);
    } finally {
      await hop.restore();
    }
    expect((await readyz()).status).toBe(200);
  });
});

describe('"Did you mean …" guesses while nobody may ask the schema (GRAPHQL_INTROSPECTION=off)', () => {
  let t: TestDatabase;
  const bucket = new TempBucket();
  let off: Awaited<ReturnType<typeof startTestServer>>;
  let on: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    off = await startTestServer(t, { bucketDir: bucket.root, apiKeys: `${READER}:reader`, env: { GRAPHQL_INTROSPECTION: 'off' } });
    on = await startTestServer(t, { bucketDir: bucket.root, apiKeys: `${READER}:reader` });
  });
  afterAll(async () => {
    await off.stop();
    await on.stop();
    await t.close();
    bucket.remove();
  });

  const misspelt: [string, string, Record<string, unknown>][] = [
    ['a field', '{ prodcts(businessUnit: "bak") { totalCount } }', {}],
    ['an argument', '{ products(businesUnit: "bak") { totalCount } }', {}],
    ['a type', 'query($f: LoadEventFiltr) { loadEvents(businessUnit: "bak", filter: $f) { totalCount } }', {}],
    ['an enum value', '{ loadEvents(businessUnit: "bak", filter: { eventTypes: [FILE_EROR] }) { totalCount } }', {}],
    ['an input field', '{ loadEvents(businessUnit: "bak", filter: { eventType: [FILE_ERROR] }) { totalCount } }', {}],
    ['an enum value in variables', 'query($t: [LoadEventType!]) { loadEvents(businessUnit: "bak", filter: { eventTypes: $t }) { totalCount } }', { t: ['FILE_EROR'] }],
  ];

  it.each(misspelt)('leaves them out for %s, and keeps the rest of the message', async (_what, query, variables) => {
    const hidden = await off.gql(query, variables, READER);
    const shown = await on.gql(query, variables, READER);
    const [hiddenMessage, shownMessage] = [hidden.body.errors![0].message, shown.body.errors![0].message];
    expect(shownMessage).toMatch(/ Did you mean .+\?$/);
    expect(hiddenMessage).not.toMatch(/Did you mean/);
    expect(hiddenMessage).toBe(shownMessage.replace(/ Did you mean .+\?$/, ''));
    expect(hidden.body.errors![0].extensions?.code).toBe(shown.body.errors![0].extensions?.code);
  });
});

describe('security headers (helmet) on every answer, with a CSP the self-hosted GraphiQL works under', () => {
  let t: TestDatabase;
  const bucket = new TempBucket();
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let base: string;
  const CSP = "default-src 'self';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline';img-src 'self' data:;"
    + "font-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'";

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    s = await startTestServer(t, { bucketDir: bucket.root, apiKeys: `${READER}:reader` });
    base = s.app.server.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
  });

  it('sends nosniff, no framing and the CSP, and no X-Powered-By or HSTS, on every path', async () => {
    const answers = {
      healthz: await fetch(`${base}/healthz`),
      readyz: await fetch(`${base}/readyz`),
      metrics: await fetch(`${base}/metrics`),
      graphql: await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${READER}` }, body: '{"query":"{ businessUnits { code } }"}' }),
      unauthenticated: await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ businessUnits { code } }"}' }),
      badBody: await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }),
      notFound: await fetch(`${base}/nothing-here`),
      graphiql: await fetch(`${base}/graphiql`),
      asset: await fetch(`${base}/graphiql/assets/graphiql.min.js`),
    };
    for (const [name, res] of Object.entries(answers)) {
      const h = res.headers;
      expect({ name, poweredBy: h.get('x-powered-by'), nosniff: h.get('x-content-type-options'), frame: h.get('x-frame-options'), csp: h.get('content-security-policy'), hsts: h.get('strict-transport-security') })
        .toEqual({ name, poweredBy: null, nosniff: 'nosniff', frame: 'DENY', csp: CSP, hsts: null });
    }
    expect([answers.graphql.status, answers.unauthenticated.status, answers.badBody.status, answers.notFound.status, answers.graphiql.status]).toEqual([200, 401, 400, 404, 200]);
    // No ETag hashed over every answer: nothing revalidates a POST, and a page of products is ~0.4 MB to hash.
    expect([answers.graphql.headers.get('etag'), answers.readyz.headers.get('etag')]).toEqual([null, null]);
  });

  it('serves a GraphiQL page that needs nothing the policy refuses', async () => {
    const html = await (await fetch(`${base}/graphiql`)).text();
    // Scripts: files from this origin only (script-src 'self'); no inline script, no handler attributes (script-src-attr 'none').
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/^ src="\/graphiql\/[^"]+"$/);
      expect(body).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
    // Styles: the page's own <style> block and GraphiQL's run-time <style> elements need 'unsafe-inline' (allowed above).
    expect(html).toMatch(/<style>/);
    const css = await (await fetch(`${base}/graphiql/assets/graphiql.min.css`)).text();
    const urls = [...css.matchAll(/url\(\s*['"]?([^'")]+)/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => !u.startsWith('data:'))).toEqual([]); // fonts and images: data: (allowed above)

    // No eval: the bundles load with code generation from strings turned off, as the policy (no 'unsafe-eval') does in a browser.
    const g: Record<string, unknown> = { console, TextDecoder, TextEncoder, URL, setTimeout, clearTimeout, navigator: { userAgent: 'test' } };
    g.window = g;
    g.self = g;
    g.document = { createElement: () => ({ style: {}, setAttribute() {}, appendChild() {} }), addEventListener() {}, documentElement: { style: {} }, head: { appendChild() {} }, querySelector: () => null };
    const context = vm.createContext(g, { codeGeneration: { strings: false, wasm: false } });
    for (const name of ['react.production.min.js', 'react-dom.production.min.js', 'graphiql.min.js']) {
      const source = await (await fetch(`${base}/graphiql/assets/${name}`)).text();
      expect(source).not.toMatch(/\beval\(|new Function\(/);
      vm.runInContext(source, context, { filename: name });
    }
    expect(typeof (g as { GraphiQL?: { createFetcher?: unknown } }).GraphiQL?.createFetcher).toBe('function');
    expect(() => vm.runInContext('eval("1")', context)).toThrow(/Code generation from strings disallowed/);
  });
});
