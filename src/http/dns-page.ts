// The DNS records page for administrators: what the zone snippet says, as rows a person reads.
import { MAIL_SERVICES, type DnsRecord } from '../formats/dns-zone.js';
import type { Translate } from '../i18n.js';
import type { DnsSnippet } from '../service/dns.js';

export interface DnsRecordRow {
  name: string;
  type: string;
  target: string;
  port: string;
  purpose: string;
  notOffered: boolean;
}

/** The locale key that says what a record is for: `web.dns.purpose.imaps`, `…autodiscover-srv`, … */
function purposeKey(record: DnsRecord): string {
  if (record.type === 'CNAME') return `web.dns.purpose.${record.purpose}`;
  if (record.purpose === '_autodiscover._tcp') return 'web.dns.purpose.autodiscover-srv';
  const service = MAIL_SERVICES.find((s) => s.label === record.purpose);
  return `web.dns.purpose.${service ? service.label.slice(1, service.label.indexOf('.')) : 'other'}`;
}

export function dnsRecordRows(records: readonly DnsRecord[], domain: string, t: Translate): DnsRecordRow[] {
  return records.map((record) => {
    const notOffered = record.target === '.';
    return {
      name: record.name,
      type: record.type,
      target: notOffered ? t('web.dns.notOffered') : record.target,
      port: record.port === undefined || notOffered ? '' : `${record.port} (${t('web.dns.priority')} ${record.priority})`,
      purpose: t(purposeKey(record), { domain }),
      notOffered,
    };
  });
}

/** Everything the dns-records template shows for one domain. */
export function dnsResultView(snippet: DnsSnippet, t: Translate, plainHref: string) {
  return {
    domain: snippet.domain,
    serviceHost: snippet.serviceHost,
    providerName: snippet.provider.name,
    zone: snippet.zone,
    rows: dnsRecordRows(snippet.records, snippet.domain, t),
    plainHref,
    jsonHref: `${plainHref}${plainHref.includes('?') ? '&' : '?'}format=json`,
  };
}
