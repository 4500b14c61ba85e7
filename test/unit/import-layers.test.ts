import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The parts of src/ stand in layers, and a file imports only from its own part or from a part of
 * a lower layer: a newcomer can then read the code bottom-up, and a change low down never has to
 * wait for something above it. Parts of one layer do not import each other (the loaders and the
 * export are independent of each other). No file imports itself back through others.
 * docs/architecture.md describes the parts.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors', 'logger.ts'],
  ['config'],
  ['metrics'],
  ['entities', 'auth'],
  ['db', 'storage'],
  ['repositories'],
  ['loaders', 'export'],
  ['parity'],
  ['services'],
  ['dataloaders'],
  ['resolvers'],
  ['server'],
  ['cli'],
  ['app.ts'],
  ['main.ts'],
];

const SRC = path.resolve(__dirname, '..', '..', 'src');

type Graph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(abs) : e.name.endsWith('.ts') ? [abs] : [];
  });
}

/** The module names a file imports: import and export … from (type-only too), import() and require(). */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])
      && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every relative import of a file, as a path under src/. */
function importsOf(file: string): string[] {
  return specifiersOf(file).filter((s) => s.startsWith('.')).map((s) => {
    const base = path.resolve(path.dirname(file), s);
    const target = [`${base}.ts`, path.join(base, 'index.ts'), base].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!target) throw new Error(`${path.relative(SRC, file)} imports ${s}, which does not exist`);
    return path.relative(SRC, target);
  });
}

function importGraph(): Graph {
  return new Map(sourceFiles(SRC).map((f) => [path.relative(SRC, f), importsOf(f)]));
}

/** The part a file belongs to: its first folder under src/, or the file itself at the top. */
const partOf = (file: string): string => file.split(/[\\/]/)[0];

function layerOf(part: string): number {
  const i = LAYERS.findIndex((layer) => layer.includes(part));
  if (i < 0) throw new Error(`src/${part} is in no layer: add it to LAYERS in ${path.basename(__filename)} and to docs/architecture.md`);
  return i;
}

/** Imports that reach a higher layer, or another part of the same layer. */
function wrongWayImports(graph: Graph): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const from = partOf(file);
      const to = partOf(target);
      if (from === to) continue;
      if (layerOf(to) >= layerOf(from)) found.push(`${file} -> ${target} (${from} may not import ${to})`);
    }
  }
  return found;
}

/** Every import loop, each once, as the files around it (Tarjan's strongly connected components). */
function importLoops(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) loops.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return loops;
}

describe('imports of src/', () => {
  it('recognises an import loop and an import the wrong way (so the checks below can fail)', () => {
    const bad: Graph = new Map([
      ['db/a.ts', ['db/b.ts']],
      ['db/b.ts', ['db/a.ts']],
      ['config/c.ts', ['services/d.ts']],
      ['services/d.ts', ['config/c.ts']],
      ['loaders/e.ts', ['export/f.ts']],
      ['export/f.ts', []],
    ]);
    expect(importLoops(bad)).toEqual([['db/a.ts', 'db/b.ts'], ['config/c.ts', 'services/d.ts']]);
    expect(wrongWayImports(bad)).toEqual([
      'config/c.ts -> services/d.ts (config may not import services)',
      'loaders/e.ts -> export/f.ts (loaders may not import export)',
    ]);
  });

  it('puts every part of src/ in a layer', () => {
    const parts = new Set([...importGraph().keys()].map(partOf));
    expect([...parts].filter((p) => !LAYERS.some((layer) => layer.includes(p)))).toEqual([]);
  });

  it('imports only downward: from its own part or a lower layer', () => {
    expect(wrongWayImports(importGraph())).toEqual([]);
  });

  it('has no import loop', () => {
    expect(importLoops(importGraph())).toEqual([]);
  });
});
