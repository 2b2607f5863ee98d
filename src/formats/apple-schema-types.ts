// Apple device-management YAML schema format (docs/schema.md): the compact facts mailsetup keeps
// of it, shared by the compiler (build time) and the validator (run time).

export const APPLE_OSES = ['iOS', 'macOS'] as const;
export type AppleOs = (typeof APPLE_OSES)[number];

/** The YAML `type` values without their angle brackets. */
export const VALUE_TYPES = ['string', 'integer', 'real', 'boolean', 'date', 'data', 'array', 'dictionary', 'any'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

/** What one OS entry of `supportedOS` says; `introduced: 'n/a'` means not supported. */
export interface OsSupport {
  introduced?: string;
  removed?: string;
}
export type SupportedOs = Partial<Record<AppleOs, OsSupport>>;

export interface KeySpec {
  /** `ANY` stands for every key name (free-form dictionaries). */
  key: string;
  type: ValueType;
  required?: true;
  rangelist?: Array<string | number | boolean>;
  /** A regular expression the string value must match. */
  format?: string;
  range?: { min?: number; max?: number };
  repetition?: { min?: number; max?: number };
  /** Only what the key itself overrides; the rest is inherited from the payload or parent key. */
  os?: SupportedOs;
  /** Declarations only: the asset types an asset reference (an Identifier string) may point at. */
  assetTypes?: string[];
  /** Dictionary: its keys. Array: one entry describing every item. */
  subkeys?: KeySpec[];
}

export interface PayloadSpec {
  os: SupportedOs;
  keys: KeySpec[];
}

export interface AppleSchemas {
  format: 1;
  source: { repository: string; revision: string; license: string; notice: string };
  /** Keyed by payload type, plus `TopLevel` and `CommonPayloadKeys`. */
  payloads: Record<string, PayloadSpec>;
}

/** What the declarative validator keeps of Apple's declarative/declarations YAML. */
export interface DeclarativeSchemas {
  format: 1;
  source: AppleSchemas['source'];
  /** declarationbase.yaml: Type, Identifier, ServerToken, Payload. */
  base: PayloadSpec;
  /** Keyed by declaration type (`com.apple.configuration.account.mail`, …): the Payload's keys. */
  declarations: Record<string, PayloadSpec>;
}
