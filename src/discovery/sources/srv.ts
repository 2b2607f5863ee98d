// RFC 6186 and RFC 8314 SRV records: _imaps/_imap, _pop3s/_pop3, _submissions/_submission. The
// lowest priority wins, the highest weight among equals; a target of "." says "not offered".
import type { SocketType } from '../../model/account.js';
import { DEFAULTS, type MailProtocol } from '../../model/defaults.js';
import type { SrvRecord } from '../dns.js';
import { outcomeOf, type Candidate, type Step } from './context.js';

export const SRV_SERVICES: readonly { service: string; protocol: MailProtocol; socket: SocketType }[] = [
  { service: '_imaps._tcp', protocol: 'imap', socket: 'SSL' },
  { service: '_imap._tcp', protocol: 'imap', socket: 'STARTTLS' },
  { service: '_pop3s._tcp', protocol: 'pop3', socket: 'SSL' },
  { service: '_pop3._tcp', protocol: 'pop3', socket: 'STARTTLS' },
  { service: '_submissions._tcp', protocol: 'smtp', socket: 'SSL' },
  { service: '_submission._tcp', protocol: 'smtp', socket: 'STARTTLS' },
];

const notOffered = (record: SrvRecord) => record.name === '' || record.name === '.';

export function bySrvPreference(records: readonly SrvRecord[]): SrvRecord[] {
  return [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
}

export const srvStep: Step = {
  source: 'srv',
  async run(context) {
    const lookups = SRV_SERVICES.map(async ({ service, protocol, socket }) => {
      const name = `${service}.${context.email.asciiDomain}`;
      try {
        const records = bySrvPreference(await context.dns.srv(name));
        if (records.length === 0) {
          context.attempt({ source: 'srv', target: `SRV ${name}`, outcome: 'nothing' });
          return [];
        }
        if (records.some(notOffered)) {
          context.attempt({ source: 'srv', target: `SRV ${name}`, outcome: 'nothing', detail: 'the domain says it does not offer this (".")' });
          return [];
        }
        context.attempt({ source: 'srv', target: `SRV ${name}`, outcome: 'found', detail: records.map((r) => `${r.name}:${r.port}`).join(', ') });
        // RFC 8314 prefers implicit TLS; _imap/_pop3/_submission are taken as STARTTLS, never plain.
        return records.map((record): Candidate => ({
          protocol,
          host: record.name.toLowerCase().replace(/\.$/, ''),
          port: record.port,
          socket,
          auth: [DEFAULTS.auth],
          login: undefined,
          source: 'srv',
          origin: `SRV ${name}`,
        }));
      } catch (error) {
        context.attempt({ source: 'srv', target: `SRV ${name}`, ...outcomeOf(error) });
        return [];
      }
    });
    const servers = (await Promise.all(lookups)).flat();
    return servers.length > 0 ? { servers } : undefined;
  },
};
