import { parse } from 'csv-parse/sync';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GraphQLResponse } from './test-server';

type Gql = <T = any>(query: string, variables?: Record<string, unknown>, key?: string) => Promise<GraphQLResponse<T>>;

export const JOB_FIELDS = `id businessUnit status idempotencyKey requestedBy requestedAt startedAt finishedAt snapshotEventId
  files { name uri rows bytes sha256 downloadUrl rowsLeftOut templateVersion } manifestUri warnings error templates attempts`;

/** Polls exportJob over GraphQL until it is SUCCEEDED or FAILED. */
export async function waitForJob(gql: Gql, bu: string, id: string, opts: { key?: string; timeoutMs?: number } = {}): Promise<any> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const r = await gql(`query($bu: String!, $id: ID!) { exportJob(businessUnit: $bu, id: $id) { ${JOB_FIELDS} } }`, { bu, id }, opts.key);
    if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
    const job = r.body.data.exportJob;
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return job;
    if (Date.now() > deadline) throw new Error(`export job ${id} still ${job.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** requestExport then wait; throws on GraphQL errors. */
export async function exportAndWait(gql: Gql, bu: string, args: { templates?: string[]; idempotencyKey?: string; key?: string } = {}): Promise<any> {
  const r = await gql(`mutation($bu: String!, $t: [String!], $k: String) { requestExport(businessUnit: $bu, templates: $t, idempotencyKey: $k) { id status } }`,
    { bu, t: args.templates ?? null, k: args.idempotencyKey ?? null }, args.key);
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return waitForJob(gql, bu, r.body.data.requestExport.id, { key: args.key });
}

/** A CSV file parsed by a standard parser (csv-parse) into rows of strings, header included. */
export function parseCsv(text: string | Buffer, opts: { delimiter?: string; bom?: boolean } = {}): string[][] {
  return parse(text, { delimiter: opts.delimiter ?? ',', bom: opts.bom ?? false, relax_column_count: false });
}

export function readLocal(uri: string): Buffer {
  return fs.readFileSync(fileURLToPath(uri));
}

export function fileByName(job: { files: { name: string }[] }, name: string): any {
  const f = job.files.find((x) => x.name === name);
  if (!f) throw new Error(`job has no file ${name}; it has ${job.files.map((x) => x.name).join(', ')}`);
  return f;
}
