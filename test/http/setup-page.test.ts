// What each web journey of issue 15 renders, in memory (the Chromium journeys walk the same
// pages): order on the page, links, texts per provider and language, errors naming their fields.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { binaryParser, testApp, testSigning, type TestSigning, visible } from './helpers.js';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const TOKEN = 'page-test-admin-token-0123456789';

type ErrorBody = { error: { code: string; field: string; rule: string } };

let signing: TestSigning;
let app: ReturnType<typeof testApp>['app'];

beforeAll(async () => {
  signing = await testSigning();
  ({ app } = testApp({ signer: signing.signer, env: { MAILSETUP_ADMIN_TOKEN: TOKEN } }));
});
afterAll(() => signing.remove());

const get = (path: string, ua = IPHONE, lang = 'en') => request(app).get(path).set('User-Agent', ua).set('Accept-Language', lang);

/** Where each marker first appears in the page, to compare the order people meet things in. */
const at = (html: string, marker: string) => {
  const index = html.indexOf(marker);
  if (index < 0) throw new Error(`${marker} is not on the page`);
  return index;
};

describe('1. a desktop setting up an iPhone', () => {
  it('leads with the QR code; the download to the computer comes second', async () => {
    const html = (await get('/setup?email=ivan@nstu.ru&device=ios', WINDOWS).expect(200)).text;
    expect(html).toContain('<main id="main" class="wide">');
    expect(html).toMatch(
      /<button type="submit" class="primary" formaction="\/qr" id="qr-with-name">Show a QR code with my name<\/button>\s*<button type="submit" class="secondary" id="download">Download the profile to this computer<\/button>/,
    );
    expect(at(html, 'class="qr"')).toBeGreaterThan(at(html, 'id="summary"'));
    expect(at(html, 'class="qr"')).toBeLessThan(at(html, 'id="next-steps"'));
    // On the phone itself: one main button, the download.
    const phone = (await get('/setup?email=ivan@nstu.ru&device=ios').expect(200)).text;
    expect(phone).toContain('<button type="submit" class="primary" id="download">Download the profile</button>');
    expect(phone).not.toContain('qr-with-name');
  });
});

describe('2. the lists update the page in place', () => {
  it('marks the regions the script refreshes, and keeps a button that works without it', async () => {
    const html = (await get('/setup?email=boss@example.com&provider=rackcorp&device=ios').expect(200)).text;
    expect(html).toContain('<form method="get" action="/setup" class="card choices" id="choices-form" data-live-form>');
    expect(html).not.toContain('data-autosubmit');
    for (const id of ['summary', 'provider-notes', 'download-choices', 'next-steps']) expect(html).toMatch(new RegExp(`id="${id}"[^>]*data-live`));
    expect(html).toContain('<button type="submit" class="secondary" id="choices-show">Show</button>');
  });
});

describe('3. notes and app passwords', () => {
  it('links each note from the catalog and says "app password" in the steps', async () => {
    const mailru = (await get('/setup?email=olga@mail.ru&device=ios').expect(200)).text;
    expect(mailru).toContain('<a href="https://help.mail.ru/mail/security/protection/external" rel="noopener noreferrer">How to create an app password</a>');
    const steps = visible(mailru.slice(at(mailru, 'id="next-steps"')));
    expect(steps).toContain(
      'When asked for the password, type the app password you created for Mail.ru, not your usual Mail.ru password. Create an app password',
    );
    expect(mailru).toContain('<label for="password">App password</label>');
    const nstu = (await get('/setup?email=ivan@nstu.ru&device=ios').expect(200)).text;
    expect(nstu).toContain('<a href="https://kb.nstu.ru/it:mail:settings" rel="noopener noreferrer">The university&#39;s instructions</a>');
    expect(visible(nstu.slice(at(nstu, 'id="next-steps"')))).toContain('Type your mail password when asked');
  });

  it('names providers as readers of the language know them', async () => {
    expect(visible((await get('/setup?email=petr@yandex.ru&device=ios', IPHONE, 'ru')).text)).toContain('Яндекс Почта');
    expect(visible((await get('/setup?email=ivan@nstu.ru&device=ios', IPHONE, 'ru')).text)).toContain('НГТУ');
    expect(visible((await get('/setup?email=petr@yandex.ru&device=ios', IPHONE, 'sv')).text)).toContain('Yandex Mail');
  });
});

describe('4. Outlook', () => {
  it('asks which Outlook first, links the settings for the new one on the page, warns about the default profile before the button', async () => {
    const html = (await get('/setup?email=olga@mail.ru&device=outlook', WINDOWS).expect(200)).text;
    expect(at(html, 'id="which-outlook"')).toBeLessThan(at(html, 'id="summary"'));
    expect(html).toContain('<a href="#outlook-settings">The settings to type</a>');
    expect(at(html, 'id="outlook-settings"')).toBeGreaterThan(0);
    expect(at(html, 'id="default-profile"')).toBeLessThan(at(html, 'id="download"'));
    expect(visible(html)).toContain('choose Extract All…');
    const alone = (await get('/instructions/outlook', WINDOWS).expect(200)).text;
    expect(alone).toContain('<a href="/settings?lang=en">The settings to type</a>');
  });
});

describe('5. hosting providers', () => {
  it('asks "hosted by RackCorp (or Microsoft 365)?" first, as the main buttons, before typing servers', async () => {
    const html = (await get('/setup?email=anna@example.se&device=ios').expect(200)).text;
    // Both bundled providers that host any domain are offered.
    expect(html).toContain('<h2 id="hosting-title">Is your mail hosted by one of these providers?</h2>');
    expect(html).toContain('<button type="submit" class="primary">My mail is hosted by RackCorp</button>');
    expect(html).toContain('<button type="submit" class="primary">My mail is hosted by Microsoft 365</button>');
    expect(at(html, 'id="hosting"')).toBeLessThan(at(html, 'id="manual"'));
    expect(visible(html)).not.toContain('We do not know your mail servers');
  });

  it('says it positively when RackCorp is the default provider', async () => {
    const { app: withDefault } = testApp({ env: { MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' } });
    const text = visible((await request(withDefault).get('/setup?email=boss@customer.example&device=ios').set('User-Agent', IPHONE)).text);
    expect(text).toContain('Hosted by RackCorp? Then this is your setup');
  });
});

describe('6. servers typed by hand', () => {
  it('an empty form names both missing servers, not "we do not know this domain"', async () => {
    const res = await request(app)
      .post('/download')
      .set('User-Agent', IPHONE)
      .type('form')
      .send({ email: 'anna@example.se', device: 'ios', manual: '1', language: 'en' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<a href="#incoming_host">Type the incoming mail server, such as imap.example.com.</a>');
    expect(res.text).toContain('<a href="#outgoing_host">Type the outgoing mail server, such as smtp.example.com.</a>');
    expect(res.text).not.toContain('We do not know the mail servers for this domain');
    expect(res.text).not.toContain('placeholder=');
  });

  it('the API says the same: a required field, by its name', async () => {
    const res = await request(app)
      .post('/api/profile')
      .send({ email: 'anna@example.se', manual: { incoming: { host: '' }, outgoing: { host: 'smtp.example.se' } } })
      .expect(400);
    expect((res.body as ErrorBody).error).toMatchObject({ code: 'INVALID_INPUT', field: 'manual.incoming.host', rule: 'required' });
  });
});

describe('7. other programs', () => {
  it('lists the servers once, every program with its steps (Android first on Android), and warns about plain text only where a server is plain', async () => {
    const android = (await get('/setup?email=ivan@nstu.ru&device=thunderbird', ANDROID).expect(200)).text;
    expect(android.match(/<table class="servers">/g)).toHaveLength(2);
    expect([...android.matchAll(/<h3 id="program-(\w+)-title">/g)].map((m) => m[1])).toEqual(['android', 'thunderbird', 'windowsMail', 'thebat']);
    expect(visible(android)).not.toContain('None (unencrypted)');
    expect(android).toContain('data-copy="mail2.nstu.ru"');
    const windows = (await get('/setup?email=ivan@nstu.ru&device=thunderbird', WINDOWS).expect(200)).text;
    expect([...windows.matchAll(/<h3 id="program-(\w+)-title">/g)].map((m) => m[1])[0]).toBe('thunderbird');
    expect(visible((await get('/settings/rackcorp/global').expect(200)).text)).toContain('"None (unencrypted)" sends your password in clear text');
  });
});

describe('8. texts', () => {
  it('the steps alone do not point at a button the page lacks; Exchange has its port and its three apps', async () => {
    const alone = visible((await get('/instructions/ios').expect(200)).text);
    expect(alone).not.toContain('Tap “Download the profile”, then Allow. Safari says');
    expect(alone).toContain('On the iPhone or iPad, open the setup page in Safari');
    const exchange = (await get('/setup?email=boss@example.com&provider=rackcorp&type=exchange&device=ios').expect(200)).text;
    expect(visible(exchange)).toContain('Exchange server mail.ex1.rackcorp.com 443 SSL/TLS');
    expect(visible(exchange)).toContain('Open Mail, Calendar or Contacts');
    const ru = visible((await get('/settings/rackcorp/global', IPHONE, 'ru')).text);
    expect(ru).toContain('только если ничего другого не помогает');
    expect(ru).not.toContain('ничего другое');
  });

  it('each device steps have their picture, with words for those who cannot see it', async () => {
    for (const device of ['ios', 'macos', 'outlook', 'thunderbird']) {
      const html = (await get(`/instructions/${device}`).expect(200)).text;
      expect(html).toMatch(/<svg class="art" viewBox="[\d ]+" role="img" aria-label="[^"]{20,}"/);
    }
  });
});

describe('9. DNS records page', () => {
  it('requires the service host when it cannot tell it, and names the default one when it can', async () => {
    const byIp = (await request(app).get('/dns').set('Host', '127.0.0.1:8080').set('Accept', 'text/html').expect(200)).text;
    expect(byIp).toContain('<label for="host">Service host</label>');
    expect(byIp).toMatch(/id="host" name="host"[^>]* required /);
    const byName = (await request(app).get('/dns').set('Host', 'setup.example.org').set('Accept', 'text/html').expect(200)).text;
    expect(byName).toContain('<label for="host">Service host (optional)</label>');
    expect(visible(byName)).toContain('Leave empty to use setup.example.org.');
  });

  it('offers every provider and region; a customer domain gets RackCorp US records', async () => {
    const html = (await request(app).get('/dns?domain=customer.example&host=setup.example.org&servers=rackcorp/us').set('Accept', 'text/html').expect(200))
      .text;
    expect(html).toContain('<option value="rackcorp/us" selected>RackCorp · United States</option>');
    expect(html).toMatch(/_imaps\._tcp\.customer\.example\.\s+3600\s+IN\s+SRV\s+10 1 993 mail\.us\.rackcorp\.com\./);
    expect(html).toContain('href="/dns/customer.example?host=setup.example.org&amp;provider=rackcorp&amp;variant=us&amp;format=text&amp;lang=en"');
    const unknown = (await request(app).get('/dns?domain=customer.example&host=setup.example.org').set('Accept', 'text/html').expect(404)).text;
    expect(visible(unknown)).toContain('if a provider hosts its mail, choose the provider here');
  });
});

describe('10. admin page', () => {
  it('comes in Russian and Swedish; a wrong token is "wrong", a missing one "needed"; says whether mail can be sent', async () => {
    const ru = await request(app).get('/admin?lang=ru').expect(200);
    expect(ru.text).toContain('<html lang="ru">');
    expect(ru.text).toContain('<h1>Массовая настройка</h1>');
    expect((await request(app).get('/admin').set('Accept-Language', 'sv')).text).toContain('<h1>Massinställning</h1>');
    expect(ru.text).toMatch(/<input type="checkbox" name="format" value="outlook-pack">/);
    const missing = await request(app).post('/admin/api/jobs').send('email\na@mail.ru\n').expect(403);
    expect((missing.body as ErrorBody).error.rule).toBe('admin-token');
    const wrong = await request(app).post('/admin/api/jobs').set('Authorization', 'Bearer not-the-right-one-000').send('email\na@mail.ru\n').expect(403);
    expect((wrong.body as ErrorBody).error.rule).toBe('admin-token-wrong');
    const upload = await request(app)
      .post('/admin/api/jobs')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'text/csv')
      .send('email\nivan@nstu.ru\n')
      .expect(201);
    const job = upload.body as { id: string; canSend: boolean };
    expect(job.canSend).toBe(false);
    const again = await request(app).get(`/admin/api/jobs/${job.id}`).set('Authorization', `Bearer ${TOKEN}`);
    expect((again.body as { canSend: boolean }).canSend).toBe(false);
  });
});

describe('11. the download says it arrived', () => {
  it('answers a download with the id the page chose, readable by its script, for a minute; nothing else', async () => {
    const res = await request(app)
      .post('/download')
      .type('form')
      .send({ email: 'ivan@nstu.ru', device: 'ios', download_id: 'abc123def456' })
      .buffer(true)
      .parse(binaryParser)
      .expect(200);
    const cookie = res.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/^mailsetup_download=abc123def456; Max-Age=60; Path=\/; Expires=[^;]+; SameSite=Strict$/);
    const odd = await request(app)
      .post('/download')
      .type('form')
      .send({ email: 'ivan@nstu.ru', device: 'ios', download_id: '<script>' })
      .buffer(true)
      .parse(binaryParser);
    expect(odd.headers['set-cookie']).toBeUndefined();
  });
});

describe('did you mean', () => {
  it('offers the listed domain for a typo, on the page and in the lookup API, never applying it', async () => {
    const html = (await get('/setup?email=olga@mail.rj&device=ios').expect(200)).text;
    expect(html).toContain('Did you mean <a href="/setup?email=olga%40mail.ru&amp;device=ios&amp;lang=en">olga@mail.ru</a>?');
    expect(html).toContain('id="hosting"');
    const api = await request(app).get('/api/lookup?email=olga@gmail.ru').expect(200);
    expect(api.body).toMatchObject({ known: false });
    const typo = await request(app).get('/api/lookup?email=petr@yandex.ry').expect(200);
    expect(typo.body).toMatchObject({ known: false, suggestion: { email: 'petr@yandex.ru' } });
    expect((await request(app).get('/api/lookup?email=petr@yandex.ru').expect(200)).body).not.toHaveProperty('suggestion');
  });
});
