// The DNS records an administrator publishes for one mail domain: one entry for the CLI and the web page.
import { MailsetupError } from '../errors.js';
import { dnsRecords, renderZoneSnippet, type DnsRecord } from '../formats/dns-zone.js';
import { translator } from '../i18n.js';
import type { Language, Provider, ProviderVariant } from '../model/provider.js';
import { toAsciiHost } from '../model/rules.js';
import { variantOf, type ProviderCatalog } from '../providers/catalog.js';
import { DEFAULTS } from '../model/defaults.js';

export interface DnsRequest {
  domain: string;
  /** The host this service answers on; without it, none can be pointed at. */
  serviceHost: string | undefined;
  provider?: string | undefined;
  variant?: string | undefined;
  language?: Language;
}

export interface DnsSnippet {
  domain: string;
  serviceHost: string;
  provider: Provider;
  variant: ProviderVariant;
  records: DnsRecord[];
  /** The zone-file snippet, comments in the asked language. */
  zone: string;
}

export function dnsSnippet(request: DnsRequest, catalog: ProviderCatalog): DnsSnippet {
  const domain = toAsciiHost(request.domain);
  if (!domain || !domain.includes('.') || !/[a-z]/.test(domain)) {
    throw new MailsetupError('INVALID_INPUT', `"${request.domain}" is not a mail domain`, { field: 'domain', rule: 'domain' });
  }
  if (!request.serviceHost) {
    throw new MailsetupError('INVALID_INPUT', 'name the host this service answers on (--service-host HOST or MAILSETUP_PUBLIC_HOST)', {
      field: 'service-host',
      rule: 'required',
    });
  }
  const provider = request.provider ? catalog.get(request.provider) : catalog.forDomain(domain);
  const variant = variantOf(provider, request.variant, domain);
  const records = dnsRecords({ domain, serviceHost: request.serviceHost, provider, variant });
  const serviceHost = records.find((r) => r.purpose === '_autodiscover._tcp')!.target.replace(/\.$/, '');
  const t = translator(request.language ?? DEFAULTS.language);
  const values = { domain, provider: provider.name, service: serviceHost };
  const zone = renderZoneSnippet(records, {
    header: t('dns.header', values),
    service: t('dns.service', values),
    incoming: t('dns.incoming', values),
    outgoing: t('dns.outgoing', values),
    notOffered: t('dns.notOffered', values),
  });
  return { domain, serviceHost, provider, variant, records, zone };
}
