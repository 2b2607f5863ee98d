// "Mail only" ticked on a computer reaches the phone: the QR link carries the choice, and the
// profile the phone downloads from it has the mail account alone (no CalDAV, no CardDAV).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { plistlibParse } from '../support/python.js';
import { binaryParser, opensslVerify, testApp, testSigning, type TestSigning } from './helpers.js';

const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

let signing: TestSigning;
let app: ReturnType<typeof testApp>['app'];

beforeAll(async () => {
  signing = await testSigning();
  ({ app } = testApp({
    signer: signing.signer,
    catalog: ProviderCatalog.load({ paths: [fileURLToPath(new URL('../fixtures/providers/groupware.yaml', import.meta.url))] }),
  }));
});
afterAll(() => signing.remove());

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
