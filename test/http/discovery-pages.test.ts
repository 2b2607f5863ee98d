// The pages with discovery, in memory: an unknown domain goes through discovery before the setup
// page (no JavaScript needed), the file is made from what was found and verified, Thunderbird
// gets the settings, nothing found falls back to typing them in, "Test these settings" works, a
// computer hands the found servers to an iPhone by QR, and a domain whose MX names a catalog
// provider (Microsoft 365, RackCorp) gets that provider's setup.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createDiscoveryService } from '../../src/discovery/service.js';
import { createApp } from '../../src/http/app.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { plistlibParse } from '../support/python.js';
import { LAB_PASSWORD, LAB_USER, startLab, type Lab } from '../support/discovery-lab.js';
import { binaryParser, testConfig, visible } from './helpers.js';

let lab: Lab;
const catalog = ProviderCatalog.load();

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.stop();
});

function app() {
  const config = testConfig({ ...lab.env, MAILSETUP_DISCOVERY_TIMEOUT: '3' });
  return createApp({ config, catalog, discovery: createDiscoveryService({ config, catalog, dialPort: lab.dialPort }) });
}

/** The hidden fields of the download form. */
function hiddenFields(html: string): Record<string, string> {
  const form = /<form method="post" action="\/download"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
}

describe('an unknown domain on the setup page', () => {
  it('shows what was found, where from, checked, and the download makes a profile from it', async () => {
    const web = app();
    const page = await request(web).get('/setup?email=ivan@guess.test&device=macos&lang=en').expect(200);
    expect(page.text).toContain('Servers found for guess.test');
    expect(page.text).toMatch(/<td class="host">imap\.guess\.test<\/td><td>993<\/td><td>SSL\/TLS<\/td>/);
    expect(page.text).toContain(
      '<li class="hint">Incoming (IMAP): found through trying the usual server names · <span class="ok">Connection checked</span></li>',
    );
    expect(page.text).not.toContain('We do not know your mail servers');
    const fields = hiddenFields(page.text);
    expect(fields).toMatchObject({
      incoming_host: 'imap.guess.test',
      incoming_port: '993',
      incoming_security: 'SSL',
      outgoing_host: 'smtp.guess.test',
      type: 'imap',
      login: 'ivan@guess.test',
    });
    const file = await request(web)
      .post('/download')
      .type('form')
      .send({ ...fields, name: 'Ivan' })
      .buffer(true)
      .parse(binaryParser)
      .expect(200);
    expect(file.headers['content-type']).toBe('application/x-apple-aspen-config');
    // No signer in this app: the profile is plain XML, read back with plistlib.
    const profile = plistlibParse(file.body as Buffer) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({
      EmailAddress: 'ivan@guess.test',
      IncomingMailServerHostName: 'imap.guess.test',
      IncomingMailServerPortNumber: 993,
      IncomingMailServerUseSSL: true,
      IncomingMailServerUsername: 'ivan@guess.test',
      OutgoingMailServerHostName: 'smtp.guess.test',
      OutgoingMailServerPortNumber: 465,
    });
  });

  it('on a computer for an iPhone, the QR code leads and the phone gets a profile of the found servers', async () => {
    const web = app();
    const windows = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
    const page = await request(web).get('/setup?email=ivan@guess.test&device=ios&lang=en').set('User-Agent', windows).expect(200);
    expect(page.text).toContain('Servers found for guess.test');
    expect(page.text).toContain('class="qr"');
    expect(page.text).toContain('id="qr-with-name"');
    const token = /\/l\/([\w-]+\.[\w-]+)/.exec(page.text)?.[1];
    // The link is sealed: the servers it carries cannot be read from it.
    expect(token).toBeDefined();
    expect(token).not.toContain('guess');
    const landing = await request(web).get(`/l/${token}`).expect(200);
    expect(landing.text).toContain('imap.guess.test');
    const file = await request(web).get(`/l/${token}/profile`).buffer(true).parse(binaryParser).expect(200);
    const profile = plistlibParse(file.body as Buffer) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({
      EmailAddress: 'ivan@guess.test',
      IncomingMailServerHostName: 'imap.guess.test',
      IncomingMailServerPortNumber: 993,
      OutgoingMailServerHostName: 'smtp.guess.test',
      OutgoingMailServerPortNumber: 465,
    });
    // "With my name": the form's own fields (the found servers among them) go into the link.
    const named = await request(web)
      .post('/qr')
      .set('User-Agent', windows)
      .type('form')
      .send({ ...hiddenFields(page.text), name: 'Ivan' })
      .expect(200);
    const namedToken = /\/l\/([\w-]+\.[\w-]+)/.exec(named.text)?.[1];
    const namedFile = await request(web).get(`/l/${namedToken}/profile`).buffer(true).parse(binaryParser).expect(200);
    expect((plistlibParse(namedFile.body as Buffer) as { PayloadContent: Record<string, unknown>[] }).PayloadContent[0]).toMatchObject({
      EmailAccountName: 'Ivan',
      IncomingMailServerHostName: 'imap.guess.test',
    });
  });

  it('Thunderbird gets the settings to type in', async () => {
    const page = await request(app()).get('/setup?email=ivan@srv.test&device=thunderbird&lang=en').expect(200);
    expect(page.text).toContain('Servers found for srv.test');
    // One list of servers, the one to type in, with the words for that (not "before you download").
    expect(page.text.match(/<th scope="row">IMAP<\/th>/g)).toHaveLength(1);
    expect(page.text).toContain('Type these settings into your mail program.');
    expect(page.text).toMatch(/<th scope="row">IMAP<\/th><td class="host"><span class="copy-line">imap\.srv\.test<button[^]*?<\/span>\s*<\/td><td>993<\/td>/);
    expect(page.text).toMatch(
      /<th scope="row">SMTP<\/th><td class="host"><span class="copy-line">smtp\.srv\.test<button[^]*?<\/span>\s*<\/td><td>587<\/td><td>STARTTLS<\/td>/,
    );
  });

  it('in Russian and Swedish too', async () => {
    const ru = await request(app()).get('/setup?email=ivan@srv.test&device=ios&lang=ru').expect(200);
    expect(ru.text).toContain('Найденные серверы для srv.test');
    const sv = await request(app()).get('/setup?email=ivan@srv.test&device=ios&lang=sv').expect(200);
    expect(sv.text).toContain('Servrar hittade för srv.test');
  });

  it('nothing found: says so and asks for the servers, with "Test these settings"', async () => {
    const page = await request(app()).get('/setup?email=ivan@nomail.test&device=thunderbird&lang=en').expect(200);
    expect(page.text).toContain('We could not find the mail servers of nomail.test');
    expect(page.text).toContain('id="test-form"');
    expect(page.text).toContain('name="incoming_host"');
  });

  it('a guess with an expired certificate is not offered as a file', async () => {
    const page = await request(app()).get('/setup?email=ivan@expired.test&device=ios&lang=en').expect(200);
    expect(page.text).toContain('The certificate of imap.expired.test:993 is not valid, so that server is not used.');
    expect(hiddenFields(page.text).incoming_host).toBeUndefined();
  });
});

describe('Test these settings', () => {
  it('tests typed servers and the login; the password is not echoed', async () => {
    const page = await request(app())
      .post('/setup/test')
      .type('form')
      .send({
        email: LAB_USER,
        device: 'thunderbird',
        language: 'en',
        incoming_host: 'imap.guess.test',
        incoming_port: '993',
        incoming_security: 'SSL',
        outgoing_host: 'smtp.wrongname.test',
        outgoing_port: '465',
        outgoing_security: 'SSL',
        password: LAB_PASSWORD,
      })
      .expect(200);
    expect(page.text).toContain('Connection test');
    expect(page.text).toMatch(/IMAP imap\.guess\.test:993<\/th><td>SSL\/TLS<\/td><td>works<br>login works/);
    expect(page.text).toMatch(/SMTP smtp\.wrongname\.test:465<\/th><td>SSL\/TLS<\/td><td>does not work: its certificate is not valid/);
    expect(page.text).not.toContain(LAB_PASSWORD.replaceAll('"', '&quot;'));
    expect(page.text).not.toContain(LAB_PASSWORD);
  });

  it('names the field a typed value breaks', async () => {
    const page = await request(app())
      .post('/setup/test')
      .type('form')
      .send({ email: 'ivan@nomail.test', device: 'thunderbird', language: 'en', incoming_host: 'bad host', outgoing_host: 'smtp.nomail.test' })
      .expect(400);
    expect(page.text).toMatch(/<a href="#incoming_host">/);
  });
});

/** An address whose domain's MX names a catalog provider gets that provider's setup, with a note saying how. */
const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('a domain whose MX names a known provider', () => {
  it('a Microsoft 365 tenant gets the OAuth Exchange profile', async () => {
    const web = app();
    const page = await request(web).get('/setup?email=anna@m365.test&device=ios&lang=en').set('User-Agent', IPHONE_UA).expect(200);
    const text = visible(page.text);
    expect(text).toContain('The mail of m365.test is at Microsoft 365: its MX record points there.');
    // Said first, above what the person will get.
    expect(page.text.indexOf('id="via-mx"')).toBeLessThan(page.text.indexOf('id="summary"'));
    expect(text).toContain('outlook.office365.com');
    expect(text).not.toContain('We could not find the mail servers');
    const fields = hiddenFields(page.text);
    expect(fields).toMatchObject({ provider: 'microsoft365' });
    const file = await request(web).post('/download').type('form').send(fields).buffer(true).parse(binaryParser).expect(200);
    const profile = plistlibParse(file.body as Buffer) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({
      PayloadType: 'com.apple.eas.account',
      Host: 'outlook.office365.com',
      EmailAddress: 'anna@m365.test',
      OAuth: true,
    });
  });

  it('a RackCorp customer gets RackCorp, in Russian too', async () => {
    const page = await request(app()).get('/setup?email=boss@mxcorp.test&device=ios&lang=ru').set('User-Agent', IPHONE_UA).expect(200);
    expect(visible(page.text)).toContain('Почта домена mxcorp.test находится у RackCorp: на него указывает MX-запись домена.');
    expect(hiddenFields(page.text)).toMatchObject({ provider: 'rackcorp' });
  });
});
