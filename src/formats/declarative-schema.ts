// Apple Declarative Device Management declarations (apple/device-management, declarative/declarations,
// docs/schema.md): checks built declarations against the compiled facts in declarative-schema.data.json.
import data from './declarative-schema.data.json' with { type: 'json' };
import { Walker, supports, type Problem } from './apple-schema.js';
import type { AppleOs, DeclarativeSchemas, KeySpec } from './apple-schema-types.js';

let loaded: DeclarativeSchemas | undefined;

/** The compiled declarative schemas shipped with mailsetup (regenerate with `npm run apple-schemas`). */
export function loadDeclarativeSchemas(): DeclarativeSchemas {
  if (!loaded) {
    const candidate = data as unknown as DeclarativeSchemas;
    if (candidate.format !== 1 || !candidate.base || !candidate.declarations) {
      throw new Error('declarative-schema.data.json is not a format 1 schema file; regenerate it with npm run apple-schemas');
    }
    loaded = candidate;
  }
  return loaded;
}

/** Apple: Identifier and ServerToken "should not exceed 64 octets". */
const MAX_OCTETS = 64;

const isDictionary = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every key spec that names asset types, with the path of its value in a Payload. */
function assetReferences(keys: readonly KeySpec[] | undefined, value: unknown, path: string, out: Array<{ path: string; value: unknown; types: string[] }>) {
  if (!keys || !isDictionary(value)) return;
  for (const spec of keys) {
    if (!Object.hasOwn(value, spec.key)) continue;
    const inner = value[spec.key];
    const at = `${path}.${spec.key}`;
    if (spec.assetTypes) out.push({ path: at, value: inner, types: spec.assetTypes });
    if (spec.type === 'dictionary') assetReferences(spec.subkeys, inner, at, out);
  }
}

/** One declaration: the base keys, then its Payload against the schema its Type names. */
function checkOne(walker: Walker, declaration: unknown, path: string, os: AppleOs, schemas: DeclarativeSchemas): void {
  if (!isDictionary(declaration)) {
    walker.report(path, 'type', 'a declaration is a JSON object');
    return;
  }
  const baseSupport = schemas.base.os[os];
  walker.dictionary(declaration, schemas.base.keys, path, baseSupport);
  const type = declaration.Type;
  const spec = typeof type === 'string' ? schemas.declarations[type] : undefined;
  if (!spec) {
    if (typeof type === 'string') walker.report(`${path}.Type`, 'unknown-payload-type', `${type} is not a declaration type this checker knows`);
    return;
  }
  const support = spec.os[os];
  if (!supports(support)) walker.report(path, 'unsupported-os', `${String(type)} declarations are not supported on ${os}`);
  if (isDictionary(declaration.Payload)) walker.dictionary(declaration.Payload, spec.keys, `${path}.Payload`, support);
  for (const key of ['Identifier', 'ServerToken'] as const) {
    const value = declaration[key];
    if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') > MAX_OCTETS) {
      walker.report(`${path}.${key}`, 'length', `${key} has ${Buffer.byteLength(value, 'utf8')} octets; Apple allows ${MAX_OCTETS}`);
    }
  }
}

/**
 * Checks a set of declarations as an MDM would send them together: each against Apple's schema for
 * one OS, Identifiers unique, every asset reference naming a declaration of an allowed asset type,
 * and every activation naming configurations that are in the set.
 */
export function validateDeclarations(declarations: readonly unknown[], os: AppleOs, schemas: DeclarativeSchemas = loadDeclarativeSchemas()): Problem[] {
  const walker = new Walker(os);
  declarations.forEach((declaration, i) => checkOne(walker, declaration, `[${i}]`, os, schemas));
  const byIdentifier = new Map<string, { index: number; type: unknown }>();
  declarations.forEach((declaration, i) => {
    if (!isDictionary(declaration) || typeof declaration.Identifier !== 'string') return;
    const first = byIdentifier.get(declaration.Identifier);
    if (first) walker.report(`[${i}].Identifier`, 'unique', `Identifier ${declaration.Identifier} is already used at [${first.index}]`);
    else byIdentifier.set(declaration.Identifier, { index: i, type: declaration.Type });
  });
  declarations.forEach((declaration, i) => {
    if (!isDictionary(declaration) || typeof declaration.Type !== 'string') return;
    const spec = schemas.declarations[declaration.Type];
    const references: Array<{ path: string; value: unknown; types: string[] }> = [];
    assetReferences(spec?.keys, declaration.Payload, `[${i}].Payload`, references);
    for (const reference of references) {
      const target = typeof reference.value === 'string' ? byIdentifier.get(reference.value) : undefined;
      if (!target) walker.report(reference.path, 'reference', `${String(reference.value)} names no declaration in this set`);
      else if (!reference.types.includes(String(target.type))) {
        walker.report(reference.path, 'reference', `${String(reference.value)} is a ${String(target.type)}, not one of ${reference.types.join(', ')}`);
      }
    }
    if (declaration.Type.startsWith('com.apple.activation.') && isDictionary(declaration.Payload)) {
      const named = declaration.Payload.StandardConfigurations;
      if (Array.isArray(named)) {
        named.forEach((id, j) => {
          const target = typeof id === 'string' ? byIdentifier.get(id) : undefined;
          if (!target || !String(target.type).startsWith('com.apple.configuration.')) {
            walker.report(`[${i}].Payload.StandardConfigurations[${j}]`, 'reference', `${String(id)} names no configuration in this set`);
          }
        });
      }
    }
  });
  return walker.problems;
}
