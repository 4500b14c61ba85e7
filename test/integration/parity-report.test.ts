import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { exportAndWait, fileByName, readLocal } from '../support/export-helpers';
import { launchHeadlessBrowser } from '../support/headless-browser';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/**
 * The HTML report of a parity run over the sample, opened in a real headless Chromium (the one
 * shipped inside the @sparticuz/chromium npm package): it renders offline, asks for nothing
 * beyond itself, and the numbers and bars it shows are the run's JSON summary.
 */

const OPERATOR = 'operator-key-123';

/** What the page functions use of a DOM element (the project compiles without the DOM library). */
type Box = { getBoundingClientRect(): { width: number }; parentElement: Box; innerText: string };

describe('the parity report in a headless browser', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let dir: string;
  let browser: Browser;
  let run: any;
  let reportFile: string;

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-parity-report-'));
    s = await startTestServer(t, { bucketDir: path.join(PROJECT_ROOT, 'samples', 'bucket'), exportUrl: pathToFileURL(dir).href, apiKeys: `${OPERATOR}:operator` });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 4 });
    const job = await exportAndWait(s.gql, 'bak', { templates: ['items.csv'], key: OPERATOR });
    const lines = readLocal(fileByName(job, 'items.csv').uri).toString('utf8').trimEnd().split('\n');
    // The legacy file: item 3424's name changed (with markup, which must show as text), item 3450 dropped, an extra item added.
    const legacy = [...lines.slice(0, 3).map((l) => l.replace('Round run capacitor 45/5', '<b>Round</b> capacitor')), '9999,W-9,P9,9,Extra,,,,0,']
      .join('\n');
    fs.mkdirSync(path.join(dir, 'legacy'));
    fs.writeFileSync(path.join(dir, 'legacy', 'items.csv'), `${legacy}\n`);
    const started = await s.gql(`mutation($i: ParityCompareInput!) { startParityRun(businessUnit: "bak", input: $i) { id } }`,
      { i: { legacyUri: pathToFileURL(path.join(dir, 'legacy', 'items.csv')).href, exportJobId: job.id, key: ['item_id'], ignore: ['updated_at'],
        normalize: [{ column: 'name', steps: 'trim' }] } }, OPERATOR);
    expect(started.body.errors).toBeUndefined();
    const deadline = Date.now() + 30_000;
    do {
      const r = await s.gql(`query($id: ID!) { parityRun(businessUnit: "bak", id: $id) { status reportHtml summary { details } } }`,
        { id: started.body.data.startParityRun.id }, OPERATOR);
      run = r.body.data.parityRun;
      if (run.status !== 'RUNNING') break;
      await new Promise((res) => setTimeout(res, 100));
    } while (Date.now() < deadline);
    expect(run.status).toBe('DIFFERENT');
    reportFile = path.join(dir, 'report.html');
    fs.writeFileSync(reportFile, run.reportHtml);
    browser = await launchHeadlessBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await s.stop();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('renders from the file alone, and shows the summary\'s numbers, bars and examples', async () => {
    const summary = run.summary.details;
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
    expect(requested).toEqual([pathToFileURL(reportFile).href]); // no CDN, font, script or image
    expect(await page.title()).toMatch(/^Parity run \d+ \(bak\): DIFFERENT$/);

    const metrics = await page.$$eval('[data-metric]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-metric'), e.textContent])));
    expect(metrics).toMatchObject({
      status: 'DIFFERENT', legacyRows: String(summary.legacy.rows), exportRows: String(summary.export.rows), matchedRows: String(summary.matchedRows),
      rowsOnlyInLegacy: String(summary.rowsOnlyInLegacy.count), rowsOnlyInExport: String(summary.rowsOnlyInExport.count),
      differentCells: String(summary.differentCells),
    });
    expect(summary).toMatchObject({ matchedRows: 2, rowsOnlyInLegacy: { count: 1 }, rowsOnlyInExport: { count: 1 }, differentCells: 1 });

    // Each column's bar is drawn as wide as its match rate: measured in the layout, not read from the markup.
    const bars = await page.$$eval('tr[data-column]', (rows) => rows.map((r) => {
      const fill = r.querySelector('.fill') as unknown as Box;
      const track = fill.parentElement;
      return {
        name: r.getAttribute('data-column'), equal: Number(r.querySelector('[data-field=equal]')!.textContent),
        different: Number(r.querySelector('[data-field=different]')!.textContent),
        drawn: fill.getBoundingClientRect().width / track.getBoundingClientRect().width, visible: track.getBoundingClientRect().width > 100,
      };
    }));
    expect(bars.map((b) => b.name)).toEqual(summary.columns.map((c: any) => c.name));
    for (const [i, c] of summary.columns.entries()) {
      expect(bars[i]).toMatchObject({ name: c.name, equal: c.equal, different: c.different, visible: true });
      expect(bars[i].drawn).toBeCloseTo(c.matchRate, 2);
    }
    expect(bars.find((b) => b.name === 'name')!.drawn).toBeCloseTo(0.5, 2);

    // The differing cell side by side, its markup shown as text (escaped), not rendered.
    const example = await page.$eval('section.examples[data-column="name"] tbody tr', (tr) =>
      [...tr.querySelectorAll('td')].map((td) => (td as unknown as Box).innerText));
    expect(example).toEqual(['3424', '<b>Round</b> capacitor', 'Round run capacitor 45/5']);
    expect(await page.$$('section.examples b')).toHaveLength(0);
    const options = await page.$eval('#options pre', (e) => JSON.parse(e.textContent!));
    expect(options).toMatchObject({ key: ['item_id'], ignore: ['updated_at'], normalize: { name: ['trim'] } });
    expect(await page.$eval('#only-legacy td', (e) => e.textContent)).toBe('9999');
    expect(await page.$eval('#only-export td', (e) => e.textContent)).toBe('3450');
    await page.close();
  });
});
