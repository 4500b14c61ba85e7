import fs from 'node:fs';
import path from 'node:path';

/**
 * A clone must build, run, test and explain itself: nothing the service, the tests, the
 * benchmarks or the npm scripts run may read the product owner's material beside the checkout,
 * and the documentation must cite the repository's own docs/ (which must exist).
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.data', 'exports', 'coverage', '.git']);
const TEXT_FILE = /\.(ts|js|mjs|cjs|json|sql|md|py|graphql|sh)$|^run$/;
/** This file holds the forbidden forms as test data (the first test shows they are caught). */
const SELF = path.relative(ROOT, __filename);

function filesUnder(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [rel];
  return fs.readdirSync(abs, { withFileTypes: true })
    .filter((e) => !SKIPPED_DIRS.has(e.name))
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(rel, e.name)) : TEXT_FILE.test(e.name) ? [path.join(rel, e.name)] : []))
    .filter((f) => f !== SELF);
}

/** The folder beside the checkout that the product's specs live in, which a clone does not have. */
const SPECS = 'shared';

/**
 * Paths that leave the checkout for the specs folder: `..` then SPECS (as one path or path.join
 * style, any number of `..`), or a file of that folder by its inner path.
 */
const OUTSIDE_READS: readonly RegExp[] = [
  /\.\.[\\/]+(?:\.\.[\\/]+)*shared\b/,
  /['"`]\.\.['"`]\s*,\s*(?:['"`]\.\.['"`]\s*,\s*)*['"`]shared['"`]/,
  /\bshared[\\/]+(?:spec|seeds|samples|hooks)[\\/]/,
  /['"`]shared['"`]\s*,\s*['"`](?:spec|seeds|samples|hooks)['"`]/,
];

function outsideReads(text: string): string[] {
  return text.split('\n').flatMap((line, i) => (OUTSIDE_READS.some((re) => re.test(line)) ? [`${i + 1}: ${line.trim()}`] : []));
}

/** A citation of the specs folder's documents instead of the repository's docs/. */
const SPEC_CITATION = /\bspec[\\/](?:input-format|loading-and-replay|csv-export)\.md|\bspec[\\/]api-contract\.graphql|\bMISSION\.md/;

describe('the repository is self-contained', () => {
  it('recognises every form of a read outside the checkout (so the scan below can fail)', () => {
    const outside = [
      `fs.readFileSync('../${SPECS}/spec/api-contract.graphql')`,
      `path.join(PROJECT_ROOT, '..', '${SPECS}', 'spec', 'api-contract.graphql')`,
      `path.resolve(__dirname, "..", "..", "..", "${SPECS}")`,
      `"pretest": "cp ../../${SPECS}/spec/api-contract.graphql test/contract/"`,
      `path.join(specRoot, '${SPECS}', 'spec', 'csv-export.md')`,
    ];
    for (const line of outside) expect(outsideReads(line)).toHaveLength(1);
    const inside = ["path.resolve(__dirname, '..', '..')", '// a shared pool of connections', "path.join(ROOT, 'test', 'contract')"];
    for (const line of inside) expect(outsideReads(line)).toEqual([]);
  });

  it('reads nothing outside the checkout from src/, test/, bench/, package.json or the CI and jest setup', () => {
    const files = [...filesUnder('src'), ...filesUnder('test'), ...filesUnder('bench'), ...filesUnder('.ci'),
      'package.json', 'jest.config.js', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.bench.json'];
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) => outsideReads(fs.readFileSync(path.join(ROOT, f), 'utf8')).map((hit) => `${f}:${hit}`));
    expect(found).toEqual([]);
  });

  it('cites docs/ rather than the specs folder, in code, tests, migrations and documentation', () => {
    expect(SPEC_CITATION.test('see spec/input-format.md "Order"')).toBe(true);
    const files = [...filesUnder('src'), ...filesUnder('test'), ...filesUnder('bench'), ...filesUnder('migrations'),
      ...filesUnder('docs'), ...filesUnder('examples'), 'README.md', 'BENCHMARKS.md', 'samples/README.md'];
    const found = files.flatMap((f) => fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n')
      .flatMap((line, i) => (SPEC_CITATION.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])));
    expect(found).toEqual([]);
  });

  it('has every docs/ file that code and documentation cite, and every relative link of the documentation', () => {
    const missing: string[] = [];
    for (const f of [...filesUnder('src'), ...filesUnder('test'), ...filesUnder('bench'), ...filesUnder('migrations'), ...filesUnder('examples')]) {
      for (const [cited] of fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/\bdocs\/[a-z0-9-]+\.md\b/g)) {
        if (!fs.existsSync(path.join(ROOT, cited))) missing.push(`${f} cites ${cited}`);
      }
    }
    const markdown = [...filesUnder('docs'), ...filesUnder('examples'), 'README.md', 'BENCHMARKS.md', 'samples/README.md']
      .filter((f) => f.endsWith('.md'));
    for (const f of markdown) {
      for (const [, target] of fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/\]\(([^)\s#]+)(?:#[^)\s]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
        if (!fs.existsSync(path.resolve(ROOT, path.dirname(f), target))) missing.push(`${f} links ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
