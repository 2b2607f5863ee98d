// The JSON API through createApp in memory: lookups, generation of every registered format,
// signed profiles checked by OpenSSL, plistlib and Apple's schema, and errors naming the field.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { FORMAT_IDS, FORMATS } from '../../src/formats/registry.js';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { plistlibParse } from '../support/python.js';
import { apiError, binaryParser, opensslVerify, testApp, testSigning, type TestSigning } from './helpers.js';
import { zipEntryNames } from '../support/zip.js';

let signing: TestSigning;
let app: ReturnType<typeof testApp>['app'];

beforeAll(async () => {
  signing = await testSigning();
  ({ app } = testApp({ signer: signing.signer }));
});
afterAll(() => signing.remove());

/** The parts of a /api/lookup and /api/providers answer these tests read. */
interface Server {
  host: string;
  label: string;
}
interface LookupBody {
  servers: Server[];
  variant: { id: string };
  variants: { id: string }[];
  enable: { url: string };
  typeLabel: string;
  hostingProviders: unknown;
}
interface ProvidersBody {
  providers: { id: string; variants: { id: string; incoming: Server[] }[] }[];
  formats: unknown;
}

const generateFile = (body: object) => request(app).post('/api/profile').send(body).buffer(true).parse(binaryParser);

describe('GET /api/lookup', () => {
  it('recognises NSTU from the domain and says what the person gets', async () => {
    const res = await request(app).get('/api/lookup').query({ email: 'Ivan.Petrov@NSTU.ru' }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ known: true, match: 'domain', provider: { id: 'nstu', name: 'NSTU' }, type: 'imap', types: ['imap', 'pop'] });
    expect((res.body as LookupBody).servers).toEqual([
      expect.objectContaining({ role: 'incoming', host: 'mail2.nstu.ru', port: 993, socket: 'SSL', login: 'Ivan.Petrov@corp.nstu.ru' }),
      expect.objectContaining({ role: 'outgoing', host: 'mail2.nstu.ru', port: 587, socket: 'STARTTLS' }),
    ]);
  });

  it('shows the variant the domain picks and every variant offered', async () => {
    const res = await request(app).get('/api/lookup').query({ email: 'anna@yandex.com' }).expect(200);
    const body = res.body as LookupBody;
    expect(body.variant.id).toBe('com');
    expect(body.servers[0]!.host).toBe('imap.yandex.com');
    expect(body.variants.map((v: { id: string }) => v.id)).toEqual(['ru', 'com']);
    expect(body.enable.url).toMatch(/^https:\/\/mail\.yandex\.ru\//);
  });

  it('answers in the language asked for', async () => {
    const ru = await request(app).get('/api/lookup').query({ email: 'ivan@nstu.ru' }).set('Accept-Language', 'ru-RU,ru;q=0.9').expect(200);
    expect((ru.body as LookupBody).typeLabel).toBe('IMAP: письма остаются на сервере');
    const sv = await request(app).get('/api/lookup').query({ email: 'ivan@nstu.ru', lang: 'sv' }).expect(200);
    expect((sv.body as LookupBody).servers[0]!.label).toBe('Inkommande (IMAP)');
  });

  it('says when a domain is unknown, offering the hosting providers', async () => {
    const res = await request(app).get('/api/lookup').query({ email: 'anna@example.se' }).expect(200);
    expect(res.body).toMatchObject({ known: false, manualRequired: true, provider: null });
    expect((res.body as LookupBody).hostingProviders).toEqual([
      { id: 'microsoft365', name: 'Microsoft 365' },
      { id: 'rackcorp', name: 'RackCorp' },
    ]);
  });

  it('uses the default provider for unknown domains when one is configured', async () => {
    const { app: withDefault } = testApp({ env: { MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' } });
    const res = await request(withDefault).get('/api/lookup').query({ email: 'anna@example.se', variant: 'mn' }).expect(200);
    expect(res.body).toMatchObject({ known: true, match: 'default', provider: { id: 'rackcorp' }, variant: { id: 'mn' } });
    expect((res.body as LookupBody).servers[0]!.host).toBe('mail.mn.rackcorp.com');
  });

  it.each([
    [{ email: 'ivan@nstu' }, 'email', 'email-domain'],
    [{}, 'email', 'required'],
    [{ email: 'ivan@nstu.ru', variant: 'mars' }, 'variant', 'known-variant'],
    [{ email: 'ivan@nstu.ru', type: 'exchange' }, 'type', 'offered-type'],
    [{ email: 'ivan@nstu.ru', provider: 'nope' }, 'provider', 'known-provider'],
  ])('rejects %j naming %s', async (query, field, rule) => {
    const res = await request(app).get('/api/lookup').query(query);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(apiError(res)).toMatchObject({ field, rule });
    expect(typeof apiError(res).code).toBe('string');
    expect(typeof apiError(res).message).toBe('string');
  });
});

describe('GET /api/providers', () => {
  it('lists the catalog with servers and the formats the service makes', async () => {
    const res = await request(app).get('/api/providers').expect(200);
    const body = res.body as ProvidersBody;
    const ids = body.providers.map((p: { id: string }) => p.id).sort();
    expect(ids).toEqual(['mailru', 'microsoft365', 'nstu', 'rackcorp', 'yandex']);
    const rackcorp = body.providers.find((p: { id: string }) => p.id === 'rackcorp')!;
    expect(rackcorp.variants.map((v: { id: string }) => v.id)).toEqual(['global', 'us', 'mn']);
    expect(rackcorp.variants[2]!.incoming[0]!.host).toBe('mail.mn.rackcorp.com');
    expect(body.formats).toEqual(FORMAT_IDS);
  });
});

describe('POST /api/profile', () => {
  it("returns a signed profile that OpenSSL verifies, plistlib reads and Apple's schema accepts", async () => {
    const res = await generateFile({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров', language: 'ru' }).expect(200);
    expect(res.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ivan.petrov@nstu.ru.mobileconfig"');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-mailsetup-signed']).toBe('true');
    const plist = opensslVerify(res.body as Buffer, signing.caFile, signing.dir);
    expect(validateProfileXml(plist, 'iOS')).toEqual([]);
    const profile = plistlibParse(plist) as Record<string, unknown> & { PayloadContent: Record<string, unknown>[] };
    expect(profile.TargetDeviceType).toBe(1);
    expect(profile.PayloadDisplayName).toBe('Почта: ivan.petrov@nstu.ru');
    expect(profile.PayloadContent[0]).toMatchObject({
      EmailAccountName: 'Иван Петров',
      IncomingMailServerHostName: 'mail2.nstu.ru',
      IncomingMailServerPortNumber: 993,
      IncomingMailServerUsername: 'ivan.petrov@corp.nstu.ru',
      OutgoingMailServerPortNumber: 587,
    });
    expect(profile.PayloadContent[0]).not.toHaveProperty('IncomingPassword');
  });

  it('makes Mac Exchange profiles with the EWS payload', async () => {
    const res = await generateFile({ email: 'boss@example.com', provider: 'rackcorp', type: 'exchange', device: 'macos' }).expect(200);
    const plist = opensslVerify(res.body as Buffer, signing.caFile, signing.dir);
    expect(validateProfileXml(plist, 'macOS')).toEqual([]);
    const profile = plistlibParse(plist) as { PayloadContent: Record<string, unknown>[]; TargetDeviceType: number };
    expect(profile.TargetDeviceType).toBe(5);
    expect(profile.PayloadContent[0]).toMatchObject({ PayloadType: 'com.apple.ews.account', Host: 'mail.ex1.rackcorp.com' });
  });

  it('takes the language from Accept-Language when the body names none', async () => {
    const res = await request(app)
      .post('/api/profile')
      .set('Accept-Language', 'sv-SE,sv;q=0.9,en;q=0.5')
      .send({ email: 'anna@mail.ru', unsigned: true })
      .buffer(true)
      .parse(binaryParser)
      .expect(200);
    expect(res.headers['x-mailsetup-signed']).toBe('false');
    expect((plistlibParse(res.body as Buffer) as { PayloadDisplayName: string }).PayloadDisplayName).toBe('E-post: anna@mail.ru');
  });

  it('embeds a password only when given in the body, and never in the URL', async () => {
    const res = await generateFile({ email: 'anna@mail.ru', password: 's3cret pass', unsigned: true }).expect(200);
    const profile = plistlibParse(res.body as Buffer) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]!.IncomingPassword).toBe('s3cret pass');
    const inUrl = await request(app).post('/api/profile?password=s3cret').send({ email: 'anna@mail.ru' }).expect(400);
    expect(apiError(inUrl)).toMatchObject({ code: 'INVALID_INPUT', field: 'password', rule: 'password-in-url' });
  });

  it('refuses embedded passwords when the operator forbids them', async () => {
    const { app: strict } = testApp({ env: { MAILSETUP_ALLOW_PASSWORD: 'false' } });
    const res = await request(strict).post('/api/profile').send({ email: 'anna@mail.ru', password: 'x' }).expect(403);
    expect(apiError(res)).toMatchObject({ code: 'FORBIDDEN', field: 'password', rule: 'password-forbidden' });
  });

  it('puts a non-ASCII file name in filename* and an ASCII fallback in filename', async () => {
    const res = await generateFile({ email: 'анна@почта.рф', provider: 'rackcorp', unsigned: true }).expect(200);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="____@_____.__.mobileconfig"; filename*=UTF-8''${encodeURIComponent('анна@почта.рф.mobileconfig')}`,
    );
  });

  it.each(FORMAT_IDS.filter((id) => id !== 'mobileconfig'))('makes the %s format with its own content type', async (format) => {
    const res = await generateFile({ email: 'ivan.petrov@nstu.ru', format }).expect(200);
    expect(res.headers['content-type']).toBe(FORMATS[format].contentType);
    expect(res.headers['content-disposition']).toMatch(new RegExp(`filename="ivan\\.petrov@nstu\\.ru\\.${FORMATS[format].extension}"`));
    expect(res.headers['x-mailsetup-signed']).toBe('false');
    expect((res.body as Buffer).length).toBeGreaterThan(100);
  });

  it('makes the Outlook pack as a ZIP with the setup and undo files', async () => {
    const res = await generateFile({ email: 'ivan.petrov@nstu.ru', format: 'outlook-pack', outlook: '2016', language: 'sv' }).expect(200);
    expect(await zipEntryNames(res.body as Buffer)).toEqual(expect.arrayContaining(['README.txt', 'setup.reg', 'undo.reg']));
  });

  it.each([
    [{ email: 'ivan@nstu' }, 400, 'email', 'email-domain'],
    [{ email: 'ivan@nstu.ru', name: 'a\nb' }, 400, 'name', 'no-control-characters'],
    [{ email: 'ivan@nstu.ru', format: 'pdf' }, 400, 'format', 'allowed-values'],
    [{ email: 'ivan@nstu.ru', device: 'android' }, 400, 'device', 'allowed-values'],
    [{ email: 'ivan@nstu.ru', colour: 'red' }, 400, 'input', 'unknown-field'],
    [{ email: 'anna@example.se' }, 404, 'email', 'known-domain'],
    [
      { email: 'anna@example.se', manual: { incoming: { host: 'imap example' }, outgoing: { host: 'smtp.example.se' } } },
      400,
      'manual.incoming.host',
      'hostname',
    ],
    [
      { email: 'anna@example.se', manual: { incoming: { host: 'imap.example.se', port: 70000 }, outgoing: { host: 'smtp.example.se' } } },
      400,
      'manual.incoming.port',
      'max',
    ],
  ])('answers %j with %i naming the field', async (body, status, field, rule) => {
    const res = await request(app).post('/api/profile').send(body).expect(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(apiError(res)).toMatchObject({ field, rule });
  });

  it('builds profiles for unknown domains from servers given by hand', async () => {
    const res = await generateFile({
      email: 'anna@example.se',
      manual: { incoming: { host: 'imap.example.se' }, outgoing: { host: 'smtp.example.se', port: 587, socket: 'STARTTLS' } },
    }).expect(200);
    const profile = plistlibParse(opensslVerify(res.body as Buffer, signing.caFile, signing.dir)) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({
      IncomingMailServerHostName: 'imap.example.se',
      IncomingMailServerPortNumber: 993,
      OutgoingMailServerPortNumber: 587,
    });
  });

  it('rejects bodies that are not a JSON object, and oversized ones', async () => {
    const broken = await request(app).post('/api/profile').set('Content-Type', 'application/json').send('{"email":').expect(400);
    expect(apiError(broken)).toMatchObject({ code: 'INVALID_INPUT', field: 'body', rule: 'body-json' });
    const list = await request(app).post('/api/profile').send([1, 2]).expect(400);
    expect(apiError(list).field).toBe('body');
    const form = await request(app).post('/api/profile').type('form').send({ email: 'a@nstu.ru' }).expect(400);
    expect(apiError(form).rule).toBe('body-json');
    const huge = await request(app)
      .post('/api/profile')
      .send({ email: 'a@nstu.ru', name: 'x'.repeat(40_000) })
      .expect(413);
    expect(apiError(huge)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', field: 'body' });
  });

  it('answers POST /api/generate like /api/profile, and /healthz for load balancers', async () => {
    const res = await request(app).post('/api/generate').send({ email: 'ivan@nstu.ru', format: 'autoconfig' }).buffer(true).parse(binaryParser).expect(200);
    expect(res.headers['content-type']).toBe(FORMATS.autoconfig.contentType);
    const health = await request(app).get('/healthz').expect(200);
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers['cache-control']).toBe('no-store');
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await request(app).get('/api/nothing').expect(404);
    expect(apiError(res)).toMatchObject({ code: 'NOT_FOUND', field: 'path' });
  });
});
