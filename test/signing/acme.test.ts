// ACME against a real CA: Debian's pebble on loopback validates this server's own HTTP-01 and
// TLS-ALPN-01 answers; the issued chain serves HTTPS and signs profiles that openssl accepts
// against pebble's root; a renewal under a load of signed downloads, a CA that is gone, restarts
// that reuse the stored certificate, External Account Binding and RSA keys.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { runCli } from '../support/cli.js';
import { TestClock } from '../support/clock.js';
import { opensslVerifySigned } from '../support/openssl.js';
import { freePort, startPebble, type Pebble } from '../support/pebble.js';
import { makeTempDir } from '../support/tmp.js';
import { TestPki } from './pki.js';

const tmp = makeTempDir('mailsetup-acme-');
afterAll(() => tmp.remove());
const NAMES = ['setup.example.test', 'autoconfig.example.test'];
const HOST = NAMES[0]!;

let pebble: Pebble;
let httpPort: number;
let tlsPort: number;
let rootFile: string;
let root: string;
beforeAll(async () => {
  [httpPort, tlsPort] = await Promise.all([freePort(), freePort()]);
  pebble = await startPebble(tmp.path, { httpPort, tlsPort, validitySeconds: 3600 });
  root = await pebble.root();
  rootFile = join(tmp.path, 'pebble-root.pem');
  writeFileSync(rootFile, root);
});
afterAll(() => pebble?.stop());

const certs = join(tmp.path, 'certs');
const env = (extra: Record<string, string> = {}) => ({
  HOST: '127.0.0.1',
  PORT: String(tlsPort),
  MAILSETUP_HTTP_PORT: String(httpPort),
  MAILSETUP_ACME_DOMAINS: NAMES.join(','),
  MAILSETUP_ACME_EMAIL: 'it@example.test',
  MAILSETUP_ACME_DIRECTORY: pebble.directoryUrl,
  MAILSETUP_ACME_CA_FILE: pebble.tlsCaFile,
  MAILSETUP_CERTS_DIR: certs,
  MAILSETUP_ORG_NAME: 'ACME Test',
  // Signing on the main thread, except where a test is about the worker pool.
  MAILSETUP_WEB_WORKERS: '0',
  MAILSETUP_RATE_LIMIT: '0',
  ...extra,
});

interface Started {
  running: RunningServer;
  clock: TestClock;
  lines: { level: string; msg: string; [key: string]: unknown }[];
}

async function start(extra: Record<string, string> = {}): Promise<Started> {
  const clock = new TestClock();
  const lines: Started['lines'] = [];
  const running = await startServer({
    env: env(extra),
    cwd: tmp.path,
    write: (line) => void lines.push(JSON.parse(line) as Started['lines'][number]),
    identity: { clock, random: () => 0.5, acme: { retries: 0, timeoutMs: 5000, pollMs: 100 } },
  });
  return { running, clock, lines };
}

/** The certificate a fresh TLS connection to the server gets for `servername`, checked against `ca`. */
async function peerCertificate(port: number, ca: string, servername = HOST): Promise<X509Certificate> {
  return (await handshake(port, ca, servername)).certificate;
}

function handshake(port: number, ca: string, servername: string, alpn?: string[]): Promise<{ certificate: X509Certificate; protocol: string | false | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, ...(alpn ? { ALPNProtocols: alpn } : {}) }, () => {
      const certificate = socket.getPeerX509Certificate();
      const protocol = socket.alpnProtocol;
      socket.end();
      if (certificate) resolve({ certificate, protocol });
      else reject(new Error('no peer certificate'));
    });
    socket.on('error', reject);
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(url: string, options: { method?: string; body?: string; agent?: Agent; ca?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const make = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      {
        host: '127.0.0.1',
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: { host: `${target.hostname}:${target.port}`, ...options.headers },
        ...(secure ? { servername: target.hostname, ...(options.agent ? { agent: options.agent } : { ca: options.ca ?? root }) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const profileRequest = (email = 'ivan.petrov@nstu.ru') => ({
  method: 'POST',
  body: JSON.stringify({ email }),
  headers: { 'content-type': 'application/json' },
});

/** Verifies a signed profile against `rootPath` with openssl; returns the signer certificate. */
function verifiedSigner(signed: Buffer, rootPath = rootFile): X509Certificate {
  const { content, signer } = opensslVerifySigned(signed, rootPath, tmp.path);
  expect(content.toString('utf8')).toContain('mail2.nstu.ru');
  return signer;
}

/** Fires the renewal timer (re-armed at most a day ahead) until the renewer has made an attempt. */
async function untilAttempt({ running, clock }: Started): Promise<void> {
  const renewer = running.identity.renewer!;
  await renewer.settled();
  const before = renewer.status.lastAttempt;
  for (let day = 0; day < 400 && renewer.status.lastAttempt === before; day++) {
    expect(clock.fireNext()).toBe(true);
    await renewer.settled();
  }
}

let firstFingerprint: string;

describe('ACME with HTTP-01 answered by the server itself', () => {
  it('gets a certificate at first start, serves HTTPS with it and signs profiles that verify against the CA root', async () => {
    const { running, clock, lines } = await start();
    try {
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['acme-ordering', 'acme-certificate-issued', 'listening']));
      expect(running.url).toBe(`https://127.0.0.1:${tlsPort}`);
      expect(pebble.output()).toMatch(
        new RegExp(`Attempting to validate w/ HTTP: http://${HOST.replace(/\./g, '\\.')}:${httpPort}/\\.well-known/acme-challenge/`),
      );

      // HTTPS: the issued certificate for every name, ECDSA P-256 by default, chained to pebble's root.
      for (const name of NAMES) {
        const peer = await peerCertificate(tlsPort, root, name);
        expect(peer.subjectAltName).toBe(NAMES.map((n) => `DNS:${n}`).join(', '));
        expect(peer.publicKey.asymmetricKeyType).toBe('ec');
        expect(peer.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
        expect(peer.issuer).toMatch(/Pebble Intermediate CA/);
        firstFingerprint = peer.fingerprint256;
      }
      const health = await send(`https://${HOST}:${tlsPort}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers['strict-transport-security']).toMatch(/max-age=\d+/);

      // The same certificate signs: openssl accepts the profile against pebble's root, and the signer is the TLS certificate.
      const file = await send(`https://${HOST}:${tlsPort}/api/profile`, profileRequest());
      expect(file.status).toBe(200);
      expect(file.headers['x-mailsetup-signed']).toBe('true');
      expect(verifiedSigner(file.body).fingerprint256).toBe(firstFingerprint);

      // Plain HTTP: autoconfig stays on http, unknown challenges are 404, everything else goes to https.
      const autoconfig = await send(`http://autoconfig.example.test:${httpPort}/mail/config-v1.1.xml?emailaddress=ivan%40nstu.ru`);
      expect(autoconfig.status).toBe(200);
      expect(autoconfig.body.toString()).toContain('mail2.nstu.ru');
      expect((await send(`http://${HOST}:${httpPort}/.well-known/acme-challenge/nothing-pending`)).status).toBe(404);
      const redirect = await send(`http://${HOST}:${httpPort}/setup?email=ivan%40nstu.ru`);
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe(`https://${HOST}:${tlsPort}/setup?email=ivan%40nstu.ru`);
      const elsewhere = await send(`http://evil.example:${httpPort}/`, { method: 'POST', body: 'x' });
      expect(elsewhere.status).toBe(308);
      expect(elsewhere.headers.location).toBe(`https://${HOST}:${tlsPort}/`);

      // Account and certificate are kept, readable by the owner only; renewal is planned at two thirds of the lifetime.
      const folder = join(certs, 'acme');
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      expect(readdirSync(folder).sort()).toEqual(['account-key.pem', 'accounts.json', 'certificate.json', 'fullchain.pem', 'key.pem', 'status.json']);
      for (const file of readdirSync(folder)) expect(statSync(join(folder, file)).mode & 0o777).toBe(0o600);
      await running.identity.renewer!.settled();
      const [delay] = clock.pending();
      // random() = 0.5: two thirds of an hour less half of a thirtieth, less the seconds since issuance.
      expect(delay).toBeGreaterThan((3600_000 * 2) / 3 - 60_000 - 30_000);
      expect(delay).toBeLessThanOrEqual((3600_000 * 2) / 3 - 60_000);
      const status = JSON.parse(readFileSync(join(folder, 'status.json'), 'utf8')) as { nextRenewal: string; nextRenewalReason: string; failures: number };
      expect(status).toMatchObject({ nextRenewalReason: 'two-thirds', failures: 0 });

      const identity = await runCli(['identity'], { cwd: tmp.path, env: env() });
      expect(identity.code).toBe(0);
      expect(identity.stdout).toContain(`from: ACME, ${NAMES.join(', ')} from ${pebble.directoryUrl}`);
      expect(identity.stdout).toContain(`next renewal: ${status.nextRenewal}`);
      expect(identity.stdout).toContain('last renewal error: none');
      expect(identity.stdout).toMatch(/chain embedded in profiles: setup\.example\.test → Pebble Intermediate CA/);
      expect(identity.stdout).toMatch(/valid: \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/);
    } finally {
      await running.close();
    }
  });

  it('reuses the stored certificate after a restart instead of ordering another', async () => {
    const { running, lines } = await start();
    try {
      expect(lines.map((l) => l.msg)).not.toContain('acme-ordering');
      expect((await peerCertificate(tlsPort, root)).fingerprint256).toBe(firstFingerprint);
    } finally {
      await running.close();
    }
  });

  it('with a signing identity configured, serves HTTPS with the ACME certificate but signs with the configured one, renewal or not', async () => {
    const pki = new TestPki(join(tmp.path, 'pki'));
    const own = pki.chain('Own', 'ec');
    const started = await start({
      MAILSETUP_SIGNING_KEY: own.leaf.key,
      MAILSETUP_SIGNING_CERT: pki.concat('own-full.pem', own.leaf.cert, own.intermediate.cert),
    });
    const { running, lines } = started;
    try {
      expect((await peerCertificate(tlsPort, root)).fingerprint256).toBe(firstFingerprint);
      const signer = (await send(`https://${HOST}:${tlsPort}/api/profile`, profileRequest())).body;
      expect(verifiedSigner(signer, own.root.cert).subject).toMatch(/CN=Own Signer/);
      const identity = await runCli(['identity'], { cwd: tmp.path, env: env({ MAILSETUP_SIGNING_KEY: own.leaf.key, MAILSETUP_SIGNING_CERT: own.leaf.cert }) });
      expect(identity.stdout).toContain('from: configured files');

      await untilAttempt(started);
      expect(lines.find((l) => l.msg === 'certificate-renewed')).toBeDefined();
      const renewed = await peerCertificate(tlsPort, root);
      expect(renewed.fingerprint256).not.toBe(firstFingerprint);
      const after = (await send(`https://${HOST}:${tlsPort}/api/profile`, profileRequest())).body;
      expect(verifiedSigner(after, own.root.cert).subject).toMatch(/CN=Own Signer/);
      firstFingerprint = renewed.fingerprint256;
    } finally {
      await running.close();
    }
  });

  it('renews while signed downloads run: no request fails, and new connections and signatures use the new certificate', async () => {
    const started = await start({ MAILSETUP_WEB_WORKERS: '2' });
    const { running, lines } = started;
    try {
      const agent = new Agent({ ca: root, keepAlive: true, maxSockets: 4 });
      const failures: string[] = [];
      let done = 0;
      let stop = false;
      const worker = async (n: number) => {
        while (!stop) {
          try {
            const reply = await send(`https://${HOST}:${tlsPort}/api/profile`, { ...profileRequest(`user${n}@nstu.ru`), agent });
            if (reply.status !== 200 || reply.headers['x-mailsetup-signed'] !== 'true') failures.push(`${reply.status} ${reply.body.toString().slice(0, 200)}`);
            done++;
          } catch (error) {
            failures.push((error as Error).message);
          }
        }
      };
      const load = [1, 2, 3, 4].map(worker);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = done;
      await untilAttempt(started);
      expect(lines.find((l) => l.msg === 'certificate-renewed')).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      stop = true;
      await Promise.all(load);
      agent.destroy();
      expect(failures).toEqual([]);
      expect(before).toBeGreaterThan(0);
      expect(done - before).toBeGreaterThan(0);

      const renewed = await peerCertificate(tlsPort, root);
      expect(renewed.fingerprint256).not.toBe(firstFingerprint);
      // The key stays across renewals, so the signer devices saw is still the same key.
      expect(renewed.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
        new X509Certificate(readFileSync(join(certs, 'acme', 'fullchain.pem'))).publicKey.export({ type: 'spki', format: 'der' }),
      );
      // Both workers sign with the new identity: each got it by message.
      for (let i = 0; i < 4; i++) {
        const file = await send(`https://${HOST}:${tlsPort}/api/profile`, profileRequest());
        expect(verifiedSigner(file.body).fingerprint256).toBe(renewed.fingerprint256);
      }
      const status = JSON.parse(readFileSync(join(certs, 'acme', 'status.json'), 'utf8')) as { lastRenewal?: string; failures: number; fingerprint256: string };
      expect(status.failures).toBe(0);
      expect(status.lastRenewal).toBeDefined();
      expect(status.fingerprint256).toBe(renewed.fingerprint256);
      firstFingerprint = renewed.fingerprint256;
    } finally {
      await running.close();
    }
  });

  it('keeps serving the current certificate when the CA is gone: a warning, retries with backoff, an error with a week left', async () => {
    // A CA issuing 30-day certificates: at two thirds, ten days remain.
    await pebble.stop();
    const dir = join(tmp.path, 'monthly');
    mkdirSync(dir);
    const monthly = await startPebble(dir, { httpPort, tlsPort, validitySeconds: 30 * 86400 });
    const monthlyRoot = join(dir, 'root.pem');
    writeFileSync(monthlyRoot, await monthly.root());
    const monthlyEnv = { MAILSETUP_ACME_DIRECTORY: monthly.directoryUrl, MAILSETUP_ACME_CA_FILE: monthly.tlsCaFile, MAILSETUP_CERTS_DIR: join(dir, 'certs') };
    const ca = readFileSync(monthlyRoot, 'utf8');
    const started = await start(monthlyEnv);
    const { running, clock, lines } = started;
    try {
      const current = (await peerCertificate(tlsPort, ca)).fingerprint256;
      await running.identity.renewer!.settled();
      await monthly.stop();
      await untilAttempt(started);
      const failed = lines.find((l) => l.msg === 'certificate-renewal-failed');
      expect(failed).toMatchObject({ level: 'warn', failures: 1, daysLeft: 10 });
      expect(String(failed?.error)).toMatch(/MAILSETUP_ACME_DIRECTORY: cannot reach the ACME server https:\/\/127\.0\.0\.1:\d+\/dir \(.*ECONNREFUSED/);
      // The next attempt in ten minutes (the first backoff step), ±10 %.
      const [retry] = clock.pending();
      expect(retry).toBeGreaterThanOrEqual(540_000);
      expect(retry).toBeLessThanOrEqual(660_000);

      expect((await peerCertificate(tlsPort, ca)).fingerprint256).toBe(current);
      const file = await send(`https://${HOST}:${tlsPort}/api/profile`, { ...profileRequest(), ca });
      expect(verifiedSigner(file.body, monthlyRoot).fingerprint256).toBe(current);

      const identity = await runCli(['identity'], { cwd: tmp.path, env: env(monthlyEnv) });
      expect(identity.code).toBe(0);
      expect(identity.stdout).toMatch(/^warning: the last renewal attempt \(\S+\) failed: MAILSETUP_ACME_DIRECTORY: cannot reach the ACME server/m);
      expect(identity.stdout).toMatch(/^last renewal error: MAILSETUP_ACME_DIRECTORY: cannot reach/m);
      const json = JSON.parse((await runCli(['identity', '--json'], { cwd: tmp.path, env: env(monthlyEnv) })).stdout) as {
        origin: { kind: string; status: { failures: number; nextRenewalReason: string } };
      };
      expect(json.origin).toMatchObject({ kind: 'acme', status: { failures: 1, nextRenewalReason: 'retry' } });

      // Four days on, the CA still gone: fewer than seven days remain, so the failure is an error.
      clock.advance(4 * 86400_000);
      expect(clock.fireNext()).toBe(true);
      await running.identity.renewer!.settled();
      expect(lines.filter((l) => l.msg === 'certificate-renewal-failed').at(-1)).toMatchObject({ level: 'error', failures: 2, daysLeft: 6 });
      expect((await peerCertificate(tlsPort, ca)).fingerprint256).toBe(current);
    } finally {
      await running.close();
    }
  });
});

describe('ACME with TLS-ALPN-01 on the HTTPS port, External Account Binding and an RSA key', () => {
  const eab = { kid: 'kid-1', hmac: 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W' };
  let strict: Pebble;
  let strictRoot: string;
  let port: number;
  const strictCerts = join(tmp.path, 'alpn-certs');
  const alpnEnv = (extra: Record<string, string> = {}) => ({
    PORT: String(port),
    MAILSETUP_HTTP_PORT: 'off',
    MAILSETUP_ACME_CHALLENGE: 'tls-alpn-01',
    MAILSETUP_ACME_KEY_TYPE: 'rsa',
    MAILSETUP_ACME_DIRECTORY: strict.directoryUrl,
    MAILSETUP_ACME_CA_FILE: strict.tlsCaFile,
    MAILSETUP_ACME_EAB_KID: eab.kid,
    MAILSETUP_ACME_EAB_HMAC_KEY: eab.hmac,
    MAILSETUP_CERTS_DIR: strictCerts,
    ...extra,
  });
  beforeAll(async () => {
    const dir = join(tmp.path, 'strict');
    mkdirSync(dir);
    port = await freePort();
    // Nothing listens on its HTTP-01 port: only TLS-ALPN-01 can succeed.
    strict = await startPebble(dir, { httpPort: await freePort(), tlsPort: port, eab: { [eab.kid]: eab.hmac }, validitySeconds: 7 * 86400 });
    strictRoot = await strict.root();
    writeFileSync(join(dir, 'root.pem'), strictRoot);
  });
  afterAll(() => strict?.stop());

  it('refuses to start when the CA refuses the account, naming the setting, and leaves nothing listening', async () => {
    const wrong = startServer({
      env: env(alpnEnv({ MAILSETUP_ACME_EAB_HMAC_KEY: 'bm90LXRoZS1yaWdodC1rZXktYXQtYWxsLW5vdC1ldmVuLWNsb3Nl' })),
      cwd: tmp.path,
      write: () => {},
      identity: { acme: { retries: 0, pollMs: 100 } },
    });
    await expect(wrong).rejects.toMatchObject({ code: 'ACME_FAILED', field: 'MAILSETUP_ACME_EAB_KID' });
    await expect(freePortIsFree(port)).resolves.toBe(true);
  });

  it('gets an RSA certificate through TLS-ALPN-01 at first start and renews through the live HTTPS server', async () => {
    const started = await start(alpnEnv());
    const { running, lines } = started;
    try {
      expect(lines.map((l) => l.msg)).toContain('acme-certificate-issued');
      const first = await peerCertificate(port, strictRoot);
      expect(first.publicKey.asymmetricKeyType).toBe('rsa');
      expect(first.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      const file = await send(`https://${HOST}:${port}/api/profile`, { ...profileRequest(), ca: strictRoot });
      expect(verifiedSigner(file.body, join(tmp.path, 'strict', 'root.pem')).fingerprint256).toBe(first.fingerprint256);

      await untilAttempt(started);
      expect(lines.find((l) => l.msg === 'certificate-renewal-failed')).toBeUndefined();
      expect((await peerCertificate(port, strictRoot)).fingerprint256).not.toBe(first.fingerprint256);
      // Browsers offer h2 and http/1.1 and get the site's certificate and HTTP/1.1; clients that offer no ALPN too.
      const browser = await handshake(port, strictRoot, HOST, ['h2', 'http/1.1']);
      expect(browser.protocol).toBe('http/1.1');
      expect(browser.certificate.issuer).toMatch(/Pebble Intermediate CA/);
      expect((await send(`https://${HOST}:${port}/healthz`, { ca: strictRoot })).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});

describe('a first order that fails', () => {
  it('stops the start with the reason and the setting to check, and leaves nothing listening', async () => {
    const [ownHttp, ownTls] = await Promise.all([freePort(), freePort()]);
    const dir = join(tmp.path, 'fail');
    mkdirSync(dir);
    // Pebble checks port `httpPort`, but this server answers on another one.
    const other = await startPebble(dir, { httpPort: await freePort(), tlsPort: await freePort() });
    try {
      const failing = startServer({
        env: {
          ...env(),
          PORT: String(ownTls),
          MAILSETUP_HTTP_PORT: String(ownHttp),
          MAILSETUP_ACME_DOMAINS: 'unreachable.example.test',
          MAILSETUP_ACME_DIRECTORY: other.directoryUrl,
          MAILSETUP_ACME_CA_FILE: other.tlsCaFile,
          MAILSETUP_CERTS_DIR: join(dir, 'certs'),
        },
        cwd: tmp.path,
        write: () => {},
        identity: { acme: { retries: 0, pollMs: 100 } },
      });
      await expect(failing).rejects.toMatchObject({ code: 'ACME_FAILED', field: 'MAILSETUP_ACME_DOMAINS', rule: 'issuance' });
      await expect(failing).rejects.toThrow(/did not issue a certificate for unreachable\.example\.test: .*each name must point at this server/);
      await expect(freePortIsFree(ownHttp)).resolves.toBe(true);
    } finally {
      await other.stop();
    }
  });
});

async function freePortIsFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
