// The plain-HTTP port beside HTTPS, in memory: ACME HTTP-01 answers, the autoconfig files mail
// clients fetch over http, and redirects to https that keep the path and never leave our names.
import { describe, expect, it } from '@jest/globals';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { plainHttpHandler } from '../../src/http/plain-http.js';
import { AcmeChallenges } from '../../src/signing/acme-challenges.js';

function handler(options: { app?: RequestListener; hosts?: string[]; httpsPort?: number } = {}) {
  const challenges = new AcmeChallenges();
  challenges.addHttp('tok_EN-1', 'tok_EN-1.thumbprint');
  const app: RequestListener | undefined = options.app;
  return plainHttpHandler({
    challenges,
    hosts: options.hosts ?? ['setup.example.org', 'autoconfig.example.org'],
    httpsPort: () => options.httpsPort ?? 443,
    app: () => app,
  });
}

describe('the plain-HTTP port', () => {
  it('answers a pending HTTP-01 challenge with its key authorization, and nothing else under the challenge path', async () => {
    const res = await request(handler()).get('/.well-known/acme-challenge/tok_EN-1').set('Host', 'setup.example.org');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('tok_EN-1.thumbprint');
    for (const path of ['/.well-known/acme-challenge/other', '/.well-known/acme-challenge/tok_EN-1/x', '/.well-known/acme-challenge/..%2f']) {
      expect((await request(handler()).get(path)).status).toBe(404);
    }
  });

  it('hands the autoconfig files to the app over http, and says "starting" until there is one', async () => {
    const app: RequestListener = (req, res) => res.end(`app ${req.url}`);
    for (const path of ['/mail/config-v1.1.xml?emailaddress=a%40example.org', '/.well-known/autoconfig/mail/config-v1.1.xml']) {
      const res = await request(handler({ app })).get(path).set('Host', 'autoconfig.example.org');
      expect(res.status).toBe(200);
      expect(res.text).toBe(`app ${path}`);
    }
    const early = await request(handler()).get('/mail/config-v1.1.xml');
    expect(early.status).toBe(503);
    expect(early.headers['retry-after']).toBe('5');
  });

  it('redirects everything else to https on the name asked for (or the first name), keeping path and query', async () => {
    const page = await request(handler()).get('/setup?email=a%40example.org').set('Host', 'autoconfig.example.org');
    expect(page.status).toBe(301);
    expect(page.headers.location).toBe('https://autoconfig.example.org/setup?email=a%40example.org');
    const other = await request(handler({ httpsPort: 8443 }))
      .get('/')
      .set('Host', 'evil.example:80');
    expect(other.headers.location).toBe('https://setup.example.org:8443/');
    const post = await request(handler()).post('/api/profile').set('Host', 'setup.example.org').send({ email: 'a@example.org' });
    expect(post.status).toBe(308);
    // Outlook's Autodiscover "HTTP redirect method" expects a 302.
    const autodiscover = await request(handler()).get('/autodiscover/autodiscover.xml').set('Host', 'setup.example.org');
    expect(autodiscover.status).toBe(302);
    expect(autodiscover.headers.location).toBe('https://setup.example.org/autodiscover/autodiscover.xml');
  });

  it('without known names, redirects to the name asked for only when it is a plain host name', async () => {
    const ok = await request(handler({ hosts: [] }))
      .get('/x')
      .set('Host', 'mail.example.org');
    expect(ok.headers.location).toBe('https://mail.example.org/x');
    const odd = await request(handler({ hosts: [] }))
      .get('/x')
      .set('Host', 'a/b@evil');
    expect(odd.status).toBe(400);
  });
});
