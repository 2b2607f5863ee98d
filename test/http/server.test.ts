// The server entry: listens on loopback (HTTP, or HTTPS with a configured certificate), signs with
// the identity from the configuration, and closes gracefully on SIGTERM/SIGINT.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { get as httpsGet } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeOnSignals, startServer } from '../../src/server.js';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/tmp.js';
import { selfSignedLoopback } from '../support/openssl.js';
import { opensslVerify } from './helpers.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('mailsetup-server-');
});
afterAll(() => tmp.remove());

const baseEnv = () => ({
  MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
  HOST: '127.0.0.1',
  PORT: '0',
  MAILSETUP_ORG_NAME: 'Server Test',
  MAILSETUP_WEB_WORKERS: '0',
});

describe('startServer', () => {
  it('serves pages and signed profiles (built on worker threads) on loopback, logs JSON lines, and closes', async () => {
    const lines: string[] = [];
    const running = await startServer({ env: { ...baseEnv(), MAILSETUP_WEB_WORKERS: '2' }, write: (line) => void lines.push(line), cwd: tmp.path });
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${running.url}/healthz`)).json()).toEqual({ status: 'ok', workers: { running: 2, size: 2 } });
      const page = await fetch(`${running.url}/`);
      expect(page.status).toBe(200);
      const file = await fetch(`${running.url}/api/profile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ivan@nstu.ru' }),
      });
      expect(file.headers.get('content-type')).toBe('application/x-apple-aspen-config');
      const plist = opensslVerify(Buffer.from(await file.arrayBuffer()), join(tmp.path, 'certs', 'development', 'ca.pem'), tmp.path);
      expect(plist.toString()).toContain('mail2.nstu.ru');
      // Errors raised in a worker arrive whole: code, field and rule.
      const unknown = await fetch(`${running.url}/api/profile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'anna@example.se' }),
      });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error: { code: 'UNKNOWN_DOMAIN', field: 'email', rule: 'known-domain' } });
      // Several at once are spread over the workers.
      const many = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          fetch(`${running.url}/download`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: `email=user${i}%40nstu.ru&device=macos`,
          }),
        ),
      );
      for (const res of many) expect(res.headers.get('x-mailsetup-signed')).toBe('true');
    } finally {
      await running.close();
    }
    const parsed = lines.map((line) => JSON.parse(line) as { level: string; msg: string; url?: string });
    expect(parsed.find((l) => l.msg === 'listening')).toMatchObject({ url: running.url, workers: 2 });
    expect(parsed.some((l) => l.level === 'warn' && /Not Verified/.test(l.msg))).toBe(true);
    await expect(fetch(`${running.url}/`)).rejects.toThrow();
  });

  it('lets a request in flight finish when SIGTERM arrives, then stops', async () => {
    const running = await startServer({ env: baseEnv(), write: () => {}, cwd: tmp.path });
    const signals = new EventEmitter();
    const stopped = closeOnSignals(running, signals);
    const inFlight = fetch(`${running.url}/settings/rackcorp/mn`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    signals.emit('SIGTERM');
    expect((await inFlight).status).toBe(200);
    await stopped;
    expect(running.server.listening).toBe(false);
  });

  it('serves HTTPS with the configured certificate and key, with HSTS', async () => {
    const { key, cert } = selfSignedLoopback(tmp.path, 'localhost');
    const running = await startServer({ env: { ...baseEnv(), MAILSETUP_TLS_CERT: cert, MAILSETUP_TLS_KEY: key }, write: () => {}, cwd: tmp.path });
    try {
      expect(running.url).toMatch(/^https:\/\//);
      const { status, hsts } = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
        httpsGet(`${running.url}/healthz`, { ca: readFileSync(cert) }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'] });
        }).on('error', reject);
      });
      expect(status).toBe(200);
      expect(hsts).toMatch(/max-age=\d+/);
    } finally {
      await running.close();
    }
  });

  it('refuses half a TLS configuration and unreadable files with a clear error', async () => {
    await expect(startServer({ env: { ...baseEnv(), MAILSETUP_TLS_CERT: '/nowhere/cert.pem' }, write: () => {} })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: 'MAILSETUP_TLS_CERT',
    });
    await expect(
      startServer({ env: { ...baseEnv(), MAILSETUP_TLS_CERT: '/nowhere/cert.pem', MAILSETUP_TLS_KEY: '/nowhere/key.pem' }, write: () => {}, cwd: tmp.path }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: 'MAILSETUP_TLS_CERT' });
  });
});

describe('mailsetup serve', () => {
  it('explains itself and refuses a bad port', async () => {
    const help = await runCli(['serve', '--help'], { cwd: tmp.path });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--port PORT');
    const bad = await runCli(['serve', '--port', 'eighty'], { cwd: tmp.path });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--port: "eighty" is not a port number');
  });
});
