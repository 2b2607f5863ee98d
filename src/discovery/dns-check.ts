// `mailsetup dns DOMAIN --check`: are the records this service asks a domain to publish really
// there? autoconfig.<domain> and autodiscover.<domain> must reach this service (the same
// addresses as the service host), the SRV records must name the servers and ports the catalog
// has, and the service's TLS certificate must cover every name clients will ask it under.
import type { DnsRecord } from '../formats/dns-zone.js';
import { certificateReport, describeProblems } from './certificate.js';
import type { DnsResolver } from './dns.js';
import { Dialogue } from './mail-dialogue.js';
import { deadline, NetFailure, type Network } from './network.js';

export interface RecordCheck {
  /** The record's name, without the trailing dot. */
  name: string;
  what: 'points-here' | 'srv' | 'certificate';
  ok: boolean;
  message: string;
}

const bare = (name: string) => name.replace(/\.$/, '');

async function addressesOf(dns: DnsResolver, host: string): Promise<string[]> {
  return (await dns.addresses(host)).map((r) => r.address);
}

async function pointsHere(dns: DnsResolver, record: DnsRecord, service: string[], serviceHost: string): Promise<RecordCheck> {
  const name = bare(record.name);
  const found = await addressesOf(dns, name).catch((error: Error) => error);
  if (found instanceof Error) return { name, what: 'points-here', ok: false, message: `${name}: ${found.message}` };
  if (found.length === 0) return { name, what: 'points-here', ok: false, message: `${name} is not in DNS (publish: ${name}. CNAME ${record.target})` };
  const shared = found.filter((a) => service.includes(a));
  return shared.length > 0
    ? { name, what: 'points-here', ok: true, message: `${name} reaches ${serviceHost} (${shared.join(', ')})` }
    : {
        name,
        what: 'points-here',
        ok: false,
        message: `${name} resolves to ${found.join(', ')}, not to ${serviceHost} (${service.join(', ') || 'no address'})`,
      };
}

async function srvMatches(dns: DnsResolver, expected: DnsRecord[]): Promise<RecordCheck> {
  const name = bare(expected[0]!.name);
  const found = await dns.srv(name).catch((error: Error) => error);
  if (found instanceof Error) return { name, what: 'srv', ok: false, message: `SRV ${name}: ${found.message}` };
  const want = expected.map((r) => (r.target === '.' ? '.' : `${bare(r.target)}:${r.port}`)).sort();
  const have = found.map((r) => (r.name === '' || r.name === '.' ? '.' : `${bare(r.name).toLowerCase()}:${r.port}`)).sort();
  const ok = want.length === have.length && want.every((w, i) => w === have[i]);
  if (ok) return { name, what: 'srv', ok, message: `SRV ${name}: ${have.join(', ')}` };
  return { name, what: 'srv', ok, message: `SRV ${name}: ${have.length ? have.join(', ') : 'missing'}; expected ${want.join(', ')}` };
}

/** Connects to the service once per name and checks the certificate it presents for that name. */
async function certificateCovers(network: Network, serviceHost: string, port: number, name: string, now: () => number): Promise<RecordCheck> {
  const what = `${serviceHost}:${port}`;
  const signal = deadline(network.signal, network.timeoutMs);
  try {
    const connection = await network.connect(serviceHost, port, signal);
    const dialogue = new Dialogue(connection.socket, { maxBytes: 64 * 1024, signal, what });
    try {
      const report = certificateReport(await dialogue.startTls({ servername: name, secureContext: network.trusted() }), name, now(), 30);
      return report.valid
        ? { name, what: 'certificate', ok: true, message: `${what} presents a valid certificate for ${name} (until ${report.validTo.slice(0, 10)})` }
        : { name, what: 'certificate', ok: false, message: `${what}: the certificate for ${name} is ${describeProblems(report, name)}` };
    } finally {
      dialogue.close();
    }
  } catch (error) {
    const message = error instanceof NetFailure ? error.message : (error as Error).message;
    return { name, what: 'certificate', ok: false, message: `${what} for ${name}: ${message}` };
  }
}

export async function checkDnsRecords(
  records: readonly DnsRecord[],
  serviceHost: string,
  deps: { dns: DnsResolver; network: Network; now: () => number; httpsPort: number },
): Promise<RecordCheck[]> {
  const service = await addressesOf(deps.dns, serviceHost).catch(() => [] as string[]);
  const named = records.filter((r) => r.type === 'CNAME');
  const srvGroups = new Map<string, DnsRecord[]>();
  for (const record of records.filter((r) => r.type === 'SRV')) srvGroups.set(record.name, [...(srvGroups.get(record.name) ?? []), record]);
  // The names clients reach this service under: its own, and the domain's autoconfig/autodiscover names.
  const tlsNames = [...new Set([serviceHost, ...named.map((r) => bare(r.name))])];
  const checks = await Promise.all([
    ...named.map((record) => pointsHere(deps.dns, record, service, serviceHost)),
    ...[...srvGroups.values()].map((group) => srvMatches(deps.dns, group)),
    ...tlsNames.map((name) => certificateCovers(deps.network, serviceHost, deps.httpsPort, name, deps.now)),
  ]);
  return checks;
}
