// An address whose domain's MX record points at a provider in the catalog (a RackCorp customer, a
// Microsoft 365 tenant) gets that provider's setup on the setup page: its summary, its file and,
// for Microsoft 365, the OAuth Exchange profile, with a note saying how it was recognised.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createDiscoveryService } from '../../src/discovery/service.js';
import { createApp } from '../../src/http/app.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { plistlibParse } from '../support/python.js';
import { startLab, type Lab } from '../support/discovery-lab.js';
import { binaryParser, testConfig, visible } from './helpers.js';

let lab: Lab;
const catalog = ProviderCatalog.load();
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

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

/** The download form's hidden fields. */
function hiddenFields(html: string): Record<string, string> {
  const form = /<form method="post" action="\/download"[\s\S]*?<\/form>/.exec(html)?.[0] ?? '';
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
}

describe('a domain whose MX names a known provider', () => {
  it('a Microsoft 365 tenant gets the OAuth Exchange profile', async () => {
    const web = app();
    const page = await request(web).get('/setup?email=anna@m365.test&device=ios&lang=en').set('User-Agent', IPHONE).expect(200);
    const text = visible(page.text);
    expect(text).toContain('The mail of m365.test is at Microsoft 365: its MX record points there.');
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
    const page = await request(app()).get('/setup?email=boss@mxcorp.test&device=ios&lang=ru').set('User-Agent', IPHONE).expect(200);
    expect(visible(page.text)).toContain('Почта домена mxcorp.test находится у RackCorp: на него указывает MX-запись домена.');
    expect(hiddenFields(page.text)).toMatchObject({ provider: 'rackcorp' });
  });
});
