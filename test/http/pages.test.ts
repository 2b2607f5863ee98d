// The self-service pages through createApp in memory: every route, in three languages, for every
// seed provider and variant; downloads verified with OpenSSL; QR links; manual settings.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { plistlibParse } from '../support/python.js';
import { binaryParser, opensslVerify, testApp, testSigning, type TestSigning, visible } from './helpers.js';
import { zipEntryNames } from '../support/zip.js';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const IPHONE_CHROME =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1';
const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

let signing: TestSigning;
let clock = Date.parse('2026-11-22T10:00:00Z');
let app: ReturnType<typeof testApp>['app'];

beforeAll(async () => {
  signing = await testSigning();
  ({ app } = testApp({ signer: signing.signer, now: () => clock }));
});
afterAll(() => signing.remove());

const get = (path: string, ua = IPHONE) => request(app).get(path).set('User-Agent', ua);
const download = (form: Record<string, string>, ua = IPHONE) =>
  request(app).post('/download').set('User-Agent', ua).type('form').send(form).buffer(true).parse(binaryParser);

function tokenFrom(html: string): string {
  const match = /\/l\/([\w-]+\.[\w-]+)/.exec(html);
  if (!match) throw new Error('no link token in the page');
  return match[1]!;
}

describe('every page, in English, Russian and Swedish', () => {
  const pages = [
    '/',
    '/setup?email=ivan.petrov@nstu.ru&device=ios',
    '/setup?email=anna@example.se&device=macos',
    '/setup?email=ivan@yandex.ru&device=thunderbird',
    '/setup?email=ivan@mail.ru&device=outlook',
    '/settings',
    '/settings/rackcorp/mn',
    '/instructions/ios',
    '/instructions/macos',
    '/instructions/outlook',
    '/instructions/thunderbird',
  ];
  const titles = { en: 'Set up your email', ru: 'Настройка почты', sv: 'Ställ in din e-post' } as const;

  it.each(pages.flatMap((path) => (['en', 'ru', 'sv'] as const).map((lang) => [path, lang] as const)))('%s in %s', async (path, lang) => {
    const res = await get(path).set('Accept-Language', { en: 'en-GB,en;q=0.9', ru: 'ru-RU,ru;q=0.9,en;q=0.5', sv: 'sv-SE,sv;q=0.8' }[lang]).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.text).toContain(`<html lang="${lang}">`);
    // A missing translation would show its key.
    expect(visible(res.text)).not.toMatch(/\bweb\.[a-zA-Z]+\.[a-zA-Z]/);
    expect(res.text).not.toMatch(/\{\{|\}\}/);
    if (path === '/') expect(res.text).toContain(titles[lang]);
  });

  it('switches language with ?lang= and remembers it in a cookie', async () => {
    const first = await get('/?lang=sv').set('Accept-Language', 'ru').expect(200);
    expect(first.text).toContain('<html lang="sv">');
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    expect(cookie).toBe('mailsetup_lang=sv');
    const next = await get('/settings').set('Accept-Language', 'ru').set('Cookie', cookie).expect(200);
    expect(next.text).toContain('<html lang="sv">');
  });

  it('links each language from every page, keeping the address', async () => {
    const res = await get('/setup?email=ivan.petrov@nstu.ru&device=ios').expect(200);
    expect(res.text).toContain('href="/setup?email=ivan.petrov%40nstu.ru&amp;device=ios&amp;lang=ru" hreflang="ru"');
  });
});

describe('the start page', () => {
  it.each([
    [IPHONE, 'ios'],
    [MAC, 'macos'],
    [WINDOWS, 'outlook'],
    ['Mozilla/5.0 (Linux; Android 14) Mobile', 'thunderbird'],
  ])('preselects the device from the browser (%s)', async (ua, device) => {
    const res = await get('/', ua).expect(200);
    expect(res.text).toContain(`value="${device}" checked`);
  });

  it('has a label for the address field and works as a plain GET form', async () => {
    const res = await get('/?email=ivan@nstu.ru').expect(200);
    expect(res.text).toMatch(/<label for="email">Email address<\/label>/);
    expect(res.text).toMatch(/<form method="get" action="\/setup"/);
    expect(res.text).toContain('value="ivan@nstu.ru"');
  });

  it('tells iPhone users of other browsers to use Safari', async () => {
    expect((await get('/', IPHONE_CHROME)).text).toContain('Open this page in Safari.');
    expect((await get('/', IPHONE)).text).not.toContain('Open this page in Safari.');
  });

  it('puts an invalid address back with the error next to the field', async () => {
    const res = await get('/setup?email=ivan%40nstu&device=ios').expect(400);
    expect(res.text).toContain('aria-invalid="true"');
    expect(res.text).toMatch(/<p class="field-error" id="email-error">The part after @ is not a valid mail domain\.<\/p>/);
    expect(res.text).toContain('<a href="#email">');
  });
});

describe('the setup page for every seed provider and variant', () => {
  it.each([
    ['ivan.petrov@nstu.ru', {}, 'NSTU', ['mail2.nstu.ru', '993', '587', 'ivan.petrov@corp.nstu.ru']],
    ['olga@mail.ru', {}, 'Mail.ru', ['imap.mail.ru', 'smtp.mail.ru', '465']],
    ['olga@bk.ru', { type: 'pop' }, 'Mail.ru', ['pop.mail.ru', '995']],
    ['petr@yandex.ru', {}, 'Yandex Mail', ['imap.yandex.ru', 'Turn on access by mail clients']],
    ['petr@yandex.com', {}, 'Yandex Mail', ['imap.yandex.com', 'smtp.yandex.com']],
    ['boss@example.com', { provider: 'rackcorp' }, 'RackCorp', ['mail.rackcorp.com', '993', '465']],
    ['boss@example.com', { provider: 'rackcorp', variant: 'us' }, 'RackCorp', ['mail.us.rackcorp.com']],
    ['boss@example.com', { provider: 'rackcorp', variant: 'mn' }, 'RackCorp', ['mail.mn.rackcorp.com']],
    ['boss@example.com', { provider: 'rackcorp', type: 'exchange' }, 'RackCorp', ['mail.ex1.rackcorp.com', 'Exchange server']],
  ])('%s %j shows %s and its servers', async (email, extra, provider, expected) => {
    const query = new URLSearchParams({ email, device: 'ios', ...extra });
    const res = await get(`/setup?${query.toString()}`).expect(200);
    const text = visible(res.text);
    expect(text).toContain(provider);
    for (const value of expected) expect(text).toContain(value);
  });

  it('offers the variants and account types the provider has, and only then', async () => {
    const rackcorp = await get('/setup?email=boss@example.com&provider=rackcorp&device=ios');
    expect(rackcorp.text).toContain('<select id="variant" name="variant">');
    expect(rackcorp.text).toContain('<option value="exchange"');
    const nstu = await get('/setup?email=ivan@nstu.ru&device=ios');
    expect(nstu.text).not.toContain('id="variant"');
    expect(nstu.text).toContain('<option value="pop"');
    expect(nstu.text).not.toContain('<option value="exchange"');
  });

  it('asks for servers by hand for an unknown domain, and offers the hosting providers', async () => {
    const res = await get('/setup?email=anna@example.se&device=ios').expect(200);
    expect(res.text).toContain('id="incoming_host" name="incoming_host"');
    expect(res.text).toContain('My mail is hosted by RackCorp');
  });

  it('explains the password honestly, hides it when the operator forbids it', async () => {
    const res = await get('/setup?email=ivan@nstu.ru&device=ios');
    expect(res.text).toContain('type="password"');
    expect(visible(res.text)).toContain('anyone who gets the file can read it');
    const { app: strict } = testApp({ env: { MAILSETUP_ALLOW_PASSWORD: 'false' } });
    const forbidding = await request(strict).get('/setup?email=ivan@nstu.ru&device=ios');
    expect(forbidding.text).not.toContain('type="password"');
    const posted = await request(strict).post('/download').type('form').send({ email: 'ivan@nstu.ru', device: 'ios', password: 'secret' }).expect(403);
    expect(posted.text).toContain('This service does not put passwords into files.');
  });

  it('shows the steps for each device', async () => {
    expect(visible((await get('/setup?email=ivan@nstu.ru&device=ios')).text)).toContain('Install within 8 minutes');
    const mac = await get('/setup?email=ivan@nstu.ru&device=macos', MAC);
    expect(mac.text).toContain('href="x-apple.systempreferences:com.apple.preferences.configurationprofiles"');
    const outlook = await get('/setup?email=ivan@nstu.ru&device=outlook', WINDOWS);
    expect(visible(outlook.text)).toContain('C:\\ProgramData\\Test University IT\\mailsetup');
    expect(outlook.text).toContain('<select id="outlook" name="outlook">');
    const thunderbird = await get('/setup?email=ivan@nstu.ru&device=thunderbird', WINDOWS);
    expect(thunderbird.text).not.toContain('action="/download"');
    expect(visible(thunderbird.text)).toContain('Configure manually');
    expect(visible(thunderbird.text)).toContain('mail2.nstu.ru 110 STARTTLS');
  });
});

describe('downloads from the form', () => {
  it("gives an iPhone a signed profile in the page language that passes Apple's schema", async () => {
    const res = await download({ email: 'ivan.petrov@nstu.ru', device: 'ios', name: 'Иван Петров', language: 'ru', variant: 'default', type: 'imap' }).expect(
      200,
    );
    expect(res.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ivan.petrov@nstu.ru.mobileconfig"');
    expect(res.headers['cache-control']).toBe('no-store');
    const plist = opensslVerify(res.body as Buffer, signing.caFile, signing.dir);
    expect(validateProfileXml(plist, 'iOS')).toEqual([]);
    const profile = plistlibParse(plist) as { PayloadDescription: string; TargetDeviceType: number; PayloadContent: Record<string, unknown>[] };
    expect(profile.TargetDeviceType).toBe(1);
    expect(profile.PayloadDescription).toContain('NSTU');
    expect(profile.PayloadContent[0]).toMatchObject({ EmailAccountName: 'Иван Петров', IncomingMailServerUsername: 'ivan.petrov@corp.nstu.ru' });
  });

  it('gives a Mac a user-scoped profile for the chosen region', async () => {
    const res = await download({ email: 'boss@example.com', device: 'macos', provider: 'rackcorp', variant: 'mn', type: 'pop', language: 'sv' }, MAC).expect(
      200,
    );
    const plist = opensslVerify(res.body as Buffer, signing.caFile, signing.dir);
    expect(validateProfileXml(plist, 'macOS')).toEqual([]);
    const profile = plistlibParse(plist) as { PayloadScope: string; PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadScope).toBe('User');
    expect(profile.PayloadContent[0]).toMatchObject({ EmailAccountType: 'EmailTypePOP', IncomingMailServerHostName: 'mail.mn.rackcorp.com' });
  });

  it('gives Outlook users the setup pack', async () => {
    const res = await download({ email: 'ivan.petrov@nstu.ru', device: 'outlook', outlook: '2013', language: 'en' }, WINDOWS).expect(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ivan.petrov@nstu.ru.zip"');
    expect(await zipEntryNames(res.body as Buffer)).toEqual(expect.arrayContaining(['README.txt', 'setup.reg', 'undo.reg']));
  });

  it('builds a profile from servers typed by hand', async () => {
    const res = await download({
      email: 'anna@example.se',
      device: 'ios',
      incoming_host: 'imap.example.se',
      incoming_port: '993',
      incoming_security: 'SSL',
      outgoing_host: 'smtp.example.se',
      outgoing_port: '587',
      outgoing_security: 'STARTTLS',
      type: 'imap',
      language: 'en',
    }).expect(200);
    const profile = plistlibParse(opensslVerify(res.body as Buffer, signing.caFile, signing.dir)) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({
      IncomingMailServerHostName: 'imap.example.se',
      OutgoingMailServerPortNumber: 587,
      IncomingMailServerUsername: 'anna@example.se',
    });
  });

  it('shows errors next to their fields, in the page language, without echoing the password', async () => {
    const res = await download({
      email: 'anna@example.se',
      device: 'ios',
      incoming_host: 'imap example',
      incoming_port: '99999',
      outgoing_host: 'smtp.example.se',
      outgoing_security: 'STARTTLS',
      password: 'Hunter2-Secret',
      language: 'sv',
    });
    expect(res.status).toBe(400);
    const html = (res.body as Buffer).toString('utf8');
    expect(html).toContain('<html lang="sv">');
    expect(html).toMatch(/id="incoming_host"[^>]*value="imap example"[\s\S]{0,200}<p class="field-error">Skriv ett servernamn/);
    expect(html).toContain('<a href="#incoming_port">En port är ett heltal från 1 till 65535.</a>');
    expect(html).not.toContain('Hunter2-Secret');
    expect(html).toContain('<option value="STARTTLS" selected>');
    expect(html).toContain('skriv det igen');
  });

  it('refuses a device without a file and an unknown device', async () => {
    const thunderbird = await download({ email: 'ivan@nstu.ru', device: 'thunderbird' });
    expect(thunderbird.status).toBe(422);
    expect((thunderbird.body as Buffer).toString()).toContain('There is no file for this device');
    expect((await download({ email: 'ivan@nstu.ru', device: 'palm' })).status).toBe(400);
  });
});

describe('QR codes and short-lived links', () => {
  it('shows a QR code on a desktop for an iPhone setup, never on the phone itself', async () => {
    const desktop = await get('/setup?email=ivan.petrov@nstu.ru&device=ios', WINDOWS).expect(200);
    expect(desktop.text).toMatch(/<svg role="img" aria-label="QR code with a link to your setup profile" class="qr"/);
    expect(desktop.text).toContain('The link works for 10 minutes');
    // The steps carry inline SVG pictures (issue 15): the QR code is the one with class "qr".
    const phone = await get('/setup?email=ivan.petrov@nstu.ru&device=ios', IPHONE);
    expect(phone.text).not.toContain('class="qr"');
    const mac = await get('/setup?email=ivan.petrov@nstu.ru&device=macos', MAC);
    expect(mac.text).not.toContain('class="qr"');
    expect(mac.text).not.toContain('formaction="/qr"');
  });

  it('points the link at the public host, or at what a trusted proxy says the browser used', async () => {
    const { app: withHost } = testApp({ env: { MAILSETUP_PUBLIC_HOST: 'mail.example.org' } });
    expect((await request(withHost).get('/setup?email=ivan@nstu.ru&device=ios').set('User-Agent', WINDOWS)).text).toMatch(
      /href="https:\/\/mail\.example\.org\/l\/[\w-]+\.[\w-]+"/,
    );
    const { app: proxied } = testApp({ env: { MAILSETUP_TRUST_PROXY: 'loopback' } });
    const res = await request(proxied)
      .get('/setup?email=ivan@nstu.ru&device=ios')
      .set('User-Agent', WINDOWS)
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'setup.example.net');
    expect(res.text).toMatch(/href="https:\/\/setup\.example\.net\/l\//);
  });

  it('carries the choices but no password, and the phone gets a signed profile from it', async () => {
    const res = await request(app)
      .post('/qr')
      .set('User-Agent', WINDOWS)
      .type('form')
      .send({ email: 'ivan.petrov@nstu.ru', device: 'ios', name: 'Ivan', type: 'pop', password: 'Hunter2-Secret', language: 'en' })
      .expect(200);
    expect(res.text).toContain('The password you typed is not in the link');
    const token = tokenFrom(res.text);
    // The link is encrypted: neither the password nor anything about the person can be read from it.
    const payload = token
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'))
      .join(' ');
    for (const secret of ['Hunter2', 'ivan', 'nstu', 'Ivan', 'pop']) expect(`${token} ${payload}`).not.toContain(secret);
    const landing = await get(`/l/${token}`).expect(200);
    expect(visible(landing.text)).toContain('Incoming (POP3) mail2.nstu.ru 995');
    expect(landing.text).toContain(`href="/l/${token}/profile"`);
    const file = await get(`/l/${token}/profile`).buffer(true).parse(binaryParser).expect(200);
    expect(file.headers['content-type']).toBe('application/x-apple-aspen-config');
    const profile = plistlibParse(opensslVerify(file.body as Buffer, signing.caFile, signing.dir)) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({ EmailAccountType: 'EmailTypePOP', EmailAccountName: 'Ivan' });
  });

  it('refuses expired and altered links', async () => {
    const desktop = await get('/setup?email=ivan@nstu.ru&device=ios', WINDOWS);
    const token = tokenFrom(desktop.text);
    const [nonce, sealed] = token.split('.') as [string, string];
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length >> 1]! ^= 0x20;
    const altered = `${nonce}.${bytes.toString('base64url')}`;
    expect((await get(`/l/${altered}`)).status).toBe(404);
    expect((await get(`/l/${token}x`)).status).toBe(404);
    const saved = clock;
    clock += 11 * 60_000;
    try {
      const expired = await get(`/l/${token}/profile`).expect(404);
      expect(expired.text).toContain('This link has expired.');
    } finally {
      clock = saved;
    }
    await get(`/l/${token}/profile`).expect(200);
  });
});

describe('manual settings pages', () => {
  it('lists the providers and finds one by address', async () => {
    const list = await get('/settings').expect(200);
    for (const name of ['NSTU', 'Mail.ru', 'Yandex Mail', 'RackCorp']) expect(list.text).toContain(name);
    const found = await get('/settings?email=ivan.petrov@nstu.ru').expect(303);
    expect(found.headers.location).toBe('/settings/nstu/default?email=ivan.petrov%40nstu.ru');
    const unknown = await get('/settings?email=anna@example.se').expect(200);
    expect(unknown.text).toContain('We do not know the mail servers for this address.');
  });

  it.each([
    ['/settings/nstu', ['mail2.nstu.ru', '993', 'SSL/TLS', '587', 'STARTTLS', 'name@corp.nstu.ru']],
    ['/settings/nstu/default?email=ivan.petrov@nstu.ru', ['ivan.petrov@corp.nstu.ru']],
    ['/settings/mailru', ['imap.mail.ru', 'pop.mail.ru', 'smtp.mail.ru', 'https://e.mail.ru/', 'app password']],
    ['/settings/yandex/com', ['imap.yandex.com', 'Turn on access by mail clients']],
    ['/settings/rackcorp/global', ['mail.rackcorp.com', 'None (unencrypted)', 'mail.ex1.rackcorp.com', 'https://webmail.rackcorp.com']],
    ['/settings/rackcorp/us', ['mail.us.rackcorp.com', 'https://webmail.us.rackcorp.com']],
    ['/settings/rackcorp/mn', ['mail.mn.rackcorp.com', 'https://mail.ex1.rackcorp.mn/', 'phishing']],
  ])("%s shows the settings like the provider's help pages, and the common errors", async (path, expected) => {
    const text = visible((await get(path).expect(200)).text);
    for (const value of expected) expect(text).toContain(value);
    for (const message of [
      '550 sending for this account is disabled',
      'Mailbox full',
      'User not found',
      'No such message, only 1000 messages in maildrop',
      'We do not accept mail from dynamic IP',
      '550 spam message rejected',
      'Access to this account is disabled',
    ]) {
      expect(text).toContain(message);
    }
    for (const client of ['Android', 'Windows Mail', 'The Bat!']) expect(text).toContain(client);
  });

  it('explains the common errors in Russian too', async () => {
    const text = visible((await get('/settings/mailru?lang=ru').expect(200)).text);
    expect(text).toContain('Смените пароль в веб-почте');
    expect(text).toContain('Удалите самые старые письма');
  });

  it('answers unknown providers, variants, devices and paths with an error page', async () => {
    expect((await get('/settings/nope')).status).toBe(404);
    expect((await get('/settings/rackcorp/mars')).status).toBe(400);
    expect((await get('/instructions/palm')).status).toBe(404);
    const missing = await get('/no/such/page').expect(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.text).toContain('There is nothing at this address.');
  });
});

describe('assets', () => {
  it('serves the stylesheet and script from our own origin', async () => {
    const css = await get('/assets/app.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const js = await get('/assets/app.js').expect(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await get('/assets/nothing.js')).status).toBe(404);
    expect((await get('/assets/..%2Fpages%2Flayout.html')).status).toBe(404);
  });
});
