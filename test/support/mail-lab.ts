// Real servers for discovery tests, all on 127.0.0.1 ports chosen at run time and stopped by the
// test: Debian's dovecot (IMAP, POP3; implicit TLS and STARTTLS; a passwd-file user), dnsmasq
// (MX, SRV and A records), smtp-server (submission with STARTTLS or implicit TLS, AUTH, SIZE), and
// node http/https servers for autoconfig and Autodiscover answers. Certificates come from a test CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { TestPki, type Issued } from '../signing/pki.js';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until something accepts connections on the port (servers that start in the background). */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a program in the foreground; its output is kept for failure messages. */
function run(command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

// ---------------------------------------------------------------------------------------------
// dovecot

export interface DovecotPorts {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
}

export interface Dovecot {
  ports: DovecotPorts;
  log(): string;
  stop(): Promise<void>;
}

export interface DovecotOptions {
  dir: string;
  /** The certificate every name gets unless `byName` has its own (SNI). */
  certificate: Issued;
  byName?: Record<string, Issued>;
  users: Record<string, string>;
}

export async function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  const dir = join(options.dir, 'dovecot');
  for (const sub of ['base', 'state', 'mail']) mkdirSync(join(dir, sub), { recursive: true });
  // Mail processes run as nobody and create the mailboxes.
  chmodSync(join(dir, 'mail'), 0o1777);
  chmodSync(options.dir, 0o755);
  writeFileSync(
    join(dir, 'passwd'),
    Object.entries(options.users)
      // nodelay: a wrong password is answered at once (tests try them on purpose), without dovecot's growing penalty.
      .map(([user, password]) => `${user}:{PLAIN}${password}:65534:65534::${join(dir, 'mail', user)}::nodelay`)
      .join('\n') + '\n',
  );
  const ports: DovecotPorts = { imap: await freePort(), imaps: await freePort(), pop3: await freePort(), pop3s: await freePort() };
  const sni = Object.entries(options.byName ?? {})
    .map(([name, issued]) => `local_name ${name} {\n  ssl_cert = <${issued.cert}\n  ssl_key = <${issued.key}\n}\n`)
    .join('');
  const config = `protocols = imap pop3
listen = 127.0.0.1
base_dir = ${dir}/base
state_dir = ${dir}/state
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = yes
ssl_cert = <${options.certificate.cert}
ssl_key = <${options.certificate.key}
${sni}auth_mechanisms = plain login
auth_failure_delay = 0
disable_plaintext_auth = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = ${dir}/passwd
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
  writeFileSync(join(dir, 'dovecot.conf'), config);
  const process = run('dovecot', ['-c', join(dir, 'dovecot.conf'), '-F']);
  try {
    for (const port of Object.values(ports)) await waitForPort(port);
  } catch (error) {
    await stopProcess(process.child);
    throw new Error(`dovecot did not start: ${(error as Error).message}\n${process.output()}`);
  }
  return { ports, log: process.output, stop: () => stopProcess(process.child) };
}

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
    throw new Error(`dnsmasq did not start: ${(error as Error).message}\n${process.output()}`);
  }
  return { server: `127.0.0.1:${port}`, stop: () => stopProcess(process.child) };
}

// ---------------------------------------------------------------------------------------------
// SMTP submission (smtp-server)

export interface Submission {
  port: number;
  /** Logins accepted so far (user names only). */
  logins: string[];
  connections: number;
  stop(): Promise<void>;
}

export interface SubmissionOptions {
  certificate: Issued;
  /** Implicit TLS (465) instead of STARTTLS (587). */
  implicitTls?: boolean;
  /** Leave STARTTLS out of EHLO (a server that cannot upgrade). */
  noStartTls?: boolean;
  users: Record<string, string>;
  authMethods?: string[];
  size?: number;
}

export async function startSubmission(options: SubmissionOptions): Promise<Submission> {
  const logins: string[] = [];
  let connections = 0;
  const server = new SMTPServer({
    secure: options.implicitTls ?? false,
    key: readFileSync(options.certificate.key),
    cert: readFileSync(options.certificate.cert),
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN'],
    size: options.size ?? 10 * 1024 * 1024,
    ...(options.noStartTls ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : {}),
    logger: false,
    // Stopping should not wait for clients that are still connected.
    closeTimeout: 100,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username && options.users[auth.username] === auth.password) {
        logins.push(auth.username);
        return callback(null, { user: auth.username });
      }
      return callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    logins,
    get connections() {
      return connections;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
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
