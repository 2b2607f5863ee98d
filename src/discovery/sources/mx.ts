// MX records say who receives a domain's mail, and usually who hosts its mailboxes: an MX host
// inside a catalog provider's domains or beside its servers (mx1.rackcorp.com → RackCorp) names
// that provider; otherwise the MX host's own domain may publish autoconfig (as Thunderbird asks).
import type { Provider, ProviderVariant } from '../../model/provider.js';
import type { ProviderCatalog } from '../../providers/catalog.js';
import { variantOf } from '../../providers/catalog.js';
import { autoconfigUrls, fetchAutoconfig } from './autoconfig.js';
import { outcomeOf, type Step, type StepContext } from './context.js';

// Second-level labels under which registrations sit one level deeper (example.co.uk): a crude
// stand-in for the public suffix list, enough to never match a whole "co.uk".
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'ne', 'or', 'go', 'mil', 'nic']);

/** The domain an organisation registered: `mx1.mail.example.co.uk` → `example.co.uk`. */
export function registeredDomain(host: string): string {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  const keep = labels.length >= 3 && labels.at(-1)!.length === 2 && SECOND_LEVEL.has(labels.at(-2)!) ? 3 : 2;
  return labels.slice(-keep).join('.');
}

/** `a.b.example.org` → `a.b.example.org`, `b.example.org`, `example.org` (never shorter than the registered domain). */
function suffixes(host: string): string[] {
  const floor = registeredDomain(host).split('.').length;
  const labels = host.toLowerCase().split('.');
  const found: string[] = [];
  for (let i = 0; labels.length - i >= floor; i++) found.push(labels.slice(i).join('.'));
  return found;
}

interface Indexed {
  provider: Provider;
  variant: ProviderVariant | undefined;
}

const indexes = new WeakMap<ProviderCatalog, Map<string, Indexed>>();

/** Provider domains, and the domains their servers sit in (mail.us.rackcorp.com → us.rackcorp.com, rackcorp.com). */
function indexOf(catalog: ProviderCatalog): Map<string, Indexed> {
  const known = indexes.get(catalog);
  if (known) return known;
  const index = new Map<string, Indexed>();
  for (const provider of catalog.list()) {
    for (const domain of provider.domains) if (!index.has(domain)) index.set(domain, { provider, variant: undefined });
    for (const variant of provider.variants) {
      const hosts = [...variant.servers.map((s) => s.host), ...(variant.exchange ? [variant.exchange.host] : [])];
      for (const host of hosts) {
        // The host's parent first: it tells the variant (us.rackcorp.com); the registered domain only the provider.
        const [, ...parents] = suffixes(host);
        parents.forEach((parent, i) => {
          if (!index.has(parent)) index.set(parent, { provider, variant: i === 0 ? variant : undefined });
        });
      }
    }
  }
  indexes.set(catalog, index);
  return index;
}

export interface MxMatch {
  provider: Provider;
  variant: ProviderVariant;
  mxHost: string;
  /** The catalog domain the MX host matched. */
  matched: string;
}

/** The catalog provider the MX hosts (in preference order) point at, most specific match first. */
export function providerForMx(catalog: ProviderCatalog, mxHosts: readonly string[], domain: string): MxMatch | undefined {
  const index = indexOf(catalog);
  for (const mxHost of mxHosts) {
    for (const suffix of suffixes(mxHost)) {
      const hit = index.get(suffix);
      if (hit) return { provider: hit.provider, variant: hit.variant ?? variantOf(hit.provider, undefined, domain), mxHost, matched: suffix };
    }
  }
  return undefined;
}

async function mxHosts(context: StepContext, source: 'mx-provider' | 'mx-autoconfig'): Promise<string[] | undefined> {
  try {
    const records = await context.mx();
    const hosts = [...records]
      .sort((a, b) => a.priority - b.priority)
      .map((r) => r.exchange.toLowerCase().replace(/\.$/, ''))
      .filter(Boolean);
    if (hosts.length === 0) context.attempt({ source, target: `MX ${context.email.asciiDomain}`, outcome: 'nothing', detail: 'no MX records' });
    return hosts.length > 0 ? hosts : undefined;
  } catch (error) {
    context.attempt({ source, target: `MX ${context.email.asciiDomain}`, ...outcomeOf(error) });
    return undefined;
  }
}

export const mxProviderStep: Step = {
  source: 'mx-provider',
  async run(context) {
    const hosts = await mxHosts(context, 'mx-provider');
    if (!hosts) return undefined;
    const match = providerForMx(context.catalog, hosts, context.email.asciiDomain);
    const target = `MX ${context.email.asciiDomain}: ${hosts.join(', ')}`;
    if (!match) {
      context.attempt({ source: 'mx-provider', target, outcome: 'nothing', detail: 'no catalog provider has these hosts' });
      return undefined;
    }
    const { provider, variant, mxHost } = match;
    context.attempt({ source: 'mx-provider', target, outcome: 'found', detail: `${mxHost} belongs to ${provider.name} (${match.matched})` });
    return {
      fromCatalog: true,
      provider: { id: provider.id, name: provider.name, variant: variant.id },
      servers: variant.servers
        .filter((s) => !s.insecure)
        .map((s) => ({
          protocol: s.protocol,
          host: s.host,
          port: s.port,
          socket: s.socket,
          auth: s.auth,
          login: s.login ?? provider.login,
          source: 'mx-provider' as const,
          origin: `MX ${mxHost} → ${provider.name}`,
        })),
      exchange: variant.exchange
        ? { host: variant.exchange.host, ewsUrl: undefined, source: 'mx-provider', origin: `MX ${mxHost} → ${provider.name}` }
        : undefined,
    };
  },
};

export const mxAutoconfigStep: Step = {
  source: 'mx-autoconfig',
  async run(context) {
    const hosts = await mxHosts(context, 'mx-autoconfig');
    if (!hosts) return undefined;
    const domains = [...new Set(hosts.map(registeredDomain))].filter((d) => d !== context.email.asciiDomain);
    if (domains.length === 0) {
      context.attempt({ source: 'mx-autoconfig', target: `MX ${hosts.join(', ')}`, outcome: 'skipped', detail: 'the MX hosts are in the domain itself' });
      return undefined;
    }
    // Only the main MX's domain, over https: a mail host's autoconfig (Thunderbird asks the same).
    const [first] = domains;
    return fetchAutoconfig(context, [autoconfigUrls(first!, context.email, 'https')[0]!], 'mx-autoconfig');
  },
};
