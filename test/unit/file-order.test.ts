import { classifyKey, compareProductFiles, orderPass, timestampToken } from '../../src/loaders/plan/file-order';
import { SourceObject } from '../../src/loaders/source/source';

const obj = (key: string, bu = 'BAK', lastModified = new Date('2026-04-16T00:00:00Z')) => {
  const info = classifyKey(key, bu);
  if (!info) throw new Error(`unclassified ${key}`);
  const o: SourceObject = { key, etag: 'e', lastModified, size: 1 };
  return { ...o, ...info };
};

describe('classifyKey', () => {
  it('recognises the shared attribute file, channel files and product files', () => {
    expect(classifyKey('SHARED/AttributeFile.json', 'BAK')).toEqual({
      key: 'SHARED/AttributeFile.json', kind: 'attributes', timestamp: null, part: 0, full: false,
    });
    expect(classifyKey('SHARED/AttributeFile.json.gz', 'BAK')?.kind).toBe('attributes');
    expect(classifyKey('BAK/CHANNEL/ChannelStructure_001.jsonl', 'BAK')).toEqual({
      key: 'BAK/CHANNEL/ChannelStructure_001.jsonl', kind: 'channel', timestamp: null, part: 1, full: false,
    });
    expect(classifyKey('BAK/CHANNEL/ChannelStructure_001.jsonl.gz', 'BAK')?.kind).toBe('channel');
  });

  it('parses both product naming styles', () => {
    expect(classifyKey('BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl', 'BAK')).toEqual({
      key: 'BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl',
      kind: 'product', timestamp: '20260413221143000', part: 1, full: false,
    });
    expect(classifyKey('BAK/PRODUCT/2026/04/ecommerce_20260415122159450_002.jsonl.gz', 'BAK')).toMatchObject({
      kind: 'product', timestamp: '20260415122159450', part: 2, full: false,
    });
  });

  it('reads parts and full snapshots', () => {
    expect(classifyKey('BAK/PRODUCT/2026/04/ecommerce_629037_full_20260413221143_003.jsonl', 'BAK')).toMatchObject({
      kind: 'product', timestamp: '20260413221143000', part: 3, full: true,
    });
    // No part suffix: the trailing digits are the timestamp, not a part.
    expect(classifyKey('BAK/PRODUCT/ecommerce_20260413221143.jsonl', 'BAK')).toMatchObject({ part: 0, timestamp: '20260413221143000' });
    expect(classifyKey('BAK/PRODUCT/ecommerce_delta.jsonl', 'BAK')).toMatchObject({ part: 0, timestamp: null });
  });

  it('takes the timestamp from the file name only, longest run first', () => {
    expect(classifyKey('BAK/PRODUCT/20269999999999/ecommerce_x_001.jsonl', 'BAK')?.timestamp).toBeNull();
    expect(timestampToken('ecommerce_20260413221143_20260415122159450_001')).toBe('20260415122159450');
    expect(timestampToken('ecommerce_123456789012345678_001')).toBeNull(); // 18 digits: not a timestamp
  });

  it('returns null for unrelated keys', () => {
    for (const key of [
      'SHARED/other.json',
      'SHARED/nested/AttributeFile.json',
      'BAK/CHANNEL/ChannelStructure_001.json',
      'BAK/CHANNEL/old/ChannelStructure_001.jsonl',
      'BAK/PRODUCT/2026/04/other_20260413221143_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_20260413221143_001.csv',
      'BAK/ecommerce_20260413221143_001.jsonl',
      'CEFL/PRODUCT/2026/04/ecommerce_20260413221143_001.jsonl',
      'README.md',
    ]) expect(classifyKey(key, 'BAK')).toBeNull();
  });

  it('maps a BU to its configured folder, lower case included', () => {
    const key = 'gemaire/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl';
    expect(classifyKey(key, 'gemaire')?.kind).toBe('product');
    expect(classifyKey(key, 'GEMAIRE')).toBeNull();
    expect(classifyKey(key, 'GEM')).toBeNull();
    expect(classifyKey('gemaire/CHANNEL/ChannelStructure_001.jsonl', 'gemaire')?.kind).toBe('channel');
  });
});

describe('ordering', () => {
  it('sorts the two naming styles by time, not lexicographically', () => {
    const keys = [
      'BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl', // Apr 15
      'BAK/PRODUCT/2026/04/ecommerce_629037_20260416080000_001.jsonl', // Apr 16
      'BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl', // Apr 13
      'BAK/PRODUCT/2026/04/ecommerce_20260415122159449_001.jsonl', // Apr 15, 1 ms earlier
    ];
    expect([...keys].sort()).not.toEqual([keys[2], keys[3], keys[0], keys[1]]);
    expect(orderPass(keys.map((k) => obj(k))).map((o) => o.key)).toEqual([keys[2], keys[3], keys[0], keys[1]]);
  });

  it('orders parts numerically within a timestamp, then by key', () => {
    const keys = [
      'BAK/PRODUCT/2026/04/ecommerce_629037_full_20260413221143_010.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_629037_full_20260413221143_002.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_629037_full_20260413221143_001.jsonl',
      'BAK/PRODUCT/2026/04/ecommerce_111111_20260413221143_001.jsonl',
    ];
    expect(orderPass(keys.map((k) => obj(k))).map((o) => o.key)).toEqual([keys[3], keys[2], keys[1], keys[0]]);
  });

  it('puts files without a timestamp after those with one', () => {
    const a = obj('BAK/PRODUCT/ecommerce_manual_001.jsonl');
    const b = obj('BAK/PRODUCT/ecommerce_20991231235959_001.jsonl');
    expect(compareProductFiles(a, b)).toBeGreaterThan(0);
    expect(compareProductFiles(b, a)).toBeLessThan(0);
  });

  it('uses lastModified only as the last resort', () => {
    const key = 'BAK/PRODUCT/ecommerce_20260413221143_001.jsonl';
    const older = obj(key, 'BAK', new Date('2026-04-13T00:00:00Z'));
    const newer = obj(key, 'BAK', new Date('2026-04-14T00:00:00Z'));
    expect(compareProductFiles(newer, older)).toBeGreaterThan(0);
    expect(compareProductFiles(older, older)).toBe(0);
    const later = obj('BAK/PRODUCT/ecommerce_20260413221144_001.jsonl', 'BAK', new Date('2020-01-01T00:00:00Z'));
    expect(compareProductFiles(newer, later)).toBeLessThan(0);
  });

  it('applies attributes first, then channel files, then products', () => {
    const pass = orderPass([
      obj('BAK/PRODUCT/2026/04/ecommerce_20260415122159450_001.jsonl'),
      obj('BAK/CHANNEL/ChannelStructure_001.jsonl'),
      obj('SHARED/AttributeFile.json'),
      obj('BAK/PRODUCT/2026/04/ecommerce_629037_20260413221143_001.jsonl'),
    ]);
    expect(pass.map((o) => o.kind)).toEqual(['attributes', 'channel', 'product', 'product']);
    expect(pass[2].key).toContain('20260413221143');
  });
});
