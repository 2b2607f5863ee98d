// The DNS records page: HTML for browsers (content negotiation on Accept), the zone snippet as
// text/plain for everything else, errors next to the fields, in every language.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { apiError, testApp } from './helpers.js';

const PUBLIC_HOST = 'mailsetup.example.org';
const { app } = testApp({ env: { MAILSETUP_PUBLIC_HOST: PUBLIC_HOST } });
const { app: noHostApp } = testApp();
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const LANGUAGES = { en: 'en-GB,en;q=0.9', ru: 'ru-RU,ru;q=0.9,en;q=0.5', sv: 'sv-SE,sv;q=0.8' } as const;

const page = (path: string, lang: keyof typeof LANGUAGES = 'en') => request(app).get(path).set('Accept', BROWSER).set('Accept-Language', LANGUAGES[lang]);

function decode(html: string): string {
  return html
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Text with tags removed and entities decoded, to compare what people read. */
function visible(html: string): string {
  return decode(html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

function zoneOf(html: string): string {
  const match = /<pre class="zone"[^>]*>([\s\S]*?)<\/pre>/.exec(html);
  expect(match).not.toBeNull();
  return decode(match![1]!);
}

/** The table rows as cell texts. */
function rows(html: string): string[][] {
  const body = /<table class="servers dns-records">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => decode(cell[1]!)),
  );
}

describe('GET /dns/:domain negotiates on Accept', () => {
  it('a browser gets the page: the snippet in a <pre>, the records in a table, the guidance', async () => {
    const res = await page('/dns/nstu.ru').expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['vary']).toMatch(/Accept\b/);
    const zone = zoneOf(res.text);
    expect(zone).toMatch(/^_imaps\._tcp\.nstu\.ru\.\s+3600\s+IN\s+SRV\s+10 1 993 mail2\.nstu\.ru\.$/m);
    const table = rows(res.text);
    const imaps = table.find((cells) => cells[0] === '_imaps._tcp.nstu.ru.');
    expect(imaps).toEqual(['_imaps._tcp.nstu.ru.', 'SRV', 'mail2.nstu.ru.', '993 (priority 10)', 'IMAP over SSL/TLS']);
    expect(table).toContainEqual(['autoconfig.nstu.ru.', 'CNAME', `${PUBLIC_HOST}.`, '', expect.stringContaining('autoconfig.nstu.ru')]);
    expect(table).toContainEqual(['_autodiscover._tcp.nstu.ru.', 'SRV', `${PUBLIC_HOST}.`, '443 (priority 0)', expect.stringContaining('Outlook')]);
    // Every record of the snippet is a row, and the other way round.
    const zoneNames = zone
      .split('\n')
      .filter((line) => line && !line.startsWith(';'))
      .map((line) => line.split(/\s+/)[0]);
    expect(table.map((cells) => cells[0])).toEqual(zoneNames);
    const text = visible(res.text);
    expect(text).toContain('the zone of nstu.ru');
    expect(text).toContain(`TLS certificate of ${PUBLIC_HOST} must also cover both names`);
  });

  it('the <pre> block is exactly the text/plain answer, in each language', async () => {
    for (const lang of ['en', 'ru', 'sv'] as const) {
      const html = await page('/dns/nstu.ru', lang).expect(200);
      const plain = await request(app).get('/dns/nstu.ru').set('Accept-Language', LANGUAGES[lang]).expect(200);
      expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(zoneOf(html.text)).toBe(plain.text);
      // The page's own link to the plain text gives the same bytes.
      const href = decode(/<a href="([^"]+)">[^<]*<\/a> · /.exec(html.text)![1]!);
      expect(href).toContain('format=text');
      expect((await request(app).get(href).set('Accept', BROWSER)).text).toBe(plain.text);
    }
  });

  it('clients that do not ask for HTML keep text/plain; ?format= overrides Accept', async () => {
    expect((await request(app).get('/dns/nstu.ru').set('Accept', '*/*')).headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await request(app).get('/dns/nstu.ru').set('Accept', 'text/plain')).headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await page('/dns/nstu.ru?format=text')).headers['content-type']).toBe('text/plain; charset=utf-8');
    const json = await page('/dns/nstu.ru?format=json').expect(200);
    expect(json.body).toMatchObject({ domain: 'nstu.ru', serviceHost: PUBLIC_HOST });
    expect((await request(app).get('/dns/nstu.ru?format=html')).headers['content-type']).toBe('text/html; charset=utf-8');
    const bad = await page('/dns/nstu.ru?format=xml').expect(400);
    expect(apiError(bad)).toMatchObject({ field: 'format', rule: 'allowed-values' });
  });
});

describe('GET /dns: the form', () => {
  it('without a domain shows the form only; with one, the records', async () => {
    const empty = await page('/dns').expect(200);
    expect(empty.text).toContain('name="domain"');
    expect(empty.text).toContain('name="host"');
    expect(empty.text).not.toContain('<pre');
    const filled = await page('/dns?domain=nstu.ru').expect(200);
    expect(zoneOf(filled.text)).toBe((await request(app).get('/dns/nstu.ru').set('Accept-Language', LANGUAGES.en)).text);
  });

  it('the service host field points the records at another host, and the plain link keeps it', async () => {
    const res = await page('/dns?domain=nstu.ru&host=setup.example.net').expect(200);
    expect(zoneOf(res.text)).toMatch(/^autodiscover\.nstu\.ru\.\s+3600\s+IN\s+CNAME\s+setup\.example\.net\.$/m);
    expect(res.text).toContain('value="setup.example.net"');
    const href = decode(/<a href="([^"]+)">[^<]*<\/a> · /.exec(res.text)![1]!);
    expect((await request(app).get(href)).text).toBe(zoneOf(res.text));
  });

  it('unknown domain: the page with the error next to the field, 404', async () => {
    const res = await page('/dns?domain=unknown.example').expect(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/<p class="field-error" id="domain-error">We do not know the mail servers for this domain\.<\/p>/);
    expect(res.text).toContain('aria-invalid="true"');
    expect(res.text).toContain('value="unknown.example"');
    expect(res.text).not.toContain('<pre');
    expect((await page('/dns/unknown.example')).status).toBe(404);
  });

  it('not a domain: 400 naming the field; a bad service host names that field', async () => {
    const res = await page('/dns?domain=localhost').expect(400);
    expect(res.text).toMatch(/id="domain-error">Type a domain name such as example\.org\.</);
    expect(res.text).toContain('<li><a href="#domain">');
    expect((await page('/dns/localhost')).status).toBe(400);
    const host = await page('/dns?domain=nstu.ru&host=no%20such%20host').expect(400);
    expect(host.text).toMatch(/id="host-error">/);
    expect(host.text).not.toMatch(/id="domain-error"/);
    // Asked on an IP address without MAILSETUP_PUBLIC_HOST: the service host must be typed in.
    const missing = await request(noHostApp).get('/dns?domain=nstu.ru').set('Host', '127.0.0.1:8080').set('Accept', BROWSER).expect(400);
    expect(missing.text).toMatch(/id="host-error">Type the host name this service answers on/);
    const given = await request(noHostApp).get('/dns?domain=nstu.ru&host=setup.example.net').set('Host', '127.0.0.1:8080').set('Accept', BROWSER).expect(200);
    expect(zoneOf(given.text)).toContain('setup.example.net.');
  });

  it('is linked from the list of providers', async () => {
    const res = await page('/settings').expect(200);
    expect(res.text).toContain('href="/dns?lang=en"');
  });
});

describe('every language, strict CSP', () => {
  it.each(['en', 'ru', 'sv'] as const)('%s renders without untranslated keys or inline scripts', async (lang) => {
    for (const path of ['/dns', '/dns/nstu.ru', '/dns?domain=unknown.example', '/dns?domain=localhost']) {
      const res = await page(path, lang);
      expect(res.text).toContain(`<html lang="${lang}">`);
      const text = visible(res.text);
      expect(text).not.toMatch(/\b(web|dns)\.[a-zA-Z-]+\.[a-zA-Z]/);
      expect(text).not.toMatch(/\{[a-zA-Z]+\}/);
      expect(res.text).not.toMatch(/\{\{|\}\}/);
      // The language switch keeps the domain.
      for (const other of ['en', 'ru', 'sv']) expect(res.text).toMatch(new RegExp(`<a href="/dns[^"]*lang=${other}"[^>]*hreflang="${other}"`));
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.toMatch(/\son[a-z]+=|\sstyle=/);
    }
    const ru = await page('/dns/nstu.ru', 'ru');
    expect(visible(ru.text)).toContain('Записи для nstu.ru');
    expect(visible(ru.text)).toContain('IMAP через SSL/TLS');
  });
});
