// Real servers for discovery tests, all on 127.0.0.1 ports chosen at run time and stopped by the
// test: Debian's dovecot (IMAP, POP3; implicit TLS and STARTTLS; a passwd-file user), dnsmasq
// (MX, SRV and A records), smtp-server (submission with STARTTLS or implicit TLS, AUTH, SIZE), and
// node http/https servers for autoconfig and Autodiscover answers. Certificates come from a test CA.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { freePort, run, stopProcess, waitForPort } from '../../bench/support/mail-servers.js';
import { TestPki, type Issued } from '../signing/pki.js';

export {
  freePort,
  startDovecot,
  startSubmission,
  waitForPort,
  type Dovecot,
  type DovecotOptions,
  type Submission,
  type SubmissionOptions,
} from '../../bench/support/mail-servers.js';

// ---------------------------------------------------------------------------------------------
// dnsmasq

export interface DnsRecords {
  /** name → IPv4 or IPv6 addresses. */
  hosts?: Record<string, string[]>;
  /** domain → [exchange, priority]. */
  mx?: Record<string, [string, number][]>;
  /** `_imaps._tcp.example.test` → [target, port, priority] ('.' for "not offered"). */
  srv?: Record<string, [string, number, number][]>;
}

export interface Dnsmasq {
  server: string;
  stop(): Promise<void>;
}

export async function startDnsmasq(dir: string, records: DnsRecords, ttl = 120): Promise<Dnsmasq> {
  const port = await freePort();
  const args = [
    '--keep-in-foreground',
    `--port=${port}`,
    '--no-resolv',
    '--no-hosts',
    '--conf-file=/dev/null',
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    // Every name not listed is answered "no such name", never forwarded.
    '--local=/#/',
    `--local-ttl=${ttl}`,
    `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    '--user=root',
  ];
  for (const [name, addresses] of Object.entries(records.hosts ?? {})) args.push(`--host-record=${name},${addresses.join(',')}`);
  for (const [domain, exchanges] of Object.entries(records.mx ?? {})) {
    for (const [exchange, priority] of exchanges) args.push(`--mx-host=${domain},${exchange},${priority}`);
  }
  for (const [name, targets] of Object.entries(records.srv ?? {})) {
    for (const [target, targetPort, priority] of targets) {
      args.push(target === '.' ? `--srv-host=${name}` : `--srv-host=${name},${target},${targetPort},${priority},1`);
    }
  }
  const process = run('dnsmasq', args);
  // dnsmasq answers UDP; it also listens on TCP, which is what can be waited for.
  try {
    await waitForPort(port);
  } catch (error) {
    await stopProcess(process.child);
    throw new Error(`dnsmasq did not start: ${(error as Error).message}\n${process.output()}`, { cause: error });
  }
  return { server: `127.0.0.1:${port}`, stop: () => stopProcess(process.child) };
}

// ---------------------------------------------------------------------------------------------
// Web servers for autoconfig and Autodiscover

export interface WebRequest {
  scheme: 'http' | 'https';
  host: string;
  method: string;
  path: string;
  body: string;
}

/** Answers by host and path: `"autoconfig.example.test/mail/config-v1.1.xml"` → body. */
export type WebRoutes = Record<string, { body: string; type?: string; status?: number; headers?: Record<string, string> }>;

export interface WebServers {
  httpPort: number;
  httpsPort: number;
  requests: WebRequest[];
  routes: { http: WebRoutes; https: WebRoutes };
  stop(): Promise<void>;
}

export async function startWebServers(certificate: Issued, routes: { http: WebRoutes; https: WebRoutes }): Promise<WebServers> {
  const requests: WebRequest[] = [];
  const handler = (scheme: 'http' | 'https') => (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({ scheme, host, method: req.method ?? 'GET', path, body });
      const route = routes[scheme][`${host}${path}`] ?? routes[scheme][`${host}${path.toLowerCase()}`];
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(route.status ?? 200, { 'Content-Type': route.type ?? 'text/xml', ...route.headers }).end(route.body);
    });
  };
  const tls = { key: readFileSync(certificate.key), cert: readFileSync(certificate.cert) };
  const https = createHttpsServer(tls, handler('https'));
  const http = createHttpServer(handler('http'));
  const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const httpsPort = await listen(https);
  const httpPort = await listen(http);
  return {
    httpPort,
    httpsPort,
    requests,
    routes,
    stop: async () => {
      https.closeAllConnections();
      http.closeAllConnections();
      await Promise.all([new Promise((r) => https.close(r)), new Promise((r) => http.close(r))]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A TCP listener that only counts who connects (to prove nobody did).

export interface Watcher {
  port: number;
  connections: number;
  stop(): Promise<void>;
}

export async function startWatcher(host: string, port = 0): Promise<Watcher> {
  let connections = 0;
  const server = createNetServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Test CA

export interface LabCa {
  pki: TestPki;
  root: Issued;
  /** The CA certificate, PEM. */
  pem: string;
  server(name: string, names: string[], dates?: { notBefore?: Date; notAfter?: Date }): Issued;
}

export function labCa(dir: string): LabCa {
  const pki = new TestPki(join(dir, 'pki'));
  const root = pki.root('Lab Root', 'ec');
  return {
    pki,
    root,
    pem: readFileSync(root.cert, 'utf8'),
    server: (name, names, dates = {}) => pki.issue(name, 'ec', root, { serverNames: names, ...dates }),
  };
}
