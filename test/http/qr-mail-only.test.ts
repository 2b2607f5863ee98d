// "Mail only" ticked on a computer reaches the phone: the QR link carries the choice, and the
// profile the phone downloads from it has the mail account alone (no CalDAV, no CardDAV).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { binaryParser, opensslVerify, testApp, testSigning, type TestSigning } from './helpers.js';

const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GROUPWARE = `
id: groupware
name: Example Groupware
domains: [groupware.example]
servers:
  - { protocol: imap, host: mail.groupware.example, port: 993, socket: SSL }
  - { protocol: smtp, host: mail.groupware.example, port: 465, socket: SSL }
caldav: { host: dav.groupware.example, principal: '/SOGo/dav/%EMAILADDRESS%/' }
carddav: { host: dav.groupware.example, port: 8443, login: '%EMAILLOCALPART%' }
`;

let signing: TestSigning;
let tmp: ReturnType<typeof makeTempDir>;
let app: ReturnType<typeof testApp>['app'];

beforeAll(async () => {
  signing = await testSigning();
  tmp = makeTempDir('mailsetup-qr-mail-only-');
  writeFileSync(join(tmp.path, 'groupware.yaml'), GROUPWARE);
  ({ app } = testApp({ signer: signing.signer, catalog: ProviderCatalog.load({ paths: [join(tmp.path, 'groupware.yaml')] }) }));
});
afterAll(() => {
  signing.remove();
  tmp.remove();
});

/** The payload types of the profile a QR link gives the phone, for the form as posted on the computer. */
async function payloadTypesVia(form: Record<string, string>): Promise<string[]> {
  const qr = await request(app).post('/qr').set('User-Agent', WINDOWS).type('form').send(form).expect(200);
  const token = /\/l\/([\w-]+\.[\w-]+)/.exec(qr.text)?.[1];
  expect(token).toBeDefined();
  const file = await request(app).get(`/l/${token}/profile`).buffer(true).parse(binaryParser).expect(200);
  const profile = plistlibParse(opensslVerify(file.body as Buffer, signing.caFile, signing.dir)) as { PayloadContent: { PayloadType: string }[] };
  return profile.PayloadContent.map((p) => p.PayloadType);
}

describe('the QR link and "mail only"', () => {
  it('carries the tick to the phone', async () => {
    const form = { email: 'anna@groupware.example', device: 'ios', name: 'Anna', language: 'en' };
    expect(await payloadTypesVia(form)).toEqual(['com.apple.mail.managed', 'com.apple.caldav.account', 'com.apple.carddav.account']);
    expect(await payloadTypesVia({ ...form, mail_only: '1' })).toEqual(['com.apple.mail.managed']);
  });
});
