// Pebble, Let's Encrypt's ACME test server (Debian package `pebble`), on loopback for the tests:
// its own HTTPS certificate from a CA made here with openssl, every port chosen at run time, and
// pebble-challtestsrv as its DNS so that any test name resolves to 127.0.0.1. Pebble validates
// challenges for real: HTTP-01 on `httpPort` and TLS-ALPN-01 on `tlsPort` of 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { openssl } from './openssl.js';

/** A port that was free a moment ago (the OS picks it; the caller binds it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PebbleOptions {
  /** Where pebble validates HTTP-01 and TLS-ALPN-01 on 127.0.0.1. */
  httpPort: number;
  tlsPort: number;
  /** Lifetime of the certificates it issues. */
  validitySeconds?: number;
  /** Key id → base64url HMAC key; when given, accounts need External Account Binding. */
  eab?: Record<string, string>;
}

export interface Pebble {
  directoryUrl: string;
  /** The CA of pebble's own HTTPS certificate (MAILSETUP_ACME_CA_FILE). */
  tlsCaFile: string;
  /** PEM of the root pebble issues under (regenerated at each start). */
  root(): Promise<string>;
  /** Everything pebble printed, for assertions and failures. */
  output(): string;
  stop(): Promise<void>;
}

function waitFor(child: ChildProcess, pattern: RegExp, output: () => string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${output()}`)), 15_000);
    const check = () => {
      if (!pattern.test(output())) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      resolve();
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${output()}`));
    });
    check();
  });
}

/**
 * Resolves once something accepts TCP connections on 127.0.0.1:`port`. Pebble and
 * pebble-challtestsrv print their "listening" lines before their servers bind, so a loaded
 * machine can refuse the first connection after the line.
 */
function accepting(port: number, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', (error) => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`${what} is not accepting connections on port ${port}: ${error.message}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

const stopProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

function fetchText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
    }).on('error', reject);
  });
}

/** A CA and a certificate for 127.0.0.1/localhost that pebble serves its directory with. */
function pebbleTls(dir: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, 'pebble-tls-ca.pem');
  const caKey = join(dir, 'pebble-tls-ca.key');
  const key = join(dir, 'pebble-tls.key');
  const csr = join(dir, 'pebble-tls.csr');
  const cert = join(dir, 'pebble-tls.pem');
  const ext = join(dir, 'pebble-tls.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', ca, '-subj', '/CN=pebble test TLS CA', '-days', '2']);
  openssl(['req', ...ec, '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { ca, cert, key };
}

export async function startPebble(dir: string, options: PebbleOptions): Promise<Pebble> {
  const tls = pebbleTls(dir);
  const [listen, management, dns, challengeManagement] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = join(dir, 'pebble-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: tls.cert,
        privateKey: tls.key,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: options.eab !== undefined,
        ...(options.eab ? { externalAccountMACKeys: options.eab } : {}),
        ...(options.validitySeconds ? { certificateValidityPeriod: options.validitySeconds } : {}),
      },
    }),
  );
  let log = '';
  const collect = (child: ChildProcess) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  };
  // Its DNS answers every A query with 127.0.0.1 (and no AAAA); its own challenge servers stay off.
  const resolver = spawn(
    'pebble-challtestsrv',
    ['-dns01', `127.0.0.1:${dns}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${challengeManagement}`, '-defaultIPv6', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  collect(resolver);
  // No random sleeps before validating, and no nonces refused on purpose: the tests stay fast and even.
  const pebble = spawn('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${dns}`, '-strict=false'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
  });
  collect(pebble);
  try {
    await Promise.all([
      waitFor(resolver, /Starting management server/, () => log, 'pebble-challtestsrv'),
      waitFor(pebble, /ACME directory available at/, () => log, 'pebble'),
    ]);
    await Promise.all([accepting(listen, 'pebble'), accepting(management, 'pebble management'), accepting(challengeManagement, 'pebble-challtestsrv')]);
  } catch (error) {
    await Promise.all([stopProcess(pebble), stopProcess(resolver)]);
    throw error;
  }
  const tlsCa = tls.ca;
  return {
    directoryUrl: `https://127.0.0.1:${listen}/dir`,
    tlsCaFile: tlsCa,
    root: () => fetchText(`https://127.0.0.1:${management}/roots/0`, readFileSync(tlsCa, 'utf8')),
    output: () => log,
    stop: () => Promise.all([stopProcess(pebble), stopProcess(resolver)]).then(() => undefined),
  };
}
