import fs from 'node:fs';
import path from 'node:path';
// semver comes with npm's and jest's own tooling; it is what npm uses to print EBADENGINE.
import semver from 'semver';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The design card says Node 20, and package.json says `engines.node >=20`. A dependency that wants
 * a newer Node makes `npm ci` warn EBADENGINE on every install and may really break on Node 20, so
 * the lock file must not hold one. 20.19 is the Node 20 line in use (type-graphql already needs >=20.11.1).
 */
const NODE_20 = '20.19.0';

describe('dependencies and the Node 20 engine', () => {
  it('locks no package whose engines exclude Node 20', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refusing = Object.entries(lock.packages)
      .map(([where, p]) => ({ where, version: p.version, node: Array.isArray(p.engines) ? undefined : p.engines?.node }))
      .filter((p) => p.node && !semver.satisfies(NODE_20, p.node))
      .map((p) => `${p.where}@${p.version} wants node ${p.node}`);
    expect(refusing).toEqual([]);
  });

  it('keeps our own engine at Node 20', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(semver.satisfies(NODE_20, pkg.engines.node)).toBe(true);
  });
});
