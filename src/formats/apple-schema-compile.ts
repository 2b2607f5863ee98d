// Apple device-management YAML schema format (docs/schema.md): compiles parsed mdm/profiles/*.yaml
// documents into the compact facts apple-schema.ts checks against (apple-schema.data.json).
import { APPLE_OSES, VALUE_TYPES, type AppleSchemas, type KeySpec, type SupportedOs, type ValueType } from './apple-schema-types.js';

export interface SchemaDocument {
  /** File name, for error messages. */
  name: string;
  /** The YAML document, already parsed. */
  document: unknown;
}

export interface SchemaProvenance {
  /** Text of the SOURCE.txt that names the upstream commit. */
  sourceText: string;
  /** Text of Apple's LICENSE.txt; its first line is the copyright notice. */
  licenseText: string;
}

export const APPLE_SCHEMA_REPOSITORY = 'https://github.com/apple/device-management';

// Fields of a key object we deliberately drop: prose, defaults the device applies itself, and
// string sub-formats that none of the mail payloads use. Anything else is a format change: fail.
const IGNORED_KEY_FIELDS = new Set(['title', 'content', 'default', 'valuetype', 'subtype', 'assettypes', 'asset-content-types', 'combinetype', 'subkeytype']);
const CARRIED_KEY_FIELDS = new Set(['key', 'type', 'presence', 'rangelist', 'format', 'range', 'repetition', 'supportedOS', 'subkeys']);

type Yaml = Record<string, unknown>;

function isObject(value: unknown): value is Yaml {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

/** A YAML scalar as text (a version may come unquoted, as a number); a mapping or list is a format change. */
function scalar(value: unknown, where: string, what: string): string {
  if (typeof value === 'object' && value !== null) fail(where, `${what} is not a single value`);
  return String(value);
}

export function supportedOs(value: unknown, where: string): SupportedOs | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) fail(where, 'supportedOS is not a mapping');
  const out: SupportedOs = {};
  for (const os of APPLE_OSES) {
    const entry = value[os];
    if (entry === undefined) continue;
    if (!isObject(entry)) fail(where, `supportedOS.${os} is not a mapping`);
    const picked: { introduced?: string; removed?: string } = {};
    if (entry.introduced !== undefined) picked.introduced = scalar(entry.introduced, where, `supportedOS.${os}.introduced`);
    if (entry.removed !== undefined) picked.removed = scalar(entry.removed, where, `supportedOS.${os}.removed`);
    if (Object.keys(picked).length > 0) out[os] = picked;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function bounds(value: unknown, where: string): { min?: number; max?: number } {
  if (!isObject(value)) fail(where, 'a range is a mapping of min and max');
  const out: { min?: number; max?: number } = {};
  for (const end of ['min', 'max'] as const) {
    const n = value[end];
    if (n === undefined) continue;
    if (typeof n !== 'number') fail(where, `${end} is not a number`);
    out[end] = n;
  }
  return out;
}

export interface KeySpecOptions {
  /** Keep `assettypes` (declarative schemas: which asset types a reference may name). */
  assetTypes?: boolean;
}

/** One YAML key object as the compact facts the validators check; unknown schema fields fail. */
export function keySpec(raw: unknown, where: string, options: KeySpecOptions = {}): KeySpec {
  if (!isObject(raw) || typeof raw.key !== 'string') fail(where, 'a payload key needs a key name');
  const here = `${where} ${raw.key}`;
  for (const field of Object.keys(raw)) {
    if (!CARRIED_KEY_FIELDS.has(field) && !IGNORED_KEY_FIELDS.has(field)) fail(here, `unknown schema field "${field}"`);
  }
  const type = typeof raw.type === 'string' ? raw.type.replace(/^<(.*)>$/, '$1') : '';
  if (!(VALUE_TYPES as readonly string[]).includes(type)) fail(here, `unknown type ${String(raw.type)}`);
  const spec: KeySpec = { key: raw.key, type: type as ValueType };
  if (raw.presence === 'required') spec.required = true;
  else if (raw.presence !== undefined && raw.presence !== 'optional') fail(here, `unknown presence ${scalar(raw.presence, here, 'presence')}`);
  if (raw.rangelist !== undefined) {
    if (!Array.isArray(raw.rangelist) || !raw.rangelist.every((v) => ['string', 'number', 'boolean'].includes(typeof v)))
      fail(here, 'rangelist is not a list of scalars');
    spec.rangelist = raw.rangelist as Array<string | number | boolean>;
  }
  if (raw.format !== undefined) {
    if (typeof raw.format !== 'string') fail(here, 'format is not a string');
    spec.format = raw.format;
  }
  if (raw.range !== undefined) spec.range = bounds(raw.range, `${here} range`);
  if (raw.repetition !== undefined) spec.repetition = bounds(raw.repetition, `${here} repetition`);
  const os = supportedOs(raw.supportedOS, here);
  if (os) spec.os = os;
  if (options.assetTypes && raw.assettypes !== undefined) {
    if (!Array.isArray(raw.assettypes) || !raw.assettypes.every((v) => typeof v === 'string')) fail(here, 'assettypes is not a list of strings');
    spec.assetTypes = raw.assettypes;
  }
  if (raw.subkeys !== undefined) {
    if (!Array.isArray(raw.subkeys)) fail(here, 'subkeys is not a list');
    let subkeys = raw.subkeys.map((sub, i) => keySpec(sub, `${here}.subkeys[${i}]`, options));
    // Apple writes a free-form map (ConsentText: language code -> text) as a dictionary holding
    // one `<Key>Item` dictionary; devices read the map itself, so describe the inner one.
    const only = subkeys[0];
    if (type === 'dictionary' && subkeys.length === 1 && only?.type === 'dictionary' && only.key === `${raw.key}Item` && !only.os) {
      subkeys = only.subkeys ?? [];
    }
    spec.subkeys = subkeys;
  }
  return spec;
}

function payloadOf(file: SchemaDocument): [string, AppleSchemas['payloads'][string]] {
  const doc = file.document;
  if (!isObject(doc) || !isObject(doc.payload) || typeof doc.payload.payloadtype !== 'string')
    fail(file.name, 'not a profile schema (payload.payloadtype missing)');
  if (!Array.isArray(doc.payloadkeys)) fail(file.name, 'payloadkeys is not a list');
  const type = doc.payload.payloadtype;
  return [
    type,
    { os: supportedOs(doc.payload.supportedOS, file.name) ?? {}, keys: doc.payloadkeys.map((raw, i) => keySpec(raw, `${file.name} payloadkeys[${i}]`)) },
  ];
}

/** The compact schema facts for every given profile schema document, in a stable order. */
export function compileAppleSchemas(files: readonly SchemaDocument[], provenance: SchemaProvenance): AppleSchemas {
  const payloads: AppleSchemas['payloads'] = {};
  for (const [type, payload] of files.map(payloadOf).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (payloads[type]) throw new Error(`payload type ${type} is defined twice`);
    payloads[type] = payload;
  }
  for (const needed of ['TopLevel', 'CommonPayloadKeys']) if (!payloads[needed]) throw new Error(`${needed}.yaml is missing`);
  const revision = provenance.sourceText.trim().split(/\r?\n/)[0] ?? '';
  const copyright = provenance.licenseText.trim().split(/\r?\n/)[0] ?? '';
  return {
    format: 1,
    source: {
      repository: APPLE_SCHEMA_REPOSITORY,
      revision,
      license: 'MIT',
      notice: `${copyright} Compiled from Apple's mdm/profiles YAML; the full licence text is in NOTICE.`,
    },
    payloads,
  };
}

/** The JSON text committed as apple-schema.data.json: one line per top-level payload key, for readable diffs. */
export function serializeAppleSchemas(schemas: AppleSchemas): string {
  const payloads = Object.entries(schemas.payloads).map(
    ([type, payload]) =>
      `  ${JSON.stringify(type)}: {\n   "os": ${JSON.stringify(payload.os)},\n   "keys": [\n${payload.keys.map((key) => `    ${JSON.stringify(key)}`).join(',\n')}\n   ]\n  }`,
  );
  return `{\n "format": ${schemas.format},\n "source": ${JSON.stringify(schemas.source)},\n "payloads": {\n${payloads.join(',\n')}\n }\n}\n`;
}
