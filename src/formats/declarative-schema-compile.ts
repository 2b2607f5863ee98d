// Apple Declarative Device Management YAML (apple/device-management, declarative/declarations/*.yaml,
// docs/schema.md): compiles the declarations mailsetup writes into declarative-schema.data.json.
import { APPLE_SCHEMA_REPOSITORY, keySpec, supportedOs, type SchemaDocument, type SchemaProvenance } from './apple-schema-compile.js';
import type { DeclarativeSchemas } from './apple-schema-types.js';

type Yaml = Record<string, unknown>;

const isObject = (value: unknown): value is Yaml => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function declarationOf(file: SchemaDocument): [string, DeclarativeSchemas['declarations'][string]] {
  const doc = file.document;
  if (!isObject(doc) || !isObject(doc.payload) || typeof doc.payload.declarationtype !== 'string')
    fail(file.name, 'not a declaration schema (payload.declarationtype missing)');
  if (!Array.isArray(doc.payloadkeys)) fail(file.name, 'payloadkeys is not a list');
  const keys = doc.payloadkeys.map((raw, i) => keySpec(raw, `${file.name} payloadkeys[${i}]`, { assetTypes: true }));
  return [doc.payload.declarationtype, { os: supportedOs(doc.payload.supportedOS, file.name) ?? {}, keys }];
}

/**
 * The compact facts of every given declaration schema; `declarationbase.yaml` (declaration type
 * `any`) becomes `base`, the keys every declaration carries around its Payload.
 */
export function compileDeclarativeSchemas(files: readonly SchemaDocument[], provenance: SchemaProvenance): DeclarativeSchemas {
  const declarations: DeclarativeSchemas['declarations'] = {};
  let base: DeclarativeSchemas['base'] | undefined;
  for (const [type, declaration] of files.map(declarationOf).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (type === 'any') {
      base = declaration;
      continue;
    }
    if (declarations[type]) throw new Error(`declaration type ${type} is defined twice`);
    declarations[type] = declaration;
  }
  if (!base) throw new Error('declarationbase.yaml is missing');
  const revision = provenance.sourceText.trim().split(/\r?\n/)[0] ?? '';
  const copyright = provenance.licenseText.trim().split(/\r?\n/)[0] ?? '';
  return {
    format: 1,
    source: {
      repository: APPLE_SCHEMA_REPOSITORY,
      revision,
      license: 'MIT',
      notice: `${copyright} Compiled from Apple's declarative/declarations YAML; the full licence text is in NOTICE.`,
    },
    base,
    declarations,
  };
}

/** The JSON text committed as declarative-schema.data.json: one line per key, for readable diffs. */
export function serializeDeclarativeSchemas(schemas: DeclarativeSchemas): string {
  const block = (name: string, spec: DeclarativeSchemas['base']) =>
    `  ${JSON.stringify(name)}: {\n   "os": ${JSON.stringify(spec.os)},\n   "keys": [\n${spec.keys.map((key) => `    ${JSON.stringify(key)}`).join(',\n')}\n   ]\n  }`;
  const declarations = Object.entries(schemas.declarations).map(([type, spec]) => block(type, spec));
  return [
    '{',
    ` "format": ${schemas.format},`,
    ` "source": ${JSON.stringify(schemas.source)},`,
    ` "base": {\n   "os": ${JSON.stringify(schemas.base.os)},\n   "keys": [\n${schemas.base.keys.map((key) => `    ${JSON.stringify(key)}`).join(',\n')}\n   ]\n },`,
    ` "declarations": {\n${declarations.join(',\n')}\n }`,
    '}',
    '',
  ].join('\n');
}
