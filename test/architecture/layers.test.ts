// The house's floors: a module may import from its own floor or the ones below it, never from a
// floor above (errors → model → providers → formats → signing → service → bulk/mail → http → server/cli).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** Floor of each top-level room of src/, lowest first. Rooms on one floor may use each other. */
const FLOORS: Record<string, number> = {
  errors: 0,
  'error-rules': 0,
  files: 0,
  logger: 0,
  csv: 0,
  model: 1,
  i18n: 2,
  config: 2,
  providers: 3,
  formats: 4,
  signing: 5,
  service: 6,
  discovery: 6,
  bulk: 7,
  mail: 7,
  http: 8,
  server: 9,
  'server-identity': 9,
  cli: 9,
};

function room(file: string): string {
  const top = relative(SRC, file).split(sep)[0] ?? '';
  return top.replace(/\.(ts|json)$/, '');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative module specifiers of every import, export-from and dynamic import in a file. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) found.push(argument.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((specifier) => specifier.startsWith('.'));
}

describe('layers', () => {
  const files = sourceFiles(SRC);

  test('every room of src/ has a floor', () => {
    const rooms = [...new Set(files.map(room))].sort();
    expect(rooms.filter((name) => !(name in FLOORS))).toEqual([]);
  });

  test('no module imports from a higher floor', () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .map((specifier) => ({ from: room(file), to: room(resolve(dirname(file), specifier)), line: `${relative(SRC, file)} → ${specifier}` }))
        .filter(({ from, to }) => (FLOORS[to] ?? 0) > (FLOORS[from] ?? 0))
        .map(({ line }) => line),
    );
    expect(upward).toEqual([]);
  });
});
