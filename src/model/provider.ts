// The provider catalog format: what an organisation writes in its provider files (YAML or JSON).
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { ruleParams } from '../error-rules.js';
import { authMethod, socketType, type ExchangeServer } from './account.js';
import type { TrustedCertificate } from './trust.js';
import { DEFAULTS } from './defaults.js';
import { hostName, httpsUrl, identifier, loginTemplate, port, principalPath, toAsciiHost, visibleText } from './rules.js';

export const LANGUAGES = ['en', 'ru', 'sv'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Text in one or several languages: a plain string, or `{ en: ..., ru: ..., sv: ... }`. */
export const localizedText = z.union([
  visibleText('a text', 2000),
  z.record(z.string().regex(/^[a-z]{2}(-[A-Za-z]{2})?$/, { error: 'language codes look like en, ru or sv' }), visibleText('a text', 2000)),
]);
export type LocalizedText = z.output<typeof localizedText>;

const domainName = z.string().transform((value, ctx) => {
  const ascii = toAsciiHost(value);
  if (!ascii || !ascii.includes('.')) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a domain name`, params: ruleParams('domain') });
    return z.NEVER;
  }
  return ascii;
});

export const providerServerSchema = z.strictObject({
  protocol: z.enum(['imap', 'pop3', 'smtp'], { error: 'protocol is imap, pop3 or smtp' }),
  host: hostName,
  port,
  socket: socketType,
  /** Preferred first; formats that take one method use the first they support. */
  auth: z.array(authMethod).min(1).default([DEFAULTS.auth]),
  /** Overrides the provider's login template for this server. */
  login: loginTemplate.optional(),
});
export type ProviderServer = z.output<typeof providerServerSchema> & { insecure: boolean };

export const exchangeSettingsSchema = z.strictObject({
  host: hostName,
  ssl: z.boolean().default(DEFAULTS.exchange.ssl),
  ewsPort: port.optional(),
  ewsPath: z
    .string()
    .regex(/^\/[\x21-\x7e]*$/)
    .optional(),
  owa: httpsUrl.optional(),
  login: loginTemplate.optional(),
  /**
   * Modern sign-in (OAuth) instead of a password: `true`, or the sign-in and token URLs when the
   * server's own discovery does not give them. A profile then carries OAuth keys and no password.
   */
  oauth: z
    .union([z.literal(true), z.strictObject({ signIn: httpsUrl.optional(), token: httpsUrl.optional() })])
    .transform((value) => (value === true ? {} : value))
    .optional(),
});
export type ExchangeSettings = z.output<typeof exchangeSettingsSchema>;

/** PEM certificates of the CA a provider's servers chain to, when that is not a public root. */
const caCertificates = z.string().transform((value, ctx) => {
  const blocks = value.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'ca holds PEM certificates (-----BEGIN CERTIFICATE-----)', params: ruleParams('pem-certificate') });
    return z.NEVER;
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'ca holds a certificate that cannot be read', params: ruleParams('pem-certificate') });
      return z.NEVER;
    }
  }
  return `${blocks.join('\n')}\n`;
});

/** A CalDAV or CardDAV server (RFC 4791, RFC 6352), as a provider file names it. */
export const davSettingsSchema = z.strictObject({
  host: hostName,
  port: port.default(443),
  ssl: z.boolean().default(true),
  /** The principal URL's path, e.g. `/SOGo/dav/%EMAILADDRESS%/`; placeholders as in logins. */
  principal: principalPath.optional(),
  /** Overrides the provider's login template for this server. */
  login: loginTemplate.optional(),
});
export type DavSettings = z.output<typeof davSettingsSchema>;

/**
 * Root or intermediate CA certificates devices must trust to reach the servers: each entry is a
 * PEM file (relative to the provider file) or PEM text. Checked when the catalog loads.
 */
export const trustSchema = z.array(z.string().min(1, { error: 'a trust entry is a PEM file name or PEM text' })).min(1);

const variantFields = {
  name: localizedText.optional(),
  /** Mail domains that pick this variant by default. */
  domains: z.array(domainName).default([]),
  servers: z.array(providerServerSchema).optional(),
  exchange: exchangeSettingsSchema.optional(),
  webmail: httpsUrl.optional(),
  caldav: davSettingsSchema.optional(),
  carddav: davSettingsSchema.optional(),
  trust: trustSchema.optional(),
};

export const providerVariantSchema = z.strictObject({ id: identifier, ...variantFields });

/** A note beside the settings, with a link to where the person acts on it. */
const providerNote = z.union([
  localizedText,
  z.strictObject({
    text: localizedText,
    url: httpsUrl.optional(),
    /** The link's words; a generic "how to do it" when left out. */
    link: localizedText.optional(),
  }),
]);

export const providerFileEntrySchema = z.strictObject({
  id: identifier,
  name: visibleText('the provider name', 120),
  /** The name in languages that have their own, e.g. `ru: Яндекс Почта`; pages show it, files keep `name`. */
  localNames: z.partialRecord(z.enum(LANGUAGES, { error: `language codes are ${LANGUAGES.join(', ')}` }), visibleText('the provider name', 120)).default({}),
  shortName: visibleText('the short name', 40).optional(),
  /** Mail domains served; lookups compare them case-insensitively in punycode. */
  domains: z.array(domainName).default([]),
  /** Hosts customers' own domains, so it works for any address when named explicitly. */
  anyDomain: z.boolean().default(false),
  login: loginTemplate.default(DEFAULTS.login),
  servers: z.array(providerServerSchema).default([]),
  exchange: exchangeSettingsSchema.optional(),
  webmail: httpsUrl.optional(),
  caldav: davSettingsSchema.optional(),
  carddav: davSettingsSchema.optional(),
  trust: trustSchema.optional(),
  variants: z.array(providerVariantSchema).default([]),
  documentation: z.array(z.strictObject({ url: httpsUrl, description: localizedText })).default([]),
  /** A step the user must take before any client can connect (e.g. enable IMAP). */
  enable: z.strictObject({ url: httpsUrl, instruction: localizedText }).optional(),
  notes: z.array(providerNote).default([]),
  /** Mail programs need an app password, not the account's own: the steps say so and link here. */
  appPassword: z.strictObject({ url: httpsUrl }).optional(),
  /** The CA the provider's servers' certificates chain to, trusted when checking them (besides Node's roots). */
  ca: caCertificates.optional(),
});
export type ProviderFileEntry = z.output<typeof providerFileEntrySchema>;

export const providerListFileSchema = z.strictObject({ providers: z.array(providerFileEntrySchema) });

/** A provider file holds one provider or a list under `providers`. */
export const providerFileSchema = z.union([providerListFileSchema, providerFileEntrySchema]);

export interface ProviderVariant {
  id: string;
  name: LocalizedText | undefined;
  domains: string[];
  /** In the provider's preference order. */
  servers: ProviderServer[];
  exchange: ExchangeSettings | undefined;
  webmail: string | undefined;
  caldav: DavSettings | undefined;
  carddav: DavSettings | undefined;
  /** Parsed and checked at load; empty when the servers' certificates chain to public roots. */
  trust: TrustedCertificate[];
}

export interface ProviderNote {
  text: LocalizedText;
  url?: string | undefined;
  link?: LocalizedText | undefined;
}

/** A provider as loaded: every variant complete, inheriting what it does not override. */
export interface Provider {
  id: string;
  name: string;
  /** The name in languages that have their own (see providerName). */
  localNames?: Partial<Record<Language, string>> | undefined;
  shortName: string;
  domains: string[];
  anyDomain: boolean;
  login: string;
  variants: ProviderVariant[];
  documentation: { url: string; description: LocalizedText }[];
  enable: { url: string; instruction: LocalizedText } | undefined;
  notes: ProviderNote[];
  /** Mail programs need an app password, created at this URL. */
  appPassword?: { url: string } | undefined;
  /** PEM certificates of the CA its servers chain to, when not a public one. */
  ca?: string | undefined;
  /** Where it was loaded from, for messages. */
  source: string;
}

export function localize(text: LocalizedText | undefined, language: string, fallback = ''): string {
  if (text === undefined) return fallback;
  if (typeof text === 'string') return text;
  return text[language] ?? text.en ?? Object.values(text)[0] ?? fallback;
}

/** The provider's name as people reading this language know it. */
export function providerName(provider: Pick<Provider, 'name' | 'localNames'>, language: Language): string {
  return provider.localNames?.[language] ?? provider.name;
}

/** A catalog's Exchange settings as the server they describe, EWS port and path defaulted. */
export function exchangeEndpoint(settings: ExchangeSettings): Pick<ExchangeServer, 'host' | 'ssl' | 'port' | 'path'> {
  return { host: settings.host, ssl: settings.ssl, port: settings.ewsPort ?? DEFAULTS.exchange.ewsPort, path: settings.ewsPath ?? DEFAULTS.exchange.ewsPath };
}
