// Discovery of a guessed domain: time to a verified answer when nothing is published (no
// autoconfig, no SRV, no Autodiscover), so the usual names are probed. The servers are real
// (dovecot for IMAP and POP3, smtp-server for submission on 465 and 587), each behind a proxy
// that holds every chunk the server sends for an added 100 ms, so a probe of five or six round
// trips takes about half a second: probed one after another the twenty guesses would take
// seconds; in parallel the answer should come in well under 1.5 s (p95 target).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { emailPartsOf } from '../dist/model/rules.js';
import { loadConfig } from '../dist/config.js';
import type { AddressRecord, DnsResolver } from '../dist/discovery/dns.js';
import { createDiscoveryService } from '../dist/discovery/service.js';
import { ProviderCatalog } from '../dist/providers/catalog.js';
import { median, round, type BenchSection } from './section.js';
import { startDovecot, startSubmission, type CertificateFiles } from './support/mail-servers.js';

const DELAY_MS = 100;
const DOMAIN = 'bench.test';
const HOSTS = ['imap', 'smtp', 'mail'].map((prefix) => `${prefix}.${DOMAIN}`);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A CA and one server certificate for the guessed names, made with the openssl command line. */
function certificates(dir: string): { ca: string; server: CertificateFiles } {
  const file = (name: string) => join(dir, name);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Bench CA',
  ]);
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    `/CN=mail.${DOMAIN}`,
  ]);
  writeFileSync(file('server.ext'), `subjectAltName = ${HOSTS.map((h) => `DNS:${h}`).join(', ')}\nextendedKeyUsage = serverAuth\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  ]);
  return { ca: file('ca.pem'), server: { key: file('server.key'), cert: file('server.pem') } };
}

/** A TCP proxy that delivers every chunk from the server `delay` ms after it came, in order. */
async function slowProxy(target: number, delay: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target });
    sockets.add(client).add(upstream);
    let releaseAt = 0;
    upstream.on('data', (chunk: Buffer) => {
      releaseAt = Math.max(performance.now() + delay, releaseAt);
      setTimeout(() => client.writable && client.write(chunk), releaseAt - performance.now());
    });
    client.on('data', (chunk: Buffer) => upstream.writable && upstream.write(chunk));
    const end = () => {
      setTimeout(() => client.destroy(), Math.max(0, releaseAt - performance.now()));
      upstream.destroy();
    };
    upstream.on('close', end).on('error', end);
    client.on('close', () => upstream.destroy()).on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The guessed domain's DNS: its three host names and its MX; nothing is published. */
const dns: DnsResolver = {
  mx: (domain) => Promise.resolve(domain === DOMAIN ? [{ exchange: `mail.${DOMAIN}`, priority: 10 }] : []),
  srv: () => Promise.resolve([]),
  addresses: (host) => Promise.resolve(HOSTS.includes(host) ? [{ address: '127.0.0.1', family: 4, ttl: 300 } satisfies AddressRecord] : []),
};

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const discoveryBench: BenchSection = {
  name: 'discovery',
  summary: `time to a verified answer for a guessed domain, every server answering ${DELAY_MS} ms late (real dovecot and smtp-server behind delaying proxies)`,
  async run({ quick, log }) {
    const dir = mkdtempSync(join(tmpdir(), 'mailsetup-bench-discovery-'));
    const { ca, server } = certificates(dir);
    const [dovecot, submission, submissions] = await Promise.all([
      startDovecot({ dir, certificate: server, users: {} }),
      startSubmission({ certificate: server, users: {} }),
      startSubmission({ certificate: server, implicitTls: true, users: {} }),
    ]);
    const real: Record<number, number> = {
      993: dovecot.ports.imaps,
      143: dovecot.ports.imap,
      995: dovecot.ports.pop3s,
      110: dovecot.ports.pop3,
      465: submissions.port,
      587: submission.port,
    };
    const proxies = await Promise.all(Object.entries(real).map(async ([port, target]) => [Number(port), await slowProxy(target, DELAY_MS)] as const));
    const dialled = Object.fromEntries(proxies.map(([port, proxy]) => [port, proxy.port]));
    try {
      const config = loadConfig({
        MAILSETUP_DISCOVERY_ALLOW: '127.0.0.1/32',
        MAILSETUP_DISCOVERY_CA: ca,
        MAILSETUP_DISCOVERY_CACHE: '0',
      });
      const service = createDiscoveryService({ config, catalog: ProviderCatalog.load(), dns, dialPort: (port) => dialled[port] ?? port });
      const runs = quick ? 5 : 20;
      log(`${runs} discoveries of ${DOMAIN}, one after another, nothing cached`);
      const times: number[] = [];
      const serial: number[] = [];
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const result = await service.discover({ email: emailPartsOf(`user${i}@${DOMAIN}`) });
        times.push(performance.now() - started);
        if (!result.found || !result.servers.every((s) => s.verified)) throw new Error(`no verified answer: ${JSON.stringify(result.attempts)}`);
        serial.push(result.checks.reduce((sum, check) => sum + check.ms, 0));
      }
      return {
        'guess.p50': { value: round(median(times)), unit: 'ms' },
        'guess.p95': { value: round(percentile(times, 95)), unit: 'ms', note: 'target ≤ 1500' },
        'guess.max': { value: round(Math.max(...times)), unit: 'ms' },
        'guess.verified-probes': {
          value: round(median(serial)),
          unit: 'ms',
          note: "the three winning probes' own times added up: in series they alone would take this long",
        },
        'delay.per-chunk': { value: DELAY_MS, unit: 'ms' },
      };
    } finally {
      await Promise.all([...proxies.map(([, proxy]) => proxy.close()), dovecot.stop(), submission.stop(), submissions.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
