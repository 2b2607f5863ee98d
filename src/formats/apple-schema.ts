// Apple device-management profile schema (apple/device-management, mdm/profiles/*.yaml, docs/schema.md):
// checks a built profile against the compiled facts in apple-schema.data.json.
import data from './apple-schema.data.json' with { type: 'json' };
import type { AppleOs, AppleSchemas, KeySpec, OsSupport, ValueType } from './apple-schema-types.js';

export * from './apple-schema-types.js';

export interface Problem {
  /** Where in the profile, e.g. `PayloadContent[0].IncomingMailServerPortNumber`; `` for the profile. */
  path: string;
  rule:
    | 'profile'
    | 'required'
    | 'type'
    | 'allowed-values'
    | 'format'
    | 'range'
    | 'repetition'
    | 'unknown-key'
    | 'unsupported-os'
    | 'unknown-payload-type'
    | 'unique'
    | 'reference'
    | 'length';
  message: string;
}

/**
 * A real number read from XML: plist.build writes a whole JavaScript number as `<integer>`, so a
 * parsed `<real>3600</real>` must keep its tag to be told apart from `<integer>3600</integer>`.
 */
export class PlistReal {
  constructor(readonly value: number) {}
}

let loaded: AppleSchemas | undefined;

/** The compiled schemas shipped with mailsetup (regenerate with `npm run apple-schemas`). */
export function loadAppleSchemas(): AppleSchemas {
  if (!loaded) {
    const candidate = data as unknown as AppleSchemas;
    if (candidate.format !== 1 || !candidate.payloads.TopLevel || !candidate.payloads.CommonPayloadKeys) {
      throw new Error('apple-schema.data.json is not a format 1 schema file; regenerate it with npm run apple-schemas');
    }
    loaded = candidate;
  }
  return loaded;
}

type PlistType = Exclude<ValueType, 'any'>;

function isDictionary(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The plist type a value is written as, or undefined when it is no property list value at all. */
export function plistTypeOf(value: unknown): PlistType | undefined {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return 'integer';
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      return Number.isInteger(value) ? 'integer' : 'real';
  }
  if (value instanceof PlistReal) return Number.isFinite(value.value) ? 'real' : undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : 'date';
  if (value instanceof Uint8Array) return 'data';
  if (Array.isArray(value)) return 'array';
  if (isDictionary(value)) return 'dictionary';
  return undefined;
}

function scalarOf(value: unknown): unknown {
  if (value instanceof PlistReal) return value.value;
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** A value as a message shows it: strings quoted, numbers and booleans as written, else the type. */
function show(value: unknown): string {
  const type = plistTypeOf(value);
  if (type === 'string') return JSON.stringify(value);
  if (type === 'integer' || type === 'real' || type === 'boolean') return String(scalarOf(value));
  return type ?? (value === null ? 'null' : typeof value);
}

/** Whether one OS entry allows the key: introduced in some version and not removed. */
export function supports(support: OsSupport | undefined): boolean {
  return support?.introduced !== undefined && support.introduced !== 'n/a' && (support.removed === undefined || support.removed === 'n/a');
}

/** A key inherits the payload's (or parent key's) entry and overrides what it names. */
function inherit(parent: OsSupport | undefined, own: OsSupport | undefined): OsSupport | undefined {
  return own ? { ...parent, ...own } : parent;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Walks values against key specs, collecting problems; shared with the declarative validator. */
export class Walker {
  readonly problems: Problem[] = [];

  constructor(
    private readonly os: AppleOs,
    /** Needed only to check profile payloads by their PayloadType. */
    private readonly schemas?: AppleSchemas,
  ) {}

  report(path: string, rule: Problem['rule'], message: string): void {
    this.problems.push({ path, rule, message });
  }

  /** Checks one value; `support` is what the enclosing payload or key allows on this OS. */
  value(value: unknown, spec: KeySpec, path: string, parentSupport: OsSupport | undefined): void {
    const support = inherit(parentSupport, spec.os?.[this.os]);
    // Report only where support ends, not again for every key below it.
    if (supports(parentSupport) && !supports(support)) {
      this.report(path, 'unsupported-os', `${spec.key === 'ANY' ? path : spec.key} is not supported on ${this.os}`);
    }
    const actual = plistTypeOf(value);
    if (actual === undefined) {
      this.report(path, 'type', `${show(value)} is not a property list value`);
      return;
    }
    if (spec.type !== 'any' && actual !== spec.type) {
      const hint = spec.type === 'real' && actual === 'integer' ? ' (a whole number is written as <integer>; Apple wants <real>)' : '';
      this.report(path, 'type', `must be ${spec.type}, not ${actual}${hint}`);
      return;
    }
    if (spec.type === 'any') {
      this.anyValue(value, path);
      return;
    }
    const scalar = scalarOf(value);
    if (spec.rangelist && !spec.rangelist.includes(scalar as string | number | boolean)) {
      this.report(path, 'allowed-values', `${show(value)} is not one of ${spec.rangelist.join(', ')}`);
    }
    if (spec.format !== undefined && typeof value === 'string' && !new RegExp(spec.format, 'u').test(value)) {
      this.report(path, 'format', `${show(value)} does not match ${spec.format}`);
    }
    if (spec.range && typeof scalar === 'number') {
      const { min, max } = spec.range;
      if ((min !== undefined && scalar < min) || (max !== undefined && scalar > max)) {
        this.report(path, 'range', `${scalar} is outside ${min ?? '-∞'}..${max ?? '∞'}`);
      }
    }
    if (actual === 'dictionary') this.dictionary(value as Record<string, unknown>, spec.subkeys, path, support);
    if (actual === 'array') this.array(value as unknown[], spec, path, support);
  }

  /** `<any>`: no expectation beyond being a property list all the way down. */
  private anyValue(value: unknown, path: string): void {
    if (Array.isArray(value)) value.forEach((item, i) => this.anyItem(item, `${path}[${i}]`));
    else if (isDictionary(value)) for (const [key, item] of Object.entries(value)) this.anyItem(item, join(path, key));
  }

  private anyItem(value: unknown, path: string): void {
    if (plistTypeOf(value) === undefined) this.report(path, 'type', `${show(value)} is not a property list value`);
    else this.anyValue(value, path);
  }

  private array(items: unknown[], spec: KeySpec, path: string, support: OsSupport | undefined): void {
    const { min, max } = spec.repetition ?? {};
    if ((min !== undefined && items.length < min) || (max !== undefined && items.length > max)) {
      this.report(path, 'repetition', `has ${items.length} items; Apple allows ${min ?? 0}..${max ?? '∞'}`);
    }
    const itemSpec = spec.subkeys?.[0];
    if (!itemSpec) return;
    items.forEach((item, i) => this.value(item, itemSpec, `${path}[${i}]`, support));
  }

  dictionary(dict: Record<string, unknown>, keys: KeySpec[] | undefined, path: string, support: OsSupport | undefined): void {
    // A dictionary the schema does not describe holds whatever its owner wants.
    if (!keys || keys.length === 0) {
      this.anyValue(dict, path);
      return;
    }
    const wildcard = keys.find((k) => k.key === 'ANY');
    const byName = new Map(keys.filter((k) => k.key !== 'ANY').map((k) => [k.key, k]));
    for (const spec of byName.values()) {
      if (spec.required && !Object.hasOwn(dict, spec.key)) this.report(join(path, spec.key), 'required', `${spec.key} is required`);
    }
    if (wildcard?.required && Object.keys(dict).length === 0) this.report(path, 'required', 'must have at least one entry');
    for (const [key, value] of Object.entries(dict)) {
      const spec = byName.get(key) ?? wildcard;
      if (!spec) {
        // Keys are case-sensitive on the device: a near miss is silently ignored there.
        const near = [...byName.keys()].find((name) => name.toLowerCase() === key.toLowerCase());
        this.report(join(path, key), 'unknown-key', `${key} is not a key Apple defines here${near ? ` (did you mean ${near}?)` : ''}`);
      } else this.value(value, spec, join(path, key), support);
    }
  }

  /** One `PayloadContent` item, checked against the schema its `PayloadType` names. */
  payload(item: unknown, path: string, parentSupport: OsSupport | undefined): void {
    if (!isDictionary(item)) {
      this.report(path, 'type', `a payload is a dictionary, not ${plistTypeOf(item) ?? typeof item}`);
      return;
    }
    const type = item.PayloadType;
    const payloads = this.schemas!.payloads;
    const common = payloads.CommonPayloadKeys!;
    const spec = typeof type === 'string' && type !== 'TopLevel' && type !== 'CommonPayloadKeys' ? payloads[type] : undefined;
    if (!spec) {
      if (typeof type === 'string') this.report(join(path, 'PayloadType'), 'unknown-payload-type', `${type} is not a payload type this checker knows`);
      // Still check what every payload must carry.
      this.dictionary(item, common.keys.concat({ key: 'ANY', type: 'any' }), path, common.os[this.os]);
      return;
    }
    const support = spec.os[this.os];
    if (supports(parentSupport) && !supports(support)) this.report(path, 'unsupported-os', `${String(type)} payloads are not supported on ${this.os}`);
    const own = new Set(spec.keys.map((k) => k.key));
    this.dictionary(item, [...common.keys.filter((k) => !own.has(k.key)), ...spec.keys], path, support);
  }
}

/**
 * Checks a profile (a plist object as built, or as read by `readPlistXml`) against Apple's schemas
 * for one OS. Whole JavaScript numbers count as `<integer>`, as plist.build writes them.
 */
export function validateProfile(profile: unknown, os: AppleOs, schemas: AppleSchemas = loadAppleSchemas()): Problem[] {
  const walker = new Walker(os, schemas);
  if (!isDictionary(profile)) {
    walker.report('', 'profile', 'a configuration profile is a dictionary');
    return walker.problems;
  }
  const top = schemas.payloads.TopLevel!;
  const topSupport = top.os[os];
  // PayloadContent items are checked below, each by its own PayloadType, not as `<any>`.
  // Apple: "If IsEncrypted is true, this array isn't needed."
  const keys = top.keys.map((spec): KeySpec => {
    if (spec.key !== 'PayloadContent') return spec;
    const { subkeys: _items, required, ...rest } = spec;
    return required && profile.IsEncrypted !== true ? { ...rest, required } : rest;
  });
  walker.dictionary(profile, keys, '', topSupport);
  const content = profile.PayloadContent;
  if (Array.isArray(content)) content.forEach((item, i) => walker.payload(item, `PayloadContent[${i}]`, topSupport));

  // Identifiers decide replace-versus-add, so none may repeat within the profile (UUIDs in any case).
  for (const key of ['PayloadIdentifier', 'PayloadUUID'] as const) {
    const fold = (value: string) => (key === 'PayloadUUID' ? value.toUpperCase() : value);
    const seen = new Map<string, string>();
    const entries: Array<[string, unknown]> = [[key, profile[key]]];
    if (Array.isArray(content)) content.forEach((item, i) => isDictionary(item) && entries.push([`PayloadContent[${i}].${key}`, item[key]]));
    for (const [path, value] of entries) {
      if (typeof value !== 'string') continue;
      const first = seen.get(fold(value));
      if (first !== undefined) walker.report(path, 'unique', `${key} ${value} is already used at ${first}`);
      else seen.set(fold(value), path);
    }
  }
  return walker.problems;
}
