// Rotation without restart: signing PEM files replaced on disk are picked up, checked as at
// start-up and swapped in for the worker pool and the main thread; a corrupt, mismatched or
// expired replacement is refused with a logged error and the old identity kept; SIGHUP reloads
// a real server process; the HTTPS certificate from MAILSETUP_TLS_CERT rotates the same way.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reloadOnHangup, startServer } from '../../src/server.js';
import { opensslVerifySigned, selfSignedLoopback } from '../support/openssl.js';
import { makeTempDir } from '../support/tmp.js';
import { TestPki, type Issued } from './pki.js';

const tmp = makeTempDir('mailsetup-rotation-');
afterAll(() => tmp.remove());
const pki = new TestPki(join(tmp.path, 'pki'));
let chain: { root: Issued; intermediate: Issued; leaf: Issued };
let next: Issued;
let expired: Issued;
let stranger: Issued;
beforeAll(() => {
  chain = pki.chain('Rotation', 'ec');
  next = pki.issue('Rotation Signer 2', 'ec', chain.intermediate);
  expired = pki.issue('Rotation Expired', 'ec', chain.intermediate, {
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2021-01-01T00:00:00Z'),
  });
  stranger = pki.issue('Rotation Stranger', 'ec', chain.intermediate);
});

type Line = { level: string; msg: string; reason?: string; error?: string; [key: string]: unknown };

/** Replaces a file the way deploy tools do: a new file renamed over the old one. */
function replace(path: string, content: string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

const fullchain = (leaf: Issued) => readFileSync(leaf.cert, 'utf8') + readFileSync(chain.intermediate.cert, 'utf8');

async function waitForLine(lines: Line[], test: (line: Line) => boolean, what: string, timeoutMs = 10_000): Promise<Line> {
  const started = Date.now();
  for (;;) {
    const found = lines.find(test);
    if (found) return found;
    if (Date.now() - started > timeoutMs) throw new Error(`no "${what}" log line in: ${lines.map((l) => JSON.stringify(l)).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The signer of a profile that openssl verifies against the test root. */
function signerOf(signed: Buffer): string {
  return opensslVerifySigned(signed, chain.root.cert, tmp.path).signer.subject.replace(/\n/g, ', ');
}

async function signedBy(url: string): Promise<{ pool: string; inline: string }> {
  const pooled = await fetch(`${url}/api/profile`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ivan@nstu.ru' }),
  });
  // The autodiscovery download signs on the main thread.
  const inline = await fetch(`${url}/email.mobileconfig?email=ivan%40nstu.ru`);
  expect(pooled.status).toBe(200);
  expect(inline.status).toBe(200);
  return { pool: signerOf(Buffer.from(await pooled.arrayBuffer())), inline: signerOf(Buffer.from(await inline.arrayBuffer())) };
}

describe('signing files replaced on disk', () => {
  it('swaps a good replacement in for new requests and refuses corrupt, mismatched and expired ones, keeping the old identity', async () => {
    const dir = join(tmp.path, 'watched');
    mkdirSync(dir);
    const key = join(dir, 'privkey.pem');
    const cert = join(dir, 'fullchain.pem');
    writeFileSync(key, readFileSync(chain.leaf.key));
    writeFileSync(cert, fullchain(chain.leaf));
    const lines: Line[] = [];
    const running = await startServer({
      env: {
        PORT: '0',
        MAILSETUP_WEB_WORKERS: '1',
        MAILSETUP_RATE_LIMIT: '0',
        MAILSETUP_SIGNING_KEY: key,
        MAILSETUP_SIGNING_CERT: cert,
        MAILSETUP_IDENTITY_POLL: '0.05',
        MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
      },
      cwd: tmp.path,
      write: (line) => void lines.push(JSON.parse(line) as Line),
    });
    try {
      expect(await signedBy(running.url)).toEqual({
        pool: expect.stringContaining('CN=Rotation Signer'),
        inline: expect.stringContaining('CN=Rotation Signer'),
      });

      replace(cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
      const corrupt = await waitForLine(lines, (l) => l.msg === 'signing-identity-refused', 'refused');
      expect(corrupt).toMatchObject({ level: 'error', reason: 'file-changed' });
      expect(corrupt.error).toMatch(/MAILSETUP_SIGNING_CERT: .*fullchain\.pem holds no readable certificate/);
      expect(await signedBy(running.url)).toEqual({ pool: 'CN=Rotation Signer, O=mailsetup tests', inline: 'CN=Rotation Signer, O=mailsetup tests' });

      lines.length = 0;
      replace(cert, fullchain(stranger));
      expect((await waitForLine(lines, (l) => l.msg === 'signing-identity-refused', 'refused')).error).toMatch(
        /private key does not belong to the certificate/,
      );
      lines.length = 0;
      replace(cert, fullchain(expired));
      replace(key, readFileSync(expired.key, 'utf8'));
      expect((await waitForLine(lines, (l) => l.msg === 'signing-identity-refused', 'refused')).error).toMatch(/expired on 2021-01-01/);
      expect(await signedBy(running.url)).toEqual({ pool: 'CN=Rotation Signer, O=mailsetup tests', inline: 'CN=Rotation Signer, O=mailsetup tests' });

      lines.length = 0;
      replace(key, readFileSync(next.key, 'utf8'));
      replace(cert, fullchain(next));
      const rotated = await waitForLine(lines, (l) => l.msg === 'signing-identity-rotated', 'rotated');
      expect(rotated).toMatchObject({ level: 'info', reason: 'file-changed', signer: 'CN=Rotation Signer 2, O=mailsetup tests' });
      expect(await signedBy(running.url)).toEqual({ pool: 'CN=Rotation Signer 2, O=mailsetup tests', inline: 'CN=Rotation Signer 2, O=mailsetup tests' });
    } finally {
      await running.close();
    }
  });
});

describe('a PKCS #12 file replaced on disk', () => {
  it('is swapped in when it opens with the passphrase, and refused (old identity kept) when it does not', async () => {
    const p12 = join(tmp.path, 'live.p12');
    writeFileSync(p12, readFileSync(pki.p12('first.p12', chain.leaf, [chain.intermediate.cert], 'secret')));
    const lines: Line[] = [];
    const running = await startServer({
      env: {
        PORT: '0',
        MAILSETUP_WEB_WORKERS: '0',
        MAILSETUP_RATE_LIMIT: '0',
        MAILSETUP_SIGNING_P12: p12,
        MAILSETUP_SIGNING_P12_PASSWORD: 'secret',
        MAILSETUP_IDENTITY_POLL: '0.05',
        MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
      },
      cwd: tmp.path,
      write: (line) => void lines.push(JSON.parse(line) as Line),
    });
    try {
      expect((await signedBy(running.url)).inline).toBe('CN=Rotation Signer, O=mailsetup tests');
      const other = pki.p12('other-pass.p12', next, [chain.intermediate.cert], 'another');
      writeFileSync(`${p12}.new`, readFileSync(other));
      renameSync(`${p12}.new`, p12);
      expect((await waitForLine(lines, (l) => l.msg === 'signing-identity-refused', 'refused')).error).toMatch(
        /MAILSETUP_SIGNING_P12_PASSWORD: .*the passphrase is wrong/,
      );
      expect((await signedBy(running.url)).inline).toBe('CN=Rotation Signer, O=mailsetup tests');
      writeFileSync(`${p12}.new`, readFileSync(pki.p12('next.p12', next, [chain.intermediate.cert], 'secret')));
      renameSync(`${p12}.new`, p12);
      expect(await waitForLine(lines, (l) => l.msg === 'signing-identity-rotated', 'rotated')).toMatchObject({
        signer: 'CN=Rotation Signer 2, O=mailsetup tests',
      });
      expect((await signedBy(running.url)).inline).toBe('CN=Rotation Signer 2, O=mailsetup tests');
    } finally {
      await running.close();
    }
  });
});

describe('SIGHUP', () => {
  it('makes a running server process reload its signing files', async () => {
    const dir = join(tmp.path, 'hup');
    mkdirSync(dir);
    const key = join(dir, 'privkey.pem');
    const cert = join(dir, 'fullchain.pem');
    writeFileSync(key, readFileSync(chain.leaf.key));
    writeFileSync(cert, fullchain(chain.leaf));
    const server = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
    const child = spawn(process.execPath, [server], {
      cwd: tmp.path,
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        MAILSETUP_WEB_WORKERS: '0',
        MAILSETUP_RATE_LIMIT: '0',
        MAILSETUP_SIGNING_KEY: key,
        MAILSETUP_SIGNING_CERT: cert,
        // Only the signal reloads: no polling.
        MAILSETUP_IDENTITY_POLL: '0',
        MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Line[] = [];
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const part of parts) if (part) lines.push(JSON.parse(part) as Line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = String((await waitForLine(lines, (l) => l.msg === 'listening', `listening (stderr: ${stderr})`, 20_000)).url);
      expect((await signedBy(url)).inline).toBe('CN=Rotation Signer, O=mailsetup tests');
      replace(key, readFileSync(next.key, 'utf8'));
      replace(cert, fullchain(next));
      child.kill('SIGHUP');
      expect(await waitForLine(lines, (l) => l.msg === 'signing-identity-rotated', 'rotated')).toMatchObject({
        reason: 'SIGHUP',
        signer: 'CN=Rotation Signer 2, O=mailsetup tests',
      });
      expect(await signedBy(url)).toEqual({ pool: 'CN=Rotation Signer 2, O=mailsetup tests', inline: 'CN=Rotation Signer 2, O=mailsetup tests' });
      // Nothing changed: a second SIGHUP says so and keeps serving.
      child.kill('SIGHUP');
      await waitForLine(lines, (l) => l.msg === 'signing-identity-unchanged', 'unchanged');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});

describe('the HTTPS certificate from MAILSETUP_TLS_CERT', () => {
  const selfSigned = (name: string) => {
    const { key, cert } = selfSignedLoopback(tmp.path, name);
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  };
  const peer = (port: number, ca: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca }, () => {
        const subject = socket.getPeerX509Certificate()?.subject ?? '';
        socket.end();
        resolve(subject);
      });
      socket.on('error', reject);
    });

  it('redirects its plain-HTTP port to https, and names that port when it is taken', async () => {
    const tls = selfSigned('tls-plain');
    writeFileSync(join(tmp.path, 'tls-plain-live.key'), tls.key);
    writeFileSync(join(tmp.path, 'tls-plain-live.pem'), tls.cert);
    const base = {
      PORT: '0',
      MAILSETUP_WEB_WORKERS: '0',
      MAILSETUP_TLS_CERT: join(tmp.path, 'tls-plain-live.pem'),
      MAILSETUP_TLS_KEY: join(tmp.path, 'tls-plain-live.key'),
      MAILSETUP_PUBLIC_HOST: 'mail.example.test',
      MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
    };
    const running = await startServer({ env: { ...base, MAILSETUP_HTTP_PORT: '0' }, cwd: tmp.path, write: () => {} });
    try {
      const plainPort = (running.identity.plain!.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${plainPort}/setup`, { redirect: 'manual' });
      expect(res.status).toBe(301);
      expect(res.headers.get('location')).toBe(`https://mail.example.test:${new URL(running.url).port}/setup`);
      await expect(startServer({ env: { ...base, MAILSETUP_HTTP_PORT: String(plainPort) }, cwd: tmp.path, write: () => {} })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        field: 'MAILSETUP_HTTP_PORT',
        rule: 'port-available',
        message: expect.stringMatching(/cannot listen on 127\.0\.0\.1:\d+ \(another program is listening there\)/),
      });
    } finally {
      await running.close();
    }
  });

  it('rotates on SIGHUP for new connections, and a corrupt replacement is refused', async () => {
    const first = selfSigned('tls-first');
    const second = selfSigned('tls-second');
    const key = join(tmp.path, 'tls-live.key');
    const cert = join(tmp.path, 'tls-live.pem');
    writeFileSync(key, first.key);
    writeFileSync(cert, first.cert);
    const lines: Line[] = [];
    const running = await startServer({
      env: {
        PORT: '0',
        MAILSETUP_WEB_WORKERS: '0',
        MAILSETUP_TLS_CERT: cert,
        MAILSETUP_TLS_KEY: key,
        MAILSETUP_IDENTITY_POLL: '0',
        MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
      },
      cwd: tmp.path,
      write: (line) => void lines.push(JSON.parse(line) as Line),
    });
    const signals = new EventEmitter();
    const unhook = reloadOnHangup(running, signals);
    const port = Number(new URL(running.url).port);
    try {
      expect(await peer(port, first.cert)).toBe('CN=tls-first');
      replace(key, second.key);
      replace(cert, second.cert);
      signals.emit('SIGHUP');
      expect(await waitForLine(lines, (l) => l.msg === 'tls-certificate-rotated', 'rotated')).toMatchObject({ reason: 'SIGHUP' });
      expect(await peer(port, second.cert)).toBe('CN=tls-second');

      replace(cert, 'garbage');
      signals.emit('SIGHUP');
      expect((await waitForLine(lines, (l) => l.msg === 'tls-certificate-refused', 'refused')).error).toMatch(/MAILSETUP_TLS_CERT: cannot serve HTTPS with/);
      expect(await peer(port, second.cert)).toBe('CN=tls-second');
    } finally {
      unhook();
      await running.close();
    }
  });
});
