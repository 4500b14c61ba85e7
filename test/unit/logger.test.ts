import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { createLogger } from '../../src/logger';

describe('log lines of errors', () => {
  it('keep the message and code of a failed statement but not its bind parameters or all of a long SQL text', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const batch = JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ entity_id: i, attributes: { text: 'x'.repeat(100) } })));
    const driverError = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const sql = `INSERT INTO item SELECT * FROM jsonb_to_recordset($1::jsonb) ${'-- padding '.repeat(500)}`;
    createLogger('info', sink).error({ err: new QueryFailedError(sql, [batch, 'file:///x.jsonl', '7'], driverError), bu: 'bak' }, 'file load failed');
    expect(lines).toHaveLength(1);
    expect(lines[0].length).toBeLessThan(20_000);
    const line = JSON.parse(lines[0]);
    expect(line.err.message).toBe('terminating connection due to administrator command');
    expect(line.err.driverError.code).toBe('57P01');
    expect(line.err.parameters).toBe('3 parameter(s), not logged');
    expect(line.err.query).toMatch(/^INSERT INTO item SELECT \* FROM jsonb_to_recordset/);
    expect(line.err.query.length).toBeLessThanOrEqual(2001);
    expect(line.bu).toBe('bak');
  });
});
