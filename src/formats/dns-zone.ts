// DNS zone-file snippet (RFC 1035 master file; SRV per RFC 2782, mail services per RFC 6186 and RFC 8314) that lets clients find this service and a domain's mail servers.
//
// Decisions:
// - autoconfig.<domain> and autodiscover.<domain> are CNAMEs to this service; Outlook also gets
//   `_autodiscover._tcp` (SRV, port 443), used when autodiscover.<domain> cannot carry a certificate.
// - Mail SRV priorities follow the provider's preference order, incoming (IMAP and POP3
//   together, RFC 6186 §3.4 lets clients compare across services) and outgoing separately.
// - Unencrypted servers are never published. Each of the six services without a server gets
//   RFC 6186's "not offered" record (target "."), so clients stop looking instead of guessing.
import { MailsetupError } from '../errors.js';
import type { Provider, ProviderServer, ProviderVariant } from '../model/provider.js';
import { toAsciiHost } from '../model/rules.js';

export const DEFAULT_DNS_TTL = 3600;

export interface DnsRecord {
  /** Absolute owner name with the trailing dot. */
  name: string;
  ttl: number;
  type: 'CNAME' | 'SRV';
  /** CNAME target, or SRV target; absolute, "." for a service not offered. */
  target: string;
  /** SRV only. */
  priority?: number;
  weight?: number;
  port?: number;
  /** What the record is for, in short: `autoconfig`, `autodiscover`, or the SRV service label. */
  purpose: string;
}

export interface DnsZoneInput {
  domain: string;
  /** The host name this service answers on (its TLS certificate also covers autoconfig.<domain> and autodiscover.<domain>). */
  serviceHost: string;
  provider: Provider;
  variant: ProviderVariant;
  ttl?: number;
}

interface MailService {
  label: string;
  protocol: ProviderServer['protocol'];
  socket: ProviderServer['socket'];
  group: 'incoming' | 'outgoing';
}

/** RFC 6186 (`_imap`, `_imaps`, `_pop3`, `_pop3s`, `_submission`) and RFC 8314 (`_submissions`). */
export const MAIL_SERVICES: readonly MailService[] = [
  { label: '_imaps._tcp', protocol: 'imap', socket: 'SSL', group: 'incoming' },
  { label: '_imap._tcp', protocol: 'imap', socket: 'STARTTLS', group: 'incoming' },
  { label: '_pop3s._tcp', protocol: 'pop3', socket: 'SSL', group: 'incoming' },
  { label: '_pop3._tcp', protocol: 'pop3', socket: 'STARTTLS', group: 'incoming' },
  { label: '_submissions._tcp', protocol: 'smtp', socket: 'SSL', group: 'outgoing' },
  { label: '_submission._tcp', protocol: 'smtp', socket: 'STARTTLS', group: 'outgoing' },
];

/** Priorities step by 10 so an administrator can slot a server in between. */
const PRIORITY_STEP = 10;

function absolute(host: string): string {
  return `${host}.`;
}

function asciiName(value: string, field: string): string {
  const ascii = toAsciiHost(value);
  if (!ascii || !ascii.includes('.') || /^[\d.]+$/.test(ascii) || ascii.includes(':')) {
    throw new MailsetupError('INVALID_INPUT', `"${value}" is not a domain name`, { field, rule: 'domain' });
  }
  return ascii;
}

/** The records, in the order they are best read: the service first, then incoming, then outgoing. */
export function dnsRecords(input: DnsZoneInput): DnsRecord[] {
  const domain = asciiName(input.domain, 'domain');
  const serviceHost = asciiName(input.serviceHost, 'service-host');
  const ttl = input.ttl ?? DEFAULT_DNS_TTL;
  const records: DnsRecord[] = [];
  for (const purpose of ['autoconfig', 'autodiscover']) {
    const name = `${purpose}.${domain}`;
    // A CNAME from a name to itself would be a loop: the service already lives there.
    if (name !== serviceHost) records.push({ name: absolute(name), ttl, type: 'CNAME', target: absolute(serviceHost), purpose });
  }
  records.push({
    name: absolute(`_autodiscover._tcp.${domain}`),
    ttl,
    type: 'SRV',
    priority: 0,
    weight: 1,
    port: 443,
    target: absolute(serviceHost),
    purpose: '_autodiscover._tcp',
  });

  for (const group of ['incoming', 'outgoing'] as const) {
    const services = MAIL_SERVICES.filter((service) => service.group === group);
    const ranked = input.variant.servers.filter(
      (server) => !server.insecure && services.some((s) => s.protocol === server.protocol && s.socket === server.socket),
    );
    const seen = new Set<string>();
    const published = ranked.filter((server) => {
      const key = `${server.protocol}/${server.socket}/${server.host}/${server.port}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
    for (const service of services) {
      const servers = published.filter((server) => server.protocol === service.protocol && server.socket === service.socket);
      const name = absolute(`${service.label}.${domain}`);
      if (servers.length === 0) {
        records.push({ name, ttl, type: 'SRV', priority: 0, weight: 0, port: 0, target: '.', purpose: service.label });
        continue;
      }
      for (const server of servers) {
        const priority = PRIORITY_STEP * (published.indexOf(server) + 1);
        records.push({ name, ttl, type: 'SRV', priority, weight: 1, port: server.port, target: absolute(server.host), purpose: service.label });
      }
    }
  }
  return records;
}

/** Comment lines, already in the reader's language. */
export interface DnsZoneText {
  header: string;
  service: string;
  incoming: string;
  outgoing: string;
  notOffered: string;
}

/** Master-file lines, columns aligned; comments start with ";". */
export function renderZoneSnippet(records: readonly DnsRecord[], text: DnsZoneText): string {
  const width = Math.max(...records.map((record) => record.name.length));
  const line = (record: DnsRecord) => {
    const data = record.type === 'CNAME' ? record.target : `${record.priority} ${record.weight} ${record.port} ${record.target}`;
    const note = record.target === '.' ? `  ; ${text.notOffered}` : '';
    return `${record.name.padEnd(width)}  ${record.ttl}  IN  ${record.type.padEnd(5)}  ${data}${note}`;
  };
  const section = (title: string, chosen: DnsRecord[]) => (chosen.length === 0 ? [] : ['', `; ${title}`, ...chosen.map(line)]);
  const isService = (record: DnsRecord) => record.type === 'CNAME' || record.purpose === '_autodiscover._tcp';
  const groupOf = (record: DnsRecord) => MAIL_SERVICES.find((service) => service.label === record.purpose)?.group;
  const comment = (value: string) => value.split(/\r?\n/).map((part) => `; ${part}`);
  return [
    ...comment(text.header),
    ...section(text.service, records.filter(isService)),
    ...section(
      text.incoming,
      records.filter((r) => groupOf(r) === 'incoming'),
    ),
    ...section(
      text.outgoing,
      records.filter((r) => groupOf(r) === 'outgoing'),
    ),
    '',
  ].join('\n');
}
