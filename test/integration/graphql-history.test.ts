import path from 'node:path';
import { TempBucket } from '../support/bucket-factory';
import { PROJECT_ROOT } from '../support/test-database';
import { ServedBucket, errorCodes, serveBucket, startTestServer } from '../support/test-server';

const KEYS = { reader: 'reader-key-0001', operator: 'operator-key-01' };

describe('history, changes and requestReplay over HTTP', () => {
  let served: ServedBucket;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  const bucket = new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket'));
  const gql = (q: string, v: Record<string, unknown> = {}, key = KEYS.operator) => s.gql(q, v, key);

  beforeAll(async () => {
    served = await serveBucket(bucket, ['bak'], { apiKeys: `${KEYS.reader}:reader,${KEYS.operator}:operator` });
    s = served.s;
  });
  afterAll(async () => {
    await served.close();
  });

  const completes = async () => (await gql(`{ loadEvents(businessUnit: "bak", filter: { eventTypes: [FILE_COMPLETE], includeReplayed: false }) {
    nodes { id sourceFile } } }`)).body.data.loadEvents.nodes as { id: string; sourceFile: string }[];

  it('shows each entity\'s versions, newest first, with the content after the change', async () => {
    const r = await gql(`{ product(businessUnit: "bak", entityId: "19456") { history { eventId sourceFile operation changedAt content } items { history(first: 1) { operation } } }
      gone: product(businessUnit: "bak", entityId: "19458", includeDeleted: true) { history { operation content } } }`);
    expect(r.body.errors).toBeUndefined();
    const versions = r.body.data.product.history;
    expect(versions.map((v: { operation: string }) => v.operation)).toEqual(['UPDATE', 'INSERT']);
    expect(versions[0].sourceFile).toMatch(/ecommerce_20260415122159450_001\.jsonl$/);
    expect(versions[1].sourceFile).toMatch(/ecommerce_629037_20260413221143_001\.jsonl$/);
    expect(versions[1].content.membership.map((m: { channel_node_id: number }) => String(m.channel_node_id))).toEqual(['50714', '50715']);
    expect(versions[0].content.membership.map((m: { channel_node_id: number }) => String(m.channel_node_id))).toEqual(['50714']);
    expect(r.body.data.product.items[0].history).toEqual([{ operation: 'UPDATE' }]);
    expect(r.body.data.gone.history).toEqual([{ operation: 'DELETE', content: null }, expect.objectContaining({ operation: 'INSERT' })]);
  });

  it('pages changes since an event, in event order, by entity type', async () => {
    const [, , thirdFile] = (await completes()).reverse();
    const all = await gql(`query($since: ID) { changes(businessUnit: "bak", sinceEventId: $since, entityTypes: ["Product", "Item"]) {
      nodes { entityTypeId entityId operation eventId } pageInfo { hasNextPage endCursor } } }`, { since: thirdFile.id });
    const nodes = all.body.data.changes.nodes;
    expect(nodes.map((n: { entityTypeId: string; entityId: string; operation: string }) => `${n.entityTypeId}:${n.entityId}:${n.operation}`).sort()).toEqual([
      'Item:3424:UPDATE', 'Item:3425:DELETE', 'Item:3440:DELETE', 'Item:3450:INSERT',
      'Product:19456:UPDATE', 'Product:19458:DELETE', 'Product:19460:INSERT',
    ].sort());
    const page1 = await gql(`query($since: ID) { changes(businessUnit: "bak", sinceEventId: $since, first: 4) { nodes { entityId } pageInfo { hasNextPage endCursor } } }`, { since: thirdFile.id });
    const page2 = await gql(`query($since: ID, $after: String) { changes(businessUnit: "bak", sinceEventId: $since, first: 4, after: $after) { nodes { entityId } pageInfo { hasNextPage endCursor } } }`,
      { since: thirdFile.id, after: page1.body.data.changes.pageInfo.endCursor });
    expect(page1.body.data.changes.pageInfo.hasNextPage).toBe(true);
    expect([...page1.body.data.changes.nodes, ...page2.body.data.changes.nodes]).toHaveLength(7);
    const bad = await gql(`{ changes(businessUnit: "bak", entityTypes: ["Widget"]) { nodes { entityId } } }`);
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  it('requestReplay: readers may not, a dry run changes nothing, a replay marks events and the loader re-applies', async () => {
    const [last] = await completes();
    const denied = await gql(`mutation($e: ID!) { requestReplay(businessUnit: "bak", fromEventId: $e, reason: "x") { markedEvents } }`, { e: last.id }, KEYS.reader);
    expect(errorCodes(denied)).toEqual(['FORBIDDEN']);

    const dry = await gql(`mutation($e: ID!) { requestReplay(businessUnit: "bak", fromEventId: $e, reason: "check", dryRun: true) {
      dryRun markedEvents fromEvent { id eventType } filesToReplay } }`, { e: last.id });
    expect(dry.body.data.requestReplay).toEqual({
      dryRun: true, markedEvents: 1, fromEvent: { id: last.id, eventType: 'FILE_COMPLETE' }, filesToReplay: [last.sourceFile],
    });
    expect((await completes())[0].id).toBe(last.id);

    const real = await gql(`mutation($e: ID!) { requestReplay(businessUnit: "bak", fromEventId: $e, reason: "inRiver resent it") { dryRun markedEvents } }`, { e: last.id });
    expect(real.body.data.requestReplay).toEqual({ dryRun: false, markedEvents: 1 });
    await s.app.scheduler.trigger(s.config.businessUnits[0]);
    const events = (await gql(`{ loadEvents(businessUnit: "bak") { nodes { id eventType sourceFile replayDate replayReason } } }`)).body.data.loadEvents.nodes;
    const marked = events.find((e: { id: string }) => e.id === last.id);
    expect(marked.replayReason).toMatch(/^inRiver resent it \(by key#2\(operator\)\)$/);
    expect(events[0]).toMatchObject({ eventType: 'FILE_COMPLETE', sourceFile: last.sourceFile, replayDate: null });
    expect(events.some((e: { eventType: string }) => e.eventType === 'REPLAY')).toBe(true);
    const status = (await gql(`{ loadStatus(businessUnit: "bak") { productCount pendingFiles blockedBy { id } } }`)).body.data.loadStatus;
    expect(status).toEqual({ productCount: 3, pendingFiles: [], blockedBy: null });

    const again = await gql(`mutation($e: ID!) { requestReplay(businessUnit: "bak", fromEventId: $e, reason: "again") { markedEvents } }`, { e: last.id });
    expect(errorCodes(again)).toEqual(['BAD_USER_INPUT']);
    expect(again.body.errors![0].message).toMatch(/already replayed/);
    const missing = await gql(`mutation { requestReplay(businessUnit: "bak", fromEventId: "424242", reason: "x") { markedEvents } }`);
    expect(errorCodes(missing)).toEqual(['NOT_FOUND']);
  });
});
