// One set of real servers and DNS records covering every discovery path, for the discovery, CLI,
// API and browser tests. Every name lives under .test; mail servers, web servers and DNS listen
// on 127.0.0.1 (a watcher on 127.0.0.2 counts connections that must never happen).
//
//   autoconfig.test    autoconfig.autoconfig.test serves a clientConfig over https
//   httponly.test      autoconfig only over http (the https answer has a certificate for other names)
//   mxcorp.test        MX mx1.rackcorp.com: the catalog's RackCorp
//   m365.test          MX m365-test.mail.protection.outlook.com: the catalog's Microsoft 365
//   mxauto.test        MX mx.hoster.test; autoconfig.hoster.test serves the hoster's clientConfig
//   srv.test           _imaps._tcp and _submission._tcp SRV records; _pop3s._tcp is "."
//   autodiscover.test  autodiscover.autodiscover.test answers Autodiscover POX
//   guess.test         imap., smtp. and mail.guess.test exist; nothing is published
//   expired.test       imap. and smtp.expired.test: dovecot presents an expired certificate
//   wrongname.test     imap. and smtp.wrongname.test: a certificate for other names
//   private.test       records pointing at 127.0.0.2, 10.20.30.40 and 192.168.77.1
//   ports.test         SRV records naming ports that are not mail ports
//   nomail.test        nothing at all
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  labCa,
  startDnsmasq,
  startDovecot,
  startSubmission,
  startWatcher,
  startWebServers,
  type Dnsmasq,
  type Dovecot,
  type LabCa,
  type Submission,
  type Watcher,
  type WebServers,
} from './mail-lab.js';
import { makeTempDir } from './tmp.js';

export const LAB_USER = 'ivan@guess.test';
export const LAB_PASSWORD = 'lab "secret" pass';

const MAIL_DOMAINS = ['guess', 'srv', 'autoconfig', 'hoster', 'autodiscover', 'httponly', 'mxcorp'].map((d) => `${d}.test`);

export function clientConfig(
  domain: string,
  servers: { type: 'imap' | 'pop3' | 'smtp'; host: string; port: number; socket: string; username?: string }[],
): string {
  const server = (s: (typeof servers)[number]) => {
    const element = s.type === 'smtp' ? 'outgoingServer' : 'incomingServer';
    return `<${element} type="${s.type}"><hostname>${s.host}</hostname><port>${s.port}</port><socketType>${s.socket}</socketType><username>${s.username ?? '%EMAILADDRESS%'}</username><authentication>password-cleartext</authentication></${element}>`;
  };
  return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="${domain}"><domain>${domain}</domain><displayName>${domain} mail</displayName>${servers.map(server).join('')}</emailProvider></clientConfig>`;
}

export function poxResponse(protocols: { type: string; server: string; port: number; ssl?: 'on' | 'off'; encryption?: string }[]): string {
  const protocol = (p: (typeof protocols)[number]) =>
    `<Protocol><Type>${p.type}</Type><Server>${p.server}</Server><Port>${p.port}</Port><LoginName>ivan</LoginName><SPA>off</SPA><SSL>${p.ssl ?? 'on'}</SSL>${p.encryption ? `<Encryption>${p.encryption}</Encryption>` : ''}<AuthRequired>on</AuthRequired></Protocol>`;
  return `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"><Account><AccountType>email</AccountType><Action>settings</Action>${protocols.map(protocol).join('')}</Account></Response></Autodiscover>`;
}

export interface Lab {
  ca: LabCa;
  caFile: string;
  dns: Dnsmasq;
  dovecot: Dovecot;
  submission: Submission;
  smtps: Submission;
  web: WebServers;
  /** Counts connections to 127.0.0.2 on every port discovery would dial. */
  watchers: Watcher[];
  /** Standard port → the port the lab's server for it really listens on. */
  ports: Record<number, number>;
  dialPort: (port: number) => number;
  /** The environment a lab-backed configuration needs (DNS server, allowed networks, trusted CA). */
  env: Record<string, string>;
  dir: string;
  stop(): Promise<void>;
}

export async function startLab(): Promise<Lab> {
  const tmp = makeTempDir('mailsetup-lab-');
  const ca = labCa(tmp.path);
  const caFile = join(tmp.path, 'lab-ca.pem');
  writeFileSync(caFile, ca.pem);
  const mailNames = MAIL_DOMAINS.flatMap((d) => ['imap', 'smtp', 'pop', 'mail'].map((p) => `${p}.${d}`));
  const mailCert = ca.server('mail.lab.test', mailNames);
  const expired = ca.server('imap.expired.test', ['imap.expired.test', 'smtp.expired.test'], {
    notBefore: new Date(Date.now() - 90 * 86400e3),
    notAfter: new Date(Date.now() - 2 * 86400e3),
  });
  const webCert = ca.server('web.lab.test', ['autoconfig.autoconfig.test', 'autoconfig.hoster.test', 'autodiscover.autodiscover.test']);

  const routes = {
    https: {
      'autoconfig.autoconfig.test/mail/config-v1.1.xml': {
        body: clientConfig('autoconfig.test', [
          { type: 'imap', host: 'imap.autoconfig.test', port: 993, socket: 'SSL', username: '%EMAILLOCALPART%' },
          { type: 'smtp', host: 'smtp.autoconfig.test', port: 587, socket: 'STARTTLS', username: '%EMAILLOCALPART%' },
        ]),
      },
      'autoconfig.hoster.test/mail/config-v1.1.xml': {
        body: clientConfig('hoster.test', [
          { type: 'imap', host: 'imap.hoster.test', port: 993, socket: 'SSL' },
          { type: 'smtp', host: 'smtp.hoster.test', port: 465, socket: 'SSL' },
        ]),
      },
      'autodiscover.autodiscover.test/autodiscover/autodiscover.xml': {
        body: poxResponse([
          { type: 'IMAP', server: 'imap.autodiscover.test', port: 993 },
          { type: 'SMTP', server: 'smtp.autodiscover.test', port: 587, encryption: 'TLS' },
        ]),
      },
    },
    http: {
      'autoconfig.httponly.test/mail/config-v1.1.xml': {
        body: clientConfig('httponly.test', [
          { type: 'imap', host: 'imap.httponly.test', port: 993, socket: 'SSL' },
          { type: 'smtp', host: 'smtp.httponly.test', port: 465, socket: 'SSL' },
        ]),
      },
    },
  };

  const hosts: Record<string, string[]> = {};
  for (const name of [
    ...['imap', 'smtp', 'mail'].map((p) => `${p}.guess.test`),
    ...['imap', 'smtp'].flatMap((p) =>
      ['srv', 'autoconfig', 'hoster', 'autodiscover', 'httponly', 'expired', 'wrongname', 'ports'].map((d) => `${p}.${d}.test`),
    ),
    'autoconfig.autoconfig.test',
    'autoconfig.hoster.test',
    'autodiscover.autodiscover.test',
    'autoconfig.httponly.test',
  ])
    hosts[name] = ['127.0.0.1'];
  Object.assign(hosts, {
    'mail.private.test': ['127.0.0.2'],
    'autoconfig.private.test': ['127.0.0.2'],
    'imap.private.test': ['10.20.30.40'],
    'smtp.private.test': ['192.168.77.1'],
  });

  const [dovecot, submission, smtps, web, dns] = await Promise.all([
    startDovecot({ dir: tmp.path, certificate: mailCert, byName: { 'imap.expired.test': expired }, users: { [LAB_USER]: LAB_PASSWORD } }),
    startSubmission({ certificate: mailCert, users: { [LAB_USER]: LAB_PASSWORD } }),
    startSubmission({ certificate: mailCert, implicitTls: true, users: { [LAB_USER]: LAB_PASSWORD } }),
    startWebServers(webCert, routes),
    startDnsmasq(tmp.path, {
      hosts,
      mx: {
        'mxcorp.test': [['mx1.rackcorp.com', 10]],
        'm365.test': [['m365-test.mail.protection.outlook.com', 10]],
        'mxauto.test': [['mx.hoster.test', 10]],
        'guess.test': [['mail.guess.test', 10]],
        'private.test': [['mail.private.test', 10]],
      },
      srv: {
        '_imaps._tcp.srv.test': [['imap.srv.test', 993, 0]],
        '_submission._tcp.srv.test': [['smtp.srv.test', 587, 0]],
        '_pop3s._tcp.srv.test': [['.', 0, 0]],
        '_imaps._tcp.private.test': [['imap.private.test', 993, 0]],
        '_submission._tcp.private.test': [['smtp.private.test', 587, 0]],
        '_imaps._tcp.ports.test': [['imap.ports.test', 2222, 0]],
        '_submissions._tcp.ports.test': [['smtp.ports.test', 2465, 0]],
      },
    }),
  ]);
  const ports: Record<number, number> = {
    143: dovecot.ports.imap,
    993: dovecot.ports.imaps,
    110: dovecot.ports.pop3,
    995: dovecot.ports.pop3s,
    587: submission.port,
    465: smtps.port,
    443: web.httpsPort,
    80: web.httpPort,
  };
  const watchers = await Promise.all(Object.values(ports).map((port) => startWatcher('127.0.0.2', port)));
  return {
    ca,
    caFile,
    dns,
    dovecot,
    submission,
    smtps,
    web,
    watchers,
    ports,
    dialPort: (port) => ports[port] ?? port,
    env: { MAILSETUP_DNS_SERVERS: dns.server, MAILSETUP_DISCOVERY_ALLOW: '127.0.0.1/32', MAILSETUP_DISCOVERY_CA: caFile },
    dir: tmp.path,
    async stop() {
      await Promise.all([dovecot.stop(), submission.stop(), smtps.stop(), web.stop(), dns.stop(), ...watchers.map((w) => w.stop())]);
      tmp.remove();
    },
  };
}
