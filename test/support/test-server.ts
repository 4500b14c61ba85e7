import { pathToFileURL } from 'node:url';
import { App, startApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { ExportHooks } from '../../src/export/job/export-runner';
import { Logger } from '../../src/logger';
import { silentLogger } from './silent-logger';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from './test-database';
import { TempBucket } from './bucket-factory';
import type { PassResult } from '../../src/loaders/business-unit-loader';

export interface GraphQLResponse<T = any> { status: number; body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } }

/** The real service (HTTP + GraphQL) over a test database and a local bucket; polling off. */
export async function startTestServer(t: TestDatabase, options: {
  bucketDir: string; units?: string; apiKeys?: string; env?: Record<string, string>; log?: Logger;
  /** EXPORT_URL (file:// or s3://); with it the export worker runs, polling every 250 ms. */
  exportUrl?: string; exportHooks?: ExportHooks;
}) {
  const config = loadConfig({
    DATABASE_URL: t.url,
    MIGRATION_DATABASE_URL: t.ownerUrl,
    SOURCE_URL: pathToFileURL(options.bucketDir).href,
    BUSINESS_UNITS: options.units ?? t.units.map((u) => `${u.code}=${u.sourceFolder}`).join(','),
    API_KEYS: options.apiKeys ?? '',
    PORT: '0',
    HOST: '127.0.0.1',
    LOAD_POLL_INTERVAL_MS: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PIM_PROJECT_ROOT: PROJECT_ROOT,
    EXPORT_POLL_INTERVAL_MS: options.exportUrl ? '250' : '0',
    // A test file sends all its requests with a key or two, quicker than any client would: the work
    // budget is tested where it is the subject (graphql-amplification.test.ts).
    GRAPHQL_COST_PER_KEY_PER_SECOND: '1000000000',
    ...(options.exportUrl ? { EXPORT_URL: options.exportUrl } : {}),
    ...options.env,
  });
  const app: App = await startApp(config, options.log ?? silentLogger(), { poll: false, exportHooks: options.exportHooks });
  const gql = async <T = any>(query: string, variables: Record<string, unknown> = {}, key?: string, operationName?: string): Promise<GraphQLResponse<T>> => {
    const res = await fetch(app.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables, operationName }),
    });
    return { status: res.status, body: await res.json() as GraphQLResponse<T>['body'] };
  };
  const load = async (code: string) => {
    const bu = config.businessUnits.find((u) => u.code === code)!;
    return app.scheduler.trigger(bu);
  };
  return { app, config, gql, load, stop: () => app.stop() };
}

export const errorCodes = (r: GraphQLResponse) => (r.body.errors ?? []).map((e) => e.extensions?.code);

/** A fresh database and the real server over a bucket, each configured BU loaded once; `close` undoes all three. */
export async function serveBucket(bucket: TempBucket, codes: string[] = ['bak'], options: Omit<Parameters<typeof startTestServer>[1], 'bucketDir'> = {}) {
  const t = await createTestDatabase(codes);
  const s = await startTestServer(t, { ...options, bucketDir: bucket.root });
  const loads: (PassResult | undefined)[] = [];
  for (const bu of s.config.businessUnits) loads.push(await s.load(bu.code));
  return {
    t, s, loads,
    async close() {
      await s.stop();
      await t.close();
      bucket.remove();
    },
  };
}

export type ServedBucket = Awaited<ReturnType<typeof serveBucket>>;
