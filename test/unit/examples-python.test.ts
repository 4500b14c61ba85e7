import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The Python under examples/ (the Airflow DAGs) must at least compile: `python3 -m py_compile`,
 * which needs no Airflow installed. python3 is on every machine and CI runner this project uses;
 * a missing one fails the test rather than skipping it, so a broken example cannot pass unseen.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function pythonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== '__pycache__')
    .flatMap((e) => (e.isDirectory() ? pythonFiles(path.join(dir, e.name)) : e.name.endsWith('.py') ? [path.join(dir, e.name)] : []));
}

/** Compiled bytecode goes to a scratch folder, not into examples/. */
const pycachePrefix = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-pycache-'));

function pyCompile(file: string): { status: number | null; output: string } {
  const run = spawnSync('python3', ['-m', 'py_compile', file], {
    encoding: 'utf8', env: { ...process.env, PYTHONPYCACHEPREFIX: pycachePrefix }, timeout: 30_000,
  });
  if (run.error) throw new Error(`python3 is needed to check the examples (${run.error.message})`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

afterAll(() => fs.rmSync(pycachePrefix, { recursive: true, force: true }));

describe('examples/ Python', () => {
  it('has the Airflow DAG file', () => {
    expect(pythonFiles(path.join(ROOT, 'examples')).map((f) => path.relative(ROOT, f)))
      .toContain(path.join('examples', 'airflow', 'pim-accumulator-dags.py'));
  });

  it('reports a syntax error (so the check below can fail)', () => {
    const broken = path.join(pycachePrefix, 'broken.py');
    fs.writeFileSync(broken, 'def dag(:\n    pass\n');
    const result = pyCompile(broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/SyntaxError/);
  });

  it.each(pythonFiles(path.join(ROOT, 'examples')).map((f) => [path.relative(ROOT, f)]))('%s compiles', (file) => {
    const result = pyCompile(path.join(ROOT, file));
    if (result.status !== 0) throw new Error(`python3 -m py_compile ${file} failed:\n${result.output}`);
  });
});
