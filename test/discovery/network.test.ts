// The network layer's guarantees: the address checked is the address dialled (DNS rebinding gains
// nothing), documents are capped, https never redirects to http, and every wait has a deadline.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addressPolicy } from '../../src/discovery/address-policy.js';
import { parseCidr } from '../../src/model/cidr.js';
import type { AddressRecord, DnsResolver } from '../../src/discovery/dns.js';
import { createLimiter } from '../../src/discovery/limiter.js';
import { createNetwork, NetFailure, type Network } from '../../src/discovery/network.js';
import { probe } from '../../src/discovery/probe.js';
import { DEFAULTS } from '../../src/model/defaults.js';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { labCa, startWatcher, type LabCa, type Watcher } from '../support/mail-lab.js';
import { makeTempDir } from '../support/tmp.js';

/** A resolver answering from a table; each name may answer differently on each lookup (rebinding). */
function tableDns(table: Record<string, string[][]>): DnsResolver & { lookups: string[] } {
  const lookups: string[] = [];
  const seen: Record<string, number> = {};
  return {
    lookups,
    mx: () => Promise.resolve([]),
    srv: () => Promise.resolve([]),
    addresses(host) {
      lookups.push(host);
      const answers = table[host] ?? [[]];
      const answer = answers[Math.min(seen[host] ?? 0, answers.length - 1)]!;
      seen[host] = (seen[host] ?? 0) + 1;
      return Promise.resolve(answer.map((address): AddressRecord => ({ address, family: address.includes(':') ? 6 : 4, ttl: 60 })));
    },
  };
}

let watcher: Watcher;
let web: Server;
let webPort: number;
let secure: Server;
let securePort: number;
let ca: LabCa;
let tmp: ReturnType<typeof makeTempDir>;

beforeAll(async () => {
  watcher = await startWatcher('127.0.0.2');
  web = createServer((req, res) => {
    if (req.url === '/huge') res.end(Buffer.alloc(300 * 1024, 0x41));
    else if (req.url === '/to-http') res.writeHead(302, { Location: 'http://plain.test/x' }).end();
    else if (req.url === '/hang') return;
    else res.end('ok');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as AddressInfo).port;
  tmp = makeTempDir('mailsetup-network-');
  ca = labCa(tmp.path);
  const cert = ca.server('web.test', ['web.test']);
  secure = createHttpsServer({ key: readFileSync(cert.key), cert: readFileSync(cert.cert) }, (_req, res) => {
    res.writeHead(302, { Location: 'http://web.test/x' }).end();
  });
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  securePort = (secure.address() as AddressInfo).port;
});

afterAll(async () => {
  web.closeAllConnections();
  secure.closeAllConnections();
  await Promise.all([watcher.stop(), new Promise((r) => web.close(r)), new Promise((r) => secure.close(r))]);
  tmp.remove();
});

function network(dns: DnsResolver, options: { timeoutMs?: number; dialPort?: (port: number) => number; extraCa?: string[] } = {}): Network {
  return createNetwork(
    {
      dns,
      policy: addressPolicy({ ports: DEFAULTS.discovery.ports, allow: [parseCidr('127.0.0.1/32')!] }),
      processLimiter: createLimiter(4),
      timeoutMs: options.timeoutMs ?? 2000,
      extraCa: options.extraCa,
      dialPort: options.dialPort ?? ((port) => (port === 993 ? watcher.port : webPort)),
    },
    { limiter: createLimiter(4), signal: new AbortController().signal },
  );
}

describe('DNS rebinding', () => {
  it('each connection resolves and checks again, and dials the address it checked', async () => {
    // First lookup: an allowed address. Second: loopback the policy refuses.
    const dns = tableDns({ 'rebind.test': [['127.0.0.1'], ['127.0.0.2']] });
    const net = network(dns);
    const first = await net.connect('rebind.test', 80);
    expect(first.address).toBe('127.0.0.1');
    first.socket.destroy();
    const error = await net.connect('rebind.test', 993).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetFailure);
    expect((error as NetFailure).kind).toBe('refused');
    expect((error as NetFailure).message).toBe('rebind.test:993 not contacted: 127.0.0.2 is a loopback address');
    expect(watcher.connections).toBe(0);
    expect(dns.lookups).toEqual(['rebind.test', 'rebind.test']);
  });

  it('a fetch goes to the address checked, not to whatever the system resolver says', async () => {
    // "localhost" would resolve to 127.0.0.1 through the system; the discovery resolver says 127.0.0.2.
    const dns = tableDns({ localhost: [['127.0.0.2']] });
    await expect(network(dns).fetch('http://localhost/x', { maxBytes: 1000 })).rejects.toMatchObject({ kind: 'refused' });
    const allowed = tableDns({ 'web.test': [['127.0.0.1']] });
    const fetched = await network(allowed).fetch('http://web.test/x', { maxBytes: 1000 });
    expect(fetched.body.toString()).toBe('ok');
  });

  it('a name with a private and a public address is dialled on the allowed one only', async () => {
    const dns = tableDns({ mixed: [['127.0.0.2', '127.0.0.1']] });
    const connection = await network(dns).connect('mixed', 80);
    expect(connection.address).toBe('127.0.0.1');
    connection.socket.destroy();
    expect(watcher.connections).toBe(0);
  });
});

describe('limits', () => {
  it('documents larger than the cap are refused', async () => {
    const dns = tableDns({ 'web.test': [['127.0.0.1']] });
    await expect(network(dns).fetch('http://web.test/huge', { maxBytes: 256 * 1024 })).rejects.toMatchObject({ kind: 'too-large' });
  });

  it('redirects are followed only when asked, and https is never redirected to http', async () => {
    const dns = tableDns({ 'web.test': [['127.0.0.1']] });
    await expect(network(dns).fetch('http://web.test/to-http', { maxBytes: 1000 })).rejects.toMatchObject({
      kind: 'status',
      message: expect.stringContaining('not followed'),
    });
    const tls = network(dns, { extraCa: [ca.pem], dialPort: (port) => (port === 443 ? securePort : webPort) });
    await expect(tls.fetch('https://web.test/', { maxBytes: 1000, maxRedirects: 2 })).rejects.toMatchObject({
      kind: 'tls',
      message: 'https://web.test/: redirects from https to http://web.test/x, refused',
    });
  });

  it('a server that never answers is given up after the timeout', async () => {
    const dns = tableDns({ 'web.test': [['127.0.0.1']] });
    const started = Date.now();
    await expect(network(dns, { timeoutMs: 300 }).fetch('http://web.test/hang', { maxBytes: 1000 })).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a mail server that accepts but says nothing is reported as a timeout', async () => {
    const dns = tableDns({ 'mute.test': [['127.0.0.1']] });
    const mute = await startWatcherThatHolds();
    try {
      const report = await probe(
        { protocol: 'imap', host: 'mute.test', port: 143, socket: 'STARTTLS' },
        { network: network(dns, { timeoutMs: 300, dialPort: () => mute.port }), now: Date.now, hello: 'x.test', maxReplyBytes: 1000, expiryWarningDays: 30 },
      );
      expect(report.failure?.kind).toBe('timeout');
      expect(report.ms).toBeLessThan(2000);
    } finally {
      await mute.stop();
    }
  });

  it('connections wait for a free slot: no more than the limit are open at once', async () => {
    const limiter = createLimiter(2);
    const releases = await Promise.all([limiter.acquire(), limiter.acquire()]);
    let third = false;
    const waiting = limiter.acquire().then((release) => {
      third = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    releases[0]();
    (await waiting)();
    expect(third).toBe(true);
  });
});

/** Accepts connections and keeps them open without a word. */
async function startWatcherThatHolds(): Promise<{ port: number; stop(): Promise<void> }> {
  const { createServer: createNet } = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const server = createNet((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
