// Hardening: security headers, rate limits per client (and behind a trusted proxy), request ids,
// passwords never in logs or URLs, internal errors without internals, no prose in the code.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import ts from 'typescript';
import type { Signer } from '../../src/signing/signer.js';
import { apiError, captureLogger, testApp } from './helpers.js';

const SECRET = 'Pa55-Hunter2-Secret';

describe('security headers', () => {
  it('sends a strict CSP and the usual protections on pages, API and files', async () => {
    const { app } = testApp();
    for (const res of [
      await request(app).get('/'),
      await request(app).get('/api/providers'),
      await request(app).post('/api/profile').send({ email: 'a@nstu.ru', unsigned: true }),
    ]) {
      const csp = res.headers['content-security-policy']!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toContain('unsafe');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('pages load no inline script or style, and nothing from elsewhere', async () => {
    const { app } = testApp();
    const html = (await request(app).get('/setup?email=ivan@nstu.ru&device=ios').set('User-Agent', 'Windows NT 10.0')).text;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/)/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
    // Nothing is loaded from elsewhere; links to the provider's own help pages (issue 15) open it without a referrer.
    expect(html).not.toMatch(/\ssrc="(https?:)?\/\/(?!127\.0\.0\.1)/);
    expect(html).not.toMatch(/<link[^>]*href="(https?:)?\/\//);
    const external = [...html.matchAll(/<a [^>]*href="(https?:)?\/\/(?!127\.0\.0\.1)[^>]*>/g)].map((m) => m[0]);
    expect(external.length).toBeGreaterThan(0);
    for (const link of external) expect(link).toContain('rel="noopener noreferrer"');
  });
});

describe('rate limits on generation endpoints', () => {
  it('limits each client and answers 429 as JSON on the API and as a page on the form', async () => {
    const { app } = testApp({ env: { MAILSETUP_RATE_LIMIT: '2' } });
    const body = { email: 'ivan@nstu.ru', unsigned: true };
    await request(app).post('/api/profile').send(body).expect(200);
    await request(app).post('/api/profile').send(body).expect(200);
    const limited = await request(app).post('/api/profile').send(body).expect(429);
    expect(apiError(limited)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.headers['retry-after']).toBeDefined();
    const form = await request(app).post('/download').type('form').send({ email: 'ivan@nstu.ru', device: 'ios' }).expect(429);
    expect(form.headers['content-type']).toMatch(/^text\/html/);
    expect(form.text).toContain('Too many files were requested');
    // Looking things up and reading pages is not limited.
    await request(app).get('/api/lookup?email=ivan@nstu.ru').expect(200);
    await request(app).get('/setup?email=ivan@nstu.ru&device=ios').expect(200);
  });

  it('tells clients apart by X-Forwarded-For only when the proxy is trusted', async () => {
    const body = { email: 'ivan@nstu.ru', unsigned: true };
    const trusted = testApp({ env: { MAILSETUP_RATE_LIMIT: '1', MAILSETUP_TRUST_PROXY: 'loopback' } }).app;
    await request(trusted).post('/api/profile').set('X-Forwarded-For', '203.0.113.1').send(body).expect(200);
    await request(trusted).post('/api/profile').set('X-Forwarded-For', '203.0.113.2').send(body).expect(200);
    await request(trusted).post('/api/profile').set('X-Forwarded-For', '203.0.113.1').send(body).expect(429);
    const untrusted = testApp({ env: { MAILSETUP_RATE_LIMIT: '1' } }).app;
    await request(untrusted).post('/api/profile').set('X-Forwarded-For', '203.0.113.1').send(body).expect(200);
    await request(untrusted).post('/api/profile').set('X-Forwarded-For', '203.0.113.2').send(body).expect(429);
  });

  it('can be turned off with 0', async () => {
    const { app } = testApp({ env: { MAILSETUP_RATE_LIMIT: '0' } });
    for (let i = 0; i < 5; i++) await request(app).post('/api/profile').send({ email: 'ivan@nstu.ru', unsigned: true }).expect(200);
  });
});

describe('request ids and logs', () => {
  it('keeps a sane incoming request id, replaces others, and logs each request with it', async () => {
    const log = captureLogger();
    const { app } = testApp({ logger: log.logger });
    const kept = await request(app).get('/').set('X-Request-Id', 'proxy-1234').expect(200);
    expect(kept.headers['x-request-id']).toBe('proxy-1234');
    const replaced = await request(app).get('/').set('X-Request-Id', 'bad id\u00e9<script>').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const ids = log.lines.filter((l) => l.message === 'request').map((l) => l.fields.requestId);
    expect(ids).toEqual(['proxy-1234', replaced.headers['x-request-id']]);
    await request(app).get('/api/lookup?email=ivan@nstu.ru').expect(200);
    expect(log.lines.at(-1)?.fields).toMatchObject({ method: 'GET', path: '/api/lookup', status: 200 });
  });

  it('never writes a password, an address or a query string to the log', async () => {
    const log = captureLogger();
    const failing: Signer = {
      sign: () => {
        throw new Error('hardware module offline');
      },
    };
    const { app } = testApp({ logger: log.logger, signer: failing });
    await request(app).post('/download').type('form').send({ email: 'ivan.petrov@nstu.ru', device: 'ios', password: SECRET, unsigned: 'false' });
    await request(app).post('/download').type('form').send({ email: 'ivan.petrov@nstu.ru', device: 'ios', name: 'x\u0001', password: SECRET });
    await request(app).post('/api/profile').send({ email: 'ivan.petrov@nstu.ru', password: SECRET, unsigned: true }).expect(200);
    await request(app).post('/api/profile').send({ email: 'ivan.petrov@nstu.ru', password: SECRET }).expect(500);
    await request(app).post(`/api/profile?password=${SECRET}`).send({ email: 'ivan.petrov@nstu.ru' }).expect(400);
    await request(app).post('/qr').type('form').send({ email: 'ivan.petrov@nstu.ru', device: 'ios', password: SECRET }).expect(200);
    await request(app).get('/setup?email=ivan.petrov@nstu.ru&device=ios').expect(200);
    await request(app).post('/api/profile').set('Content-Type', 'application/json').send(`{"email":"ivan.petrov@nstu.ru","password":"${SECRET}"`).expect(400);
    const text = log.text();
    expect(log.lines.filter((l) => l.message === 'request')).toHaveLength(8);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('Hunter2');
    expect(text).not.toContain('ivan.petrov');
    expect(text).not.toContain('?');
    // Operators still learn what broke.
    expect(log.lines.find((l) => l.level === 'error')?.fields).toMatchObject({ code: 'INTERNAL', error: 'hardware module offline' });
  });

  it('answers internal errors without internals', async () => {
    const failing: Signer = {
      sign: () => {
        throw new Error('hardware module offline at /opt/hsm');
      },
    };
    const { app } = testApp({ signer: failing });
    const api = await request(app).post('/api/profile').send({ email: 'ivan@nstu.ru' }).expect(500);
    expect(api.body).toEqual({ error: { code: 'INTERNAL', message: 'Something went wrong inside mailsetup.' } });
    const page = await request(app).post('/download').type('form').send({ email: 'ivan@nstu.ru', device: 'ios' }).expect(500);
    expect(page.text).toContain('Something went wrong on our side.');
    expect(page.text).not.toContain('hsm');
    expect(page.text).not.toContain('at ');
  });
});

describe('passwords never travel in URLs', () => {
  it('posts the password field, and no page links or redirects carry one', async () => {
    const { app } = testApp();
    const setup = await request(app).get('/setup?email=ivan@nstu.ru&device=ios').set('User-Agent', 'Windows NT 10.0');
    const form = /<form method="(\w+)" action="\/download"[\s\S]*?<\/form>/.exec(setup.text)!;
    expect(form[1]).toBe('post');
    expect(form[0]).toContain('name="password"');
    // The choices form (GET) has no password field.
    const choices = /<form method="get" action="\/setup"[\s\S]*?<\/form>/.exec(setup.text)![0];
    expect(choices).not.toContain('password');
    const failed = await request(app).post('/download').type('form').send({ email: 'ivan@nstu.ru', device: 'ios', name: 'a\u0001', password: SECRET });
    expect(failed.status).toBe(400);
    expect(failed.text).not.toContain(SECRET);
    for (const href of failed.text.match(/(href|action)="[^"]*"/g) ?? []) expect(href.toLowerCase()).not.toContain('password');
  });

  it('ignores a password in the query string of pages and refuses it on the API', async () => {
    const { app } = testApp();
    const page = await request(app).get(`/setup?email=ivan@nstu.ru&device=ios&password=${SECRET}`).expect(200);
    expect(page.text).not.toContain(SECRET);
    await request(app).get(`/api/lookup?email=ivan@nstu.ru&password=${SECRET}`).expect(400);
  });
});

describe('user-facing text lives in templates/', () => {
  const root = fileURLToPath(new URL('../../src/', import.meta.url));
  // Files of the web layer owned elsewhere (autodiscovery, admin) are checked by their own tests.
  // Every module of the web layer, the page modules in http/pages/ included.
  const files = [
    ...readdirSync(join(root, 'http'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !/^(autodiscovery|admin|address-log)/.test(f))
      .map((f) => join(root, 'http', f)),
    join(root, 'server.ts'),
  ];

  it('reads the page modules too', () => {
    expect(files).toContain(join(root, 'http', 'pages', 'setup.ts'));
  });

  /** String literals and template-literal texts, read with the TypeScript parser. */
  function literalsOf(file: string): string[] {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
      // Messages for programmers and operators (thrown Error and MailsetupError constructors) are
      // English by design; what people read in the browser comes from templates/.
      if (ts.isNewExpression(node) && /Error$/.test(node.expression.getText(source))) return;
      if (ts.isImportDeclaration(node)) return;
      if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.push(node.text);
      else if (ts.isTemplateExpression(node)) found.push([node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' '));
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  }

  it.each(files.map((f) => [f.slice(root.length), f]))('%s has no prose in string literals', (_name, file) => {
    // Prose: three or more words of letters separated by spaces.
    const prose = literalsOf(file).filter((text) => /\p{L}{2,}[ ,]+\p{L}{2,}[ ,]+\p{L}{2,}/u.test(text));
    expect(prose).toEqual([]);
  });

  it('finds prose when there is some', () => {
    expect(literalsOf(fileURLToPath(import.meta.url)).some((text) => text.includes('Something went wrong on our side.'))).toBe(true);
  });
});
