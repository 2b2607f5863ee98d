// The provider catalog: bundled providers plus the organisation's own files, looked up by id or
// by email domain (case-insensitive, internationalised domains compared in punycode).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { MailsetupError } from '../errors.js';
import {
  providerFileEntrySchema,
  providerListFileSchema,
  type Provider,
  type ProviderFileEntry,
  type ProviderServer,
  type ProviderVariant,
} from '../model/provider.js';
import { issuesOf, errorFromIssues } from '../model/validate.js';
import { toAsciiHost } from '../model/rules.js';
import { loadTrust } from './trust.js';

export const BUNDLED_PROVIDERS_DIR = fileURLToPath(new URL('../../providers', import.meta.url));
const PROVIDER_FILE = /\.(ya?ml|json)$/i;

export interface NormalizeOptions {
  /** Folder that certificate file names under `trust` are relative to (default: the source file's). */
  baseDir?: string;
  /** The clock certificates are checked against. */
  now?: Date;
}

/** Completes one file entry: variants inherit provider-level servers, exchange, webmail, CalDAV/CardDAV and trust. */
export function normalizeProvider(entry: ProviderFileEntry, source: string, options: NormalizeOptions = {}): Provider {
  const withFlags = (servers: ProviderFileEntry['servers']): ProviderServer[] => servers.map((server) => ({ ...server, insecure: server.socket === 'plain' }));
  const declared: ProviderFileEntry['variants'] = entry.variants.length > 0 ? entry.variants : [{ id: 'default', name: undefined, domains: [] }];
  const trustOf = (entries: string[] | undefined, field: string) =>
    entries ? loadTrust(entries, { source, baseDir: options.baseDir ?? dirname(source), field, now: options.now ?? new Date() }) : [];
  const providerTrust = trustOf(entry.trust, `${entry.id}.trust`);
  const variants: ProviderVariant[] = declared.map((variant, index) => ({
    id: variant.id,
    name: variant.name,
    domains: variant.domains,
    servers: withFlags(variant.servers ?? entry.servers),
    exchange: variant.exchange ?? entry.exchange,
    webmail: variant.webmail ?? entry.webmail,
    caldav: variant.caldav ?? entry.caldav,
    carddav: variant.carddav ?? entry.carddav,
    trust: variant.trust ? trustOf(variant.trust, `${entry.id}.variants[${index}].trust`) : providerTrust,
  }));
  for (const variant of variants) {
    if (variant.servers.length === 0 && !variant.exchange) {
      throw new MailsetupError('CATALOG_INVALID', `${source}: provider "${entry.id}" variant "${variant.id}" has no servers and no Exchange server`, {
        field: `${entry.id}.servers`,
        rule: 'required',
      });
    }
  }
  const ids = new Set<string>();
  for (const variant of variants) {
    if (ids.has(variant.id)) {
      throw new MailsetupError('CATALOG_INVALID', `${source}: provider "${entry.id}" has two variants named "${variant.id}"`, {
        field: `${entry.id}.variants`,
        rule: 'unique',
      });
    }
    ids.add(variant.id);
  }
  return {
    id: entry.id,
    name: entry.name,
    localNames: entry.localNames,
    shortName: entry.shortName ?? entry.name,
    domains: entry.domains,
    anyDomain: entry.anyDomain,
    login: entry.login,
    variants,
    documentation: entry.documentation,
    enable: entry.enable,
    notes: entry.notes.map((note) => (typeof note === 'object' && 'text' in note ? { text: note.text, url: note.url, link: note.link } : { text: note })),
    appPassword: entry.appPassword,
    ...(entry.ca ? { ca: entry.ca } : {}),
    source,
  };
}

/** Parses the text of one provider file (YAML or JSON) into complete providers. */
export function parseProviderFile(text: string, source: string, options: NormalizeOptions = {}): Provider[] {
  let data: unknown;
  try {
    data = source.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new MailsetupError('CATALOG_INVALID', `not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`, {
      field: source,
      rule: 'syntax',
    });
  }
  // Parsed with the one schema the file's shape asks for: a union would report a failed entry
  // as "invalid input" on the whole file instead of naming the field and its rule.
  const isList = typeof data === 'object' && data !== null && 'providers' in data;
  const result = (isList ? providerListFileSchema : providerFileEntrySchema).safeParse(data);
  if (!result.success) {
    const issues = issuesOf(result.error).map((issue) => ({ ...issue, message: `${source}: ${issue.message}` }));
    throw errorFromIssues(issues, 'CATALOG_INVALID');
  }
  const entries = 'providers' in result.data ? result.data.providers : [result.data];
  return entries.map((entry) => normalizeProvider(entry, source, options));
}

function providerFilesIn(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new MailsetupError('IO', `provider path ${path} does not exist`, { field: 'providers', rule: 'exists' });
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => PROVIDER_FILE.test(name))
    .sort()
    .map((name) => join(path, name));
}

export interface CatalogOptions {
  /** Files or folders added after the bundled providers; a provider with the same id replaces the earlier one. */
  paths?: readonly string[];
  /** Leave out the providers shipped with mailsetup. */
  withoutBundled?: boolean;
  /** Provider used for addresses whose domain no provider lists. */
  defaultProvider?: string | undefined;
  /** The clock trusted certificates are checked against (default: now). */
  now?: Date;
}

export class ProviderCatalog {
  private readonly byId = new Map<string, Provider>();
  private readonly byDomain = new Map<string, Provider>();
  readonly defaultProviderId: string | undefined;

  constructor(providers: readonly Provider[], defaultProvider?: string) {
    for (const provider of providers) this.byId.set(provider.id, provider);
    for (const provider of this.byId.values()) {
      for (const domain of provider.domains) this.byDomain.set(domain, provider);
    }
    if (defaultProvider !== undefined && defaultProvider !== '' && !this.byId.has(defaultProvider)) {
      throw new MailsetupError('CONFIG_INVALID', `default provider "${defaultProvider}" is not in the catalog (known: ${[...this.byId.keys()].join(', ')})`, {
        field: 'MAILSETUP_DEFAULT_PROVIDER',
        rule: 'known-provider',
      });
    }
    this.defaultProviderId = defaultProvider || undefined;
  }

  static load(options: CatalogOptions = {}): ProviderCatalog {
    const files = [
      ...(options.withoutBundled ? [] : providerFilesIn(BUNDLED_PROVIDERS_DIR)),
      ...(options.paths ?? []).flatMap((p) => providerFilesIn(resolve(p))),
    ];
    const providers = files.flatMap((file) => parseProviderFile(readFileSync(file, 'utf8'), file, options.now ? { now: options.now } : {}));
    return new ProviderCatalog(providers, options.defaultProvider);
  }

  list(): Provider[] {
    return [...this.byId.values()];
  }

  get(id: string): Provider {
    const provider = this.byId.get(id.trim().toLowerCase());
    if (!provider) {
      throw new MailsetupError('UNKNOWN_PROVIDER', `no provider "${id}" (known: ${[...this.byId.keys()].join(', ')})`, {
        field: 'provider',
        rule: 'known-provider',
      });
    }
    return provider;
  }

  /** Every mail domain a provider lists, in punycode. */
  knownDomains(): IterableIterator<string> {
    return this.byDomain.keys();
  }

  /** The provider that lists this domain, or undefined. Does not fall back to the default. */
  findByDomain(domain: string): Provider | undefined {
    const ascii = toAsciiHost(domain);
    return ascii ? this.byDomain.get(ascii) : undefined;
  }

  /** The provider for an address's domain, else the configured default, else an UNKNOWN_DOMAIN error. */
  forDomain(domain: string): Provider {
    const provider = this.findByDomain(domain) ?? (this.defaultProviderId ? this.byId.get(this.defaultProviderId) : undefined);
    if (!provider) {
      throw new MailsetupError('UNKNOWN_DOMAIN', `no provider serves ${domain}; name one with provider, or enter the server settings by hand`, {
        field: 'email',
        rule: 'known-domain',
      });
    }
    return provider;
  }
}

export function variantOf(provider: Provider, variantId: string | undefined, domain?: string): ProviderVariant {
  if (variantId) {
    const variant = provider.variants.find((v) => v.id === variantId.trim().toLowerCase());
    if (!variant) {
      throw new MailsetupError('UNKNOWN_VARIANT', `${provider.name} has no variant "${variantId}" (choose ${provider.variants.map((v) => v.id).join(', ')})`, {
        field: 'variant',
        rule: 'known-variant',
      });
    }
    return variant;
  }
  const ascii = domain ? toAsciiHost(domain) : undefined;
  const variants = provider.variants;
  return (ascii ? variants.find((v) => v.domains.includes(ascii)) : undefined) ?? (variants[0] as ProviderVariant);
}
