import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';

/**
 * .env.example lists every variable the service reads, so it must grow with the configuration:
 * the names are taken from the source (src/config/config.ts, and process.env reads anywhere in
 * src/), not from a list kept here.
 */
const ROOT = path.resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** `parse(env, 'PORT', …)`, `parseWith(env, 'API_KEYS', …)`, `env.PIM_PROJECT_ROOT`, `process.env.EMBEDDED_PG_PORT`, `env['X']`. */
function variablesRead(source: string): string[] {
  const names = new Set<string>();
  const patterns = [/\benv,\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g, /\benv\.([A-Z][A-Z0-9_]*)\b/g, /\benv\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g];
  for (const re of patterns) for (const m of source.matchAll(re)) names.add(m[1]);
  return [...names].sort();
}

interface Documented { name: string; value: string; comment: string | undefined }

/** `# NAME=value` entries, each with the comment line just above it. */
function documented(example: string): Documented[] {
  const lines = example.split('\n');
  return lines.flatMap((line, i) => {
    const m = /^#\s?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) return [];
    const above = lines[i - 1];
    const comment = above !== undefined && /^#\s?\S/.test(above) && !/^#\s?[A-Z][A-Z0-9_]*=/.test(above) ? above : undefined;
    return [{ name: m[1], value: m[2].trim(), comment }];
  });
}

const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
const configSource = fs.readFileSync(path.join(ROOT, 'src', 'config', 'config.ts'), 'utf8');

describe('.env.example', () => {
  it('finds the variables in the configuration source (so a new one cannot slip past)', () => {
    const names = variablesRead(configSource);
    // One of each way config.ts reads a variable: parse(env, …), parseWith(env, …), env.NAME.
    expect(names).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'PIM_PROJECT_ROOT', 'AWS_DEFAULT_REGION']));
    expect(names.length).toBeGreaterThan(15);
    expect(variablesRead("parse(env, 'NEW_SETTING', z.string(), 'x'); process.env.OTHER; env['THIRD']"))
      .toEqual(['NEW_SETTING', 'OTHER', 'THIRD']);
  });

  it('lists every variable src/config/config.ts reads, every process.env read of src/, and NODE_ENV', () => {
    const fromSrc = sourceFiles(path.join(ROOT, 'src'))
      .flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    const needed = [...new Set([...variablesRead(configSource), ...fromSrc, 'NODE_ENV'])].sort();
    const listed = new Set(documented(example).map((d) => d.name));
    expect(needed.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('changes nothing when copied: every line is a comment or blank', () => {
    const active = example.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(active).toEqual([]);
  });

  it('gives each variable once, with a one-line comment above it', () => {
    const entries = documented(example);
    expect(entries.filter((e) => !e.comment).map((e) => e.name)).toEqual([]);
    expect(entries.map((e) => e.name).filter((n, i, all) => all.indexOf(n) !== i)).toEqual([]);
  });

  it('shows the real defaults: with every entry uncommented, the configuration is the default one', () => {
    const env = Object.fromEntries(documented(example).map((d) => [d.name, d.value]));
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});
