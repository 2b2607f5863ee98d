// Apple devices' profile URL (GET /email.mobileconfig), answered in front of express: the answer
// any route of the web app gives (every security header, the request id, the request and
// autodiscovery log lines, the per-client limit behind trusted proxies, JSON errors), routed as
// express would route it, and every other request still reaching express.
import { expect } from '@jest/globals';
import { createServer, get as httpGet, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import proxyaddr from 'proxy-addr';
import request from 'supertest';
import { compileTrustProxy } from '../../src/http/front.js';
import { apiError, binaryParser, captureLogger, opensslVerify, testApp, testSigning, type TestSigning } from './helpers.js';

let signing: TestSigning;
beforeAll(async () => {
  signing = await testSigning();
});
afterAll(() => signing.remove());

const PROFILE = '/email.mobileconfig?email=ivan.petrov%40nstu.ru&name=Ivan';

/** The headers a route sets for its own answer (its limit's among them); every other header comes from the app's middleware. */
const OWN = new Set([
  'ratelimit',
  'ratelimit-policy',
  'content-type',
  'content-length',
  'content-disposition',
  'cache-control',
  'etag',
  'date',
  'connection',
  'keep-alive',
  'x-request-id',
  'vary',
  'x-mailsetup-signed',
]);

describe('GET /email.mobileconfig in front of express', () => {
  it('sends the signed profile with every header the middleware gives the app’s other answers', async () => {
    {
      const { app } = testApp({ signer: signing.signer });
      const other = await request(app).get('/healthz');
      const file = await request(app).get(PROFILE).buffer(true).parse(binaryParser);
      expect(file.status).toBe(200);
      expect(file.headers['content-type']).toBe('application/x-apple-aspen-config');
      expect(file.headers['x-mailsetup-signed']).toBe('true');
      expect(opensslVerify(file.body as Buffer, signing.caFile, signing.dir).toString('utf8')).toContain('ivan.petrov@nstu.ru');
      const middleware = Object.keys(other.headers).filter((name) => !OWN.has(name));
      expect(middleware).toEqual(expect.arrayContaining(['content-security-policy', 'x-frame-options', 'referrer-policy', 'x-content-type-options']));
      for (const name of middleware) expect([name, file.headers[name]]).toEqual([name, other.headers[name]]);
      for (const name of Object.keys(file.headers).filter((n) => !OWN.has(n))) expect(middleware).toContain(name);
    }
  });

  it('echoes a sane X-Request-Id, makes one otherwise, and logs the request and the answer without the query', async () => {
    const log = captureLogger();
    const { app } = testApp({ signer: signing.signer, logger: log.logger });
    const given = await request(app).get(PROFILE).set('X-Request-Id', 'proxy-42');
    expect(given.headers['x-request-id']).toBe('proxy-42');
    const made = await request(app).get(PROFILE).set('X-Request-Id', 'no spaces allowed');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(log.lines).toContainEqual({
      level: 'info',
      message: 'request',
      fields: expect.objectContaining({ requestId: 'proxy-42', method: 'GET', path: '/email.mobileconfig', status: 200 }) as unknown,
    });
    expect(log.lines).toContainEqual({
      level: 'info',
      message: 'autodiscovery',
      fields: expect.objectContaining({ requestId: 'proxy-42', endpoint: 'mobileconfig', address: 'ivan.petrov@nstu.ru', domain: 'nstu.ru' }) as unknown,
    });
    expect(log.text()).not.toContain('name=Ivan');
  });

  it('is routed as express routes a GET: HEAD, any case, a trailing slash; other methods and paths go on to express', async () => {
    const { app } = testApp({ signer: signing.signer });
    const head = await request(app).head(PROFILE);
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    const odd = await request(app).get('/Email.MobileConfig/?email=ivan.petrov%40nstu.ru&name=Ivan').buffer(true).parse(binaryParser);
    expect(odd.status).toBe(200);
    expect((odd.body as Buffer).length).toBe(Number(head.headers['content-length']));
    const post = await request(app).post(PROFILE);
    expect(post.status).toBe(404);
    expect(post.headers['content-type']).toMatch(/^text\/html/);
    expect((await request(app).get('/email.mobileconfig.zip?email=ivan.petrov%40nstu.ru')).status).toBe(404);
    // The absolute form of a request target (RFC 9112 §3.2.2), which a server must accept too.
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const absolute = await new Promise<{ status: number | undefined; type: string | undefined }>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port, path: `http://setup.example.org${PROFILE}` }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] }));
        }).on('error', reject);
      });
      expect(absolute).toEqual({ status: 200, type: 'application/x-apple-aspen-config' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses with the app’s JSON errors, never cached, with the same headers', async () => {
    const { app } = testApp({ signer: signing.signer });
    const twice = await request(app).get('/email.mobileconfig?email=a%40nstu.ru&email=b%40nstu.ru');
    expect(twice.status).toBe(400);
    expect(twice.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(twice.headers['cache-control']).toBe('no-store');
    expect(twice.headers['x-frame-options']).toBe('DENY');
    expect(apiError(twice)).toMatchObject({ code: 'INVALID_INPUT', field: 'email', rule: 'single-value' });
    const hidden = await request(app).get('/email.mobileconfig?email=a%40nstu.ru&PassWord=secret');
    expect(apiError(hidden)).toMatchObject({ field: 'password', rule: 'password-in-url' });
    expect(hidden.text).not.toContain('secret');
    const device = await request(app).get('/email.mobileconfig?email=a%40nstu.ru&device=toaster');
    expect(apiError(device)).toMatchObject({ code: 'INVALID_INPUT', field: 'device' });
  });

  it('limits each client per minute, telling clients behind a trusted proxy apart and no one else', async () => {
    const client = (app: Parameters<typeof request>[0], address: string) => request(app).get(PROFILE).set('X-Forwarded-For', address);
    const proxied = testApp({ signer: signing.signer, env: { MAILSETUP_RATE_LIMIT: '2', MAILSETUP_TRUST_PROXY: 'loopback' } }).app;
    expect((await client(proxied, '203.0.113.5')).status).toBe(200);
    const second = await client(proxied, '203.0.113.5');
    expect(second.status).toBe(200);
    expect(second.headers.ratelimit).toMatch(/r=0/);
    const third = await client(proxied, '203.0.113.5');
    expect(third.status).toBe(429);
    expect(apiError(third)).toMatchObject({ code: 'RATE_LIMITED', field: 'client', rule: 'rate-limit' });
    expect((await client(proxied, '203.0.113.6')).status).toBe(200);

    // Without a trusted proxy X-Forwarded-For is anybody's to write: one client, one count.
    const direct = testApp({ signer: signing.signer, env: { MAILSETUP_RATE_LIMIT: '2' } }).app;
    expect((await client(direct, '203.0.113.5')).status).toBe(200);
    expect((await client(direct, '203.0.113.6')).status).toBe(200);
    expect((await client(direct, '203.0.113.7')).status).toBe(429);
  });

  it('works out the client address as express does, for every kind of MAILSETUP_TRUST_PROXY', async () => {
    const chains = [
      undefined,
      '203.0.113.5',
      '203.0.113.5, 10.1.2.3',
      '198.51.100.7, 203.0.113.5, 127.0.0.1',
      'fd00::1, 10.0.0.2',
      'not-an-address, 203.0.113.9',
    ];
    for (const setting of [false, true, 1, 2, 'loopback', '127.0.0.1, 10.0.0.0/8', 'uniquelocal, loopback']) {
      const theirs = express();
      theirs.set('trust proxy', setting);
      theirs.get('/ip', (req, res) => res.send(req.ip));
      const trust = compileTrustProxy(setting);
      const ours = (req: IncomingMessage, res: ServerResponse) => res.end(proxyaddr(req, trust));
      for (const chain of chains) {
        const ask = (app: Parameters<typeof request>[0]) => {
          const asked = request(app).get('/ip');
          return (chain === undefined ? asked : asked.set('X-Forwarded-For', chain)).then((r) => r.text);
        };
        expect([setting, chain, await ask(ours)]).toEqual([setting, chain, await ask(theirs)]);
      }
    }
  });

  it('keeps serving when answering itself fails (here: the log refuses a line)', async () => {
    const errors: string[] = [];
    const logger = {
      info: () => undefined,
      warn: () => {
        throw new Error('log full');
      },
      error: (fields: Record<string, unknown>) => void errors.push(String(fields.error)),
    };
    const { app } = testApp({ signer: signing.signer, logger });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // A refusal is logged as a warning, which throws: the connection is closed, not left hanging.
      await expect(fetch(`http://127.0.0.1:${port}/email.mobileconfig`)).rejects.toThrow();
      expect(errors).toEqual(['log full']);
      const next = await fetch(`http://127.0.0.1:${port}${PROFILE}`);
      expect(next.status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
