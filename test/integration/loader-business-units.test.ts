import { nodeLine, productLine } from '../support/bucket-factory';
import { LoaderHarness, attributeFile, loaderHarness, productKey, productName } from '../support/loader-harness';

/** docs/loading-and-replay.md "One schema per business unit": nothing crosses from one BU to another. */

describe('two business units with overlapping EntityIds', () => {
  let h: LoaderHarness;
  // gem reads the lower-case folder seen in the bucket; an upper-case GEM/ folder is someone else's.
  beforeAll(async () => {
    h = await loaderHarness({ codes: ['bak', 'gem'], folders: { gem: 'gemaire' } });
    h.bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String', Origin: 'String' }));
    h.bucket.write('BAK/CHANNEL/ChannelStructure_001.jsonl', JSON.stringify(nodeLine(500, 'Baker supplies')) + '\n');
    h.bucket.write('gemaire/CHANNEL/ChannelStructure_001.jsonl', JSON.stringify(nodeLine(500, 'Gemaire supplies')) + '\n');
    h.product(productName('20260414000000000'), [
      productLine({ id: 1, attrs: { Origin: 'bak' }, items: [{ id: 11, attrs: { Origin: 'bak' } }], nodes: [500] }),
      productLine({ id: 2, attrs: { Origin: 'bak' } }),
    ], { folder: 'BAK' });
    h.product(productName('20260413221143', 1, { job: '629037' }), [
      productLine({ id: 1, attrs: { Origin: 'gem' }, items: [{ id: 11, attrs: { Origin: 'gem' } }, { id: 12 }], resources: [801] }),
      productLine({ id: 3, attrs: { Origin: 'gem' }, nodes: [500] }),
    ], { folder: 'gemaire' });
    h.product(productName('20260414000000000'), [productLine({ id: 999 })], { folder: 'GEM' });
    await expect(h.pass('bak')).resolves.toEqual({ status: 'done', applied: 3 });
    await expect(h.pass('gem')).resolves.toEqual({ status: 'done', applied: 3 });
  });
  afterAll(() => h.close());

  const direct = (sql: string) => h.t.db.query<Record<string, string>>(sql);

  it('keeps each BU\'s products, items, nodes and membership in its own schema', async () => {
    expect(await direct(`SELECT entity_id, attributes->>'Origin' AS origin FROM inriver_bak.product ORDER BY 1`))
      .toEqual([{ entity_id: '1', origin: 'bak' }, { entity_id: '2', origin: 'bak' }]);
    expect(await direct(`SELECT entity_id, attributes->>'Origin' AS origin FROM inriver_gem.product ORDER BY 1`))
      .toEqual([{ entity_id: '1', origin: 'gem' }, { entity_id: '3', origin: 'gem' }]);
    expect(await direct(`SELECT entity_id, product_entity_id, attributes->>'Origin' AS origin FROM inriver_bak.item ORDER BY 1`))
      .toEqual([{ entity_id: '11', product_entity_id: '1', origin: 'bak' }]);
    expect(await direct(`SELECT entity_id, attributes->>'Origin' AS origin FROM inriver_gem.item ORDER BY 1`))
      .toEqual([{ entity_id: '11', origin: 'gem' }, { entity_id: '12', origin: null }]);
    expect(await direct(`SELECT count(*)::int AS n FROM inriver_bak.resource`)).toEqual([{ n: 0 }]);
    expect(await direct(`SELECT owner_entity_id, resource_entity_id FROM inriver_gem.resource`)).toEqual([{ owner_entity_id: '1', resource_entity_id: '801' }]);
    expect(await direct(`SELECT attributes->'ChannelNodeName'->>'en' AS n FROM inriver_bak.channel_node`)).toEqual([{ n: 'Baker supplies' }]);
    expect(await direct(`SELECT attributes->'ChannelNodeName'->>'en' AS n FROM inriver_gem.channel_node`)).toEqual([{ n: 'Gemaire supplies' }]);
    expect(await direct(`SELECT channel_node_id, product_entity_id FROM inriver_bak.channel_node_product`)).toEqual([{ channel_node_id: '500', product_entity_id: '1' }]);
    expect(await direct(`SELECT channel_node_id, product_entity_id FROM inriver_gem.channel_node_product`)).toEqual([{ channel_node_id: '500', product_entity_id: '3' }]);
  });

  it('reads only the BU\'s configured folder (gemaire, not GEM) plus SHARED, and logs only its own files', async () => {
    expect(await direct(`SELECT entity_id FROM inriver_gem.product WHERE entity_id = 999`)).toEqual([]);
    expect(await h.completed('bak')).toEqual([
      'SHARED/AttributeFile.json', 'BAK/CHANNEL/ChannelStructure_001.jsonl', productKey('BAK', productName('20260414000000000')),
    ]);
    expect(await h.completed('gem')).toEqual([
      'SHARED/AttributeFile.json', 'gemaire/CHANNEL/ChannelStructure_001.jsonl',
      productKey('gemaire', productName('20260413221143', 1, { job: '629037' })),
    ]);
    for (const schema of ['inriver_bak', 'inriver_gem']) {
      expect(await direct(`SELECT count(*)::int AS n FROM ${schema}.attribute_definition WHERE entity_type_id = 'Product'`)).toEqual([{ n: 2 }]);
    }
  });

  it('lets the other BU go on when one BU\'s file fails', async () => {
    h.product(productName('20260415000000000'), Array.from({ length: 11 }, () => 'not json'), { folder: 'BAK' });
    h.product(productName('20260416000000000'), [productLine({ id: 5 })], { folder: 'BAK' });
    h.product(productName('20260416000000000'), [productLine({ id: 5, attrs: { Origin: 'gem' } })], { folder: 'gemaire' });
    await expect(h.pass('bak')).resolves.toMatchObject({ status: 'failed', applied: 0 });
    await expect(h.pass('gem')).resolves.toEqual({ status: 'done', applied: 1 });
    expect(await direct(`SELECT entity_id FROM inriver_bak.product WHERE entity_id = 5`)).toEqual([]);
    expect(await direct(`SELECT attributes->>'Origin' AS o FROM inriver_gem.product WHERE entity_id = 5`)).toEqual([{ o: 'gem' }]);
    expect((await h.events('gem')).filter((e) => e.event_type === 'file_error')).toEqual([]);
    await expect(h.pass('bak')).resolves.toMatchObject({ status: 'blocked' });
  });
});
