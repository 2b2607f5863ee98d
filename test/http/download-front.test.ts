// The setup form's download (POST /download), answered in front of express while it yields a
// file: the file and headers the express route gives the same form, the page answers (a field to
// correct, the limit, a body that cannot be read) still express's, and each step of a request (its
// count against the limit, its body, its file) taken once when the front hands a request on.
import { expect } from '@jest/globals';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { isSecure, compileTrustProxy, oncePer, oncePerRequest } from '../../src/http/front.js';
import { createApp } from '../../src/http/app.js';
import type { AppDeps } from '../../src/http/deps.js';
import { inlineGeneration, type Generate } from '../../src/http/generation.js';
import { DOWNLOAD_COOKIE, downloadCookie } from '../../src/http/pages/kit.js';
import { isFormDownload } from '../../src/http/pages/download.js';
import { binaryParser, captureLogger, opensslVerify, testApp, testSigning, visible, type TestSigning } from './helpers.js';

let signing: TestSigning;
beforeAll(async () => {
  signing = await testSigning();
});
afterAll(() => signing.remove());

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const FORM = { email: 'ivan.petrov@nstu.ru', device: 'ios', name: 'Иван Петров', language: 'ru', variant: 'default', type: 'imap', download_id: 'abcdef1234' };
type App = Parameters<typeof request>[0];

/**
 * The form posted to /download, or (`viaExpress`) to /download?via=express: a query string the
 * route ignores, which the front leaves to express, so the two answers can be compared.
 */
const post = (app: App, form: Record<string, string>, viaExpress = false) =>
  request(app)
    .post(viaExpress ? '/download?via=express' : '/download')
    .set('User-Agent', IPHONE)
    .type('form')
    .send(form)
    .buffer(true)
    .parse(binaryParser);

/** Headers that differ between any two answers (time, id, the limit's remaining count). */
const PER_ANSWER = new Set(['date', 'x-request-id', 'ratelimit', 'connection', 'keep-alive']);
const headersOf = (res: { headers: Record<string, unknown> }) =>
  Object.fromEntries(
    Object.entries(res.headers)
      .filter(([name]) => !PER_ANSWER.has(name))
      .map(([name, value]) => [name, name === 'set-cookie' ? String(value).replace(/Expires=[^;]+/, 'Expires=…') : value]),
  );

describe('POST /download in front of express', () => {
  it('answers a form with the file, the headers and the download mark the express route gives it', async () => {
    const { app } = testApp({ signer: signing.signer });
    const front = await post(app, FORM);
    const routed = await post(app, FORM, true);
    expect(front.status).toBe(200);
    expect(front.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(front.headers['x-mailsetup-signed']).toBe('true');
    expect(front.headers['set-cookie']).toEqual([expect.stringMatching(/^mailsetup_download=abcdef1234; Max-Age=60; Path=\/; Expires=/)]);
    expect(headersOf(front)).toEqual(headersOf(routed));
    // The same profile inside both signatures (the signing time is outside the content).
    const profile = opensslVerify(front.body as Buffer, signing.caFile, signing.dir).toString('utf8');
    expect(profile).toContain('ivan.petrov@nstu.ru');
    expect(profile).toBe(opensslVerify(routed.body as Buffer, signing.caFile, signing.dir).toString('utf8'));
  });

  it('makes the file in the language the express route would: the posted field, else the cookie, else the browser’s', async () => {
    const { app } = testApp({ signer: signing.signer });
    const { language: _posted, ...unposted } = FORM;
    const cases = [
      { form: FORM, headers: { 'accept-language': 'de' } },
      { form: unposted, headers: { cookie: 'mailsetup_lang=ru' } },
      { form: unposted, headers: { 'accept-language': 'ru-RU,ru;q=0.9' } },
      { form: unposted, headers: { cookie: 'mailsetup_lang=xx', 'accept-language': 'sv' } },
    ];
    const contents = new Set<string>();
    for (const { form, headers } of cases) {
      const ask = (viaExpress: boolean) => post(app, form, viaExpress).set(headers);
      const [front, routed] = [await ask(false), await ask(true)];
      expect([front.status, front.headers['content-disposition']]).toEqual([200, routed.headers['content-disposition']]);
      const content = opensslVerify(front.body as Buffer, signing.caFile, signing.dir).toString('utf8');
      expect(content).toBe(opensslVerify(routed.body as Buffer, signing.caFile, signing.dir).toString('utf8'));
      contents.add(content);
    }
    // The cases give different files: the language is not a constant both paths happen to share.
    expect(contents.size).toBeGreaterThan(1);
  });

  it('leaves every answer that is a page to express: the same status and text as the route gives', async () => {
    const { app } = testApp({ signer: signing.signer });
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, 'x']));
    for (const form of [
      { ...FORM, email: 'not an address' },
      { ...FORM, device: 'palm' },
      { ...FORM, device: 'thunderbird' },
      { ...FORM, ...many },
    ]) {
      const [front, routed] = [await post(app, form), await post(app, form, true)];
      expect(front.status).toBeGreaterThanOrEqual(400);
      expect(front.headers['content-type']).toMatch(/^text\/html/);
      expect(front.headers['set-cookie']).toBeUndefined();
      const text = (res: { body: unknown }) => visible((res.body as Buffer).toString('utf8'));
      expect([front.status, text(front)]).toEqual([routed.status, text(routed)]);
    }
    // A body that is not a form reaches express unread, as before.
    const json = await request(app).post('/download').send({ email: 'ivan@nstu.ru', device: 'ios' });
    expect(json.status).toBe(400);
    expect(visible(json.text)).toContain('device');
  });

  it('counts a request once against the limit, also when express answers it with a page', async () => {
    const { app } = testApp({ signer: signing.signer, env: { MAILSETUP_RATE_LIMIT: '3' } });
    // A form to correct: the front counts it, then hands it to express for the page.
    expect((await post(app, { ...FORM, email: 'not an address' })).status).toBe(400);
    expect((await post(app, FORM)).status).toBe(200);
    // Answered by express alone: the same count.
    expect((await post(app, FORM, true)).status).toBe(200);
    const refused = await post(app, FORM);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^text\/html/);
    expect(refused.headers.ratelimit).toMatch(/r=0/);
  });

  it('makes a file once per request, also when express answers with a page', async () => {
    const { deps } = testApp({ signer: signing.signer });
    let made = 0;
    const inline = inlineGeneration(deps);
    const counted: Generate = (asked) => {
      made++;
      return inline(asked);
    };
    const app = createApp({ ...deps, generate: counted });
    expect((await post(app, FORM)).status).toBe(200);
    expect(made).toBe(1);
    // An address no provider serves: the request is a valid one, its file is refused, the page says why.
    const unknown = await post(app, { ...FORM, email: 'someone@unknown-mail.example' });
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.headers['content-type']).toMatch(/^text\/html/);
    expect(made).toBe(2);
  });

  it('logs one request line per request with the id it answers with, for files and pages alike', async () => {
    const log = captureLogger();
    const { app } = testApp({ signer: signing.signer, logger: log.logger });
    const file = await post(app, FORM).set('X-Request-Id', 'proxy-7');
    const page = await post(app, { ...FORM, email: 'not an address' }).set('X-Request-Id', 'proxy-8');
    expect([file.headers['x-request-id'], page.headers['x-request-id']]).toEqual(['proxy-7', 'proxy-8']);
    const lines = log.lines.filter((line) => line.message === 'request');
    expect(lines.map((line) => [line.fields.requestId, line.fields.path, line.fields.status])).toEqual([
      ['proxy-7', '/download', 200],
      ['proxy-8', '/download', 400],
    ]);
    expect(log.text()).not.toContain('ivan.petrov');
  });

  it('takes only POST /download as express routes it, with no query string', () => {
    const asked = (method: string, url: string) => isFormDownload({ method, url } as IncomingMessage);
    expect(asked('POST', '/download')).toBe(true);
    expect(asked('POST', '/Download/')).toBe(true);
    expect(asked('POST', 'http://setup.example.org/download')).toBe(true);
    expect(asked('POST', '/download?lang=ru')).toBe(false);
    expect(asked('GET', '/download')).toBe(false);
    expect(asked('POST', '/download.zip')).toBe(false);
    expect(asked('POST', '/downloads')).toBe(false);
  });

  it('writes the download mark as express’s res.cookie does', async () => {
    const theirs = express();
    theirs.get('/', (req, res) => {
      res.cookie(DOWNLOAD_COOKIE, 'abcdef1234', { path: '/', maxAge: 60_000, sameSite: 'strict', httpOnly: false, secure: req.query.secure === '1' });
      res.end();
    });
    for (const secure of [false, true]) {
      const written = String((await request(theirs).get(secure ? '/?secure=1' : '/')).headers['set-cookie']);
      const expires = Date.parse(/Expires=([^;]+)/.exec(written)![1]!);
      expect(downloadCookie('abcdef1234', secure, expires - 60_000)).toBe(written);
    }
    expect(downloadCookie('UPPER-case', false, 0)).toBeUndefined();
    expect(downloadCookie(['abcdef1234'], false, 0)).toBeUndefined();
  });

  it('says a request came over HTTPS exactly when express’s req.secure does', async () => {
    const protos = [undefined, 'https', 'http', 'https, http', 'HTTPS', ' https '];
    for (const setting of [false, true, 1, 'loopback', '10.0.0.0/8']) {
      const theirs = express();
      theirs.set('trust proxy', setting);
      theirs.get('/', (req, res) => res.send(String(req.secure)));
      const trust = compileTrustProxy(setting);
      const ours = (req: IncomingMessage, res: ServerResponse) => res.end(String(isSecure(req, trust)));
      for (const proto of protos) {
        const ask = (app: App) => {
          const asked = request(app).get('/');
          return (proto === undefined ? asked : asked.set('X-Forwarded-Proto', proto)).then((r) => r.text);
        };
        expect([setting, proto, await ask(ours)]).toEqual([setting, proto, await ask(theirs)]);
      }
    }
  });

  it('keeps serving when sending the file fails (here: a header no HTTP answer may carry)', async () => {
    const errors: string[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (fields: Record<string, unknown>) => void errors.push(String(fields.error)) };
    const { deps } = testApp({ signer: signing.signer });
    const inline = inlineGeneration(deps);
    const generate: Generate = async (asked) => {
      const file = await inline(asked);
      return asked.name === 'Broken' ? { ...file, contentType: 'application/x-apple-aspen-config\r\nX-Injected: 1' } : file;
    };
    const app = createApp({ ...deps, logger, generate } satisfies AppDeps);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const send = (name: string) =>
        fetch(`http://127.0.0.1:${port}/download`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ ...FORM, name }),
        });
      await expect(send('Broken')).rejects.toThrow();
      expect(errors).toEqual([expect.stringContaining('Content-Type')]);
      expect((await send('Anna')).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('steps taken once', () => {
  it('take a step once per owner, keep owners apart, and do not keep a step that threw', () => {
    const once = oncePer<object, number>('counted');
    const [first, second] = [{}, {}];
    let taken = 0;
    const take = () => ++taken;
    expect([once(first, take), once(first, take), once(second, take)]).toEqual([1, 1, 2]);
    const owner = {};
    expect(() =>
      once(owner, () => {
        throw new Error('not yet');
      }),
    ).toThrow('not yet');
    expect(once(owner, take)).toBe(3);
    // Held under a symbol: nothing a request's own fields or a JSON copy of it would show.
    expect(Object.keys(first)).toEqual([]);
  });

  it('turn a request step that throws into the same rejection for every later ask', async () => {
    const once = oncePerRequest<string>();
    const req = {} as IncomingMessage;
    let asked = 0;
    const failing = () => {
      asked++;
      throw new Error('unreadable');
    };
    await expect(once(req, failing)).rejects.toThrow('unreadable');
    await expect(once(req, failing)).rejects.toThrow('unreadable');
    expect(asked).toBe(1);
  });
});
