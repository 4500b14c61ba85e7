import { makeBusinessUnit } from '../src/db/business-unit';
import { Database } from '../src/db/database';
import { readTemplates } from '../src/export/config-queries';
import { compileTemplate } from '../src/export/template-compiler';
async function main() {
  const db = await Database.connect('postgres://postgres:postgres@127.0.0.1:55432/benchkeep');
  const bu = makeBusinessUnit('bak');
  const runner = db.dataSource.createQueryRunner(); await runner.connect();
  await db.inBuTransaction(runner, bu, { readOnly: true, isolation: 'REPEATABLE READ' }, async () => {
    const [t] = await readTemplates(runner, [process.env.T ?? 'items.csv']);
    const c = compileTemplate(t);
    
    const ex = await runner.query(`EXPLAIN (ANALYZE, BUFFERS) ${c.sql}`, c.params);
    if (process.env.PLAN) console.log(ex.map((r: any) => r['QUERY PLAN']).join('\n'));
    for (const size of [5000, 5000]) {
      if (process.env.TUNE) { await runner.query("SET LOCAL cursor_tuple_fraction = 1"); await runner.query("SET LOCAL work_mem = '64MB'"); }
      let t0 = performance.now();
      await runner.query(`DECLARE cc NO SCROLL CURSOR FOR ${c.sql}`, c.params);
      let n = 0; for (;;) { const rows = await runner.query(`FETCH ${size} FROM cc`); n += rows.length; if (rows.length < size) break; }
      await runner.query('CLOSE cc');
      console.log('fetch all', size, n, ((performance.now() - t0) / 1000).toFixed(2));
    }
  });
  await runner.release(); await db.close();
}
main();
