import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { autodiscoveryRouter } from '../../src/http/autodiscovery.js';
import { withProfileUrl } from '../../src/http/profile-url.js';
import type { AppDeps } from '../../src/http/deps.js';
import { ProviderCatalog, parseProviderFile } from '../../src/providers/catalog.js';
import { signerFromConfig, type Signer } from '../../src/signing/index.js';
import { opensslVerify } from '../support/openssl.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { etreeFind, etreeFindAll, etreeParse, xmllint, type EtreeNode } from '../support/xml-check.js';
import { billionLaughsBody, exchangelibBody, mobilesyncBody, outlookBody, thunderbirdBody } from '../support/client-requests.js';
import { exchangelibRead, outlookRead, thunderbirdRead } from '../support/autodiscover-readers.js';
import { apiError, captureLogger } from './helpers.js';

const RNG = fileURLToPath(new URL('../fixtures/reference/autoconfig/autoconfig.rng', import.meta.url));
const PUBLIC_HOST = 'mailsetup.example.org';
const R = '{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}';
const M = '{http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006}';

const THUNDERBIRD_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0';
const OUTLOOK_UA = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)';
const EAS_UA = 'Apple-iPhone15C2/2103.220';

// A provider whose customers only have Exchange mailboxes: Outlook gets redirected there.
const EXCHANGE_ONLY = `
id: rackcorp-exchange
name: RackCorp Exchange
domains: [exchange-customer.example]
exchange: { host: mail.ex1.rackcorp.com, ssl: true }
`;

/**
 * A root CA, an intermediate and a signing certificate made with the openssl command, loaded the
 * way the server loads them (MAILSETUP_SIGNING_* files through signerFromConfig).
 */
async function opensslIdentity(dir: string): Promise<{ signer: Signer; caFile: string }> {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n');
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '3650',
    '-subj',
    '/CN=mailsetup test root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'inter.key',
    '-out',
    'inter.csr',
    '-subj',
    '/CN=mailsetup test intermediate',
  );
  run(
    'x509',
    '-req',
    '-in',
    'inter.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-out',
    'inter.pem',
    '-days',
    '3650',
    '-extfile',
    'ca.ext',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=mailsetup test signer');
  run(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'inter.pem',
    '-CAkey',
    'inter.key',
    '-CAcreateserial',
    '-out',
    'leaf.pem',
    '-days',
    '3650',
    '-extfile',
    'leaf.ext',
  );
  const signing = loadConfig({
    MAILSETUP_SIGNING_KEY: join(dir, 'leaf.key'),
    MAILSETUP_SIGNING_CERT: join(dir, 'leaf.pem'),
    MAILSETUP_SIGNING_CHAIN: join(dir, 'inter.pem'),
  });
  return { signer: await signerFromConfig(signing, { cwd: dir }), caFile: join(dir, 'root.pem') };
}

/** The autodiscovery endpoints as the web app mounts them: the router, and Apple's profile URL in front of it. */
function appWith(deps: AppDeps): RequestListener {
  const app = express();
  app.use(autodiscoveryRouter(deps));
  return withProfileUrl(app, deps, { securityHeaders: [], trustProxy: () => false });
}

const dir = makeTempDir('mailsetup-autodiscovery-');
let identity: { signer: Signer; caFile: string };
const bundled = ProviderCatalog.load();
const providers = [...bundled.list(), ...parseProviderFile(EXCHANGE_ONLY, 'exchange-only.yaml')];
// A hosting operator: every domain not listed elsewhere is a RackCorp customer's.
const hostingCatalog = new ProviderCatalog(providers, 'rackcorp');
// No default provider: unknown domains are unknown.
const strictCatalog = new ProviderCatalog(providers);
const config = loadConfig({ MAILSETUP_PUBLIC_HOST: PUBLIC_HOST, MAILSETUP_ORG_NAME: 'Example IT', MAILSETUP_ORG_ID: 'org.example.mail' });
const hostingLog = captureLogger();

let server: Server;
let strictServer: Server;
function listen(app: RequestListener): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer(app).listen(0, '127.0.0.1', () => resolve(s));
  });
}
const hosting = () => request(server);
const strict = () => request(strictServer);

beforeAll(async () => {
  identity = await opensslIdentity(dir.path);
  server = await listen(appWith({ config, catalog: hostingCatalog, signer: identity.signer, logger: hostingLog.logger }));
  strictServer = await listen(appWith({ config, catalog: strictCatalog, signer: identity.signer }));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => strictServer.close(resolve));
  dir.remove();
});

const texts = (node: EtreeNode, ...path: string[]) => etreeFindAll(node, ...path).map((n) => n.text);

function servers(tree: EtreeNode) {
  const emailProvider = tree.children.find((c) => c.tag === 'emailProvider')!;
  return emailProvider.children
    .filter((c) => c.tag === 'incomingServer' || c.tag === 'outgoingServer')
    .map((c) => ({
      kind: c.tag,
      type: c.attrib.type,
      host: etreeFind(c, 'hostname')?.text,
      port: etreeFind(c, 'port')?.text,
      socket: etreeFind(c, 'socketType')?.text,
      username: etreeFind(c, 'username')?.text,
    }));
}

describe('Thunderbird autoconfig', () => {
  it('NSTU: answers autoconfig.nstu.ru/mail/config-v1.1.xml?emailaddress= with a file valid against the RELAX NG schema', async () => {
    const res = await strict()
      .get('/mail/config-v1.1.xml?emailaddress=ivan.petrov%40nstu.ru')
      .set('Host', 'autoconfig.nstu.ru')
      .set('User-Agent', THUNDERBIRD_UA)
      .set('Accept', 'text/xml, application/xml')
      .buffer(true)
      .parse((r, done) => {
        let data = '';
        r.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        r.on('end', () => done(null, data));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=14400');
    const xml = res.body as string;
    xmllint(xml, ['--relaxng', RNG]);
    const tree = etreeParse(xml);
    expect(tree.tag).toBe('clientConfig');
    expect(texts(tree, 'emailProvider', 'domain')).toEqual(['nstu.ru']);
    expect(servers(tree)).toEqual([
      { kind: 'incomingServer', type: 'imap', host: 'mail2.nstu.ru', port: '993', socket: 'SSL', username: '%EMAILLOCALPART%@corp.nstu.ru' },
      { kind: 'incomingServer', type: 'imap', host: 'mail2.nstu.ru', port: '143', socket: 'STARTTLS', username: '%EMAILLOCALPART%@corp.nstu.ru' },
      { kind: 'incomingServer', type: 'pop3', host: 'mail2.nstu.ru', port: '995', socket: 'SSL', username: '%EMAILLOCALPART%@corp.nstu.ru' },
      { kind: 'incomingServer', type: 'pop3', host: 'mail2.nstu.ru', port: '110', socket: 'STARTTLS', username: '%EMAILLOCALPART%@corp.nstu.ru' },
      { kind: 'outgoingServer', type: 'smtp', host: 'mail2.nstu.ru', port: '587', socket: 'STARTTLS', username: '%EMAILLOCALPART%@corp.nstu.ru' },
    ]);
  });

  it('gives every address of a domain, and no address at all, the very same bytes (no user enumeration)', async () => {
    const bodies = await Promise.all([
      strict().get('/mail/config-v1.1.xml?emailaddress=ivan.petrov%40nstu.ru').set('Host', 'autoconfig.nstu.ru'),
      strict().get('/mail/config-v1.1.xml?emailaddress=nobody.here%40nstu.ru').set('Host', 'autoconfig.nstu.ru'),
      strict().get('/mail/config-v1.1.xml').set('Host', 'autoconfig.nstu.ru'),
      strict().get('/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=ivan.petrov%40nstu.ru').set('Host', 'nstu.ru'),
      strict().get('/.well-known/autoconfig/mail/config-v1.1.xml').set('Host', 'nstu.ru:443'),
    ]);
    for (const res of bodies) expect(res.status).toBe(200);
    const texts = bodies.map((res) => res.text);
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).not.toContain('ivan.petrov');
  });

  it('Mail.ru: the mail.ru servers for a bk.ru address, implicit TLS first', async () => {
    const res = await strict().get('/mail/config-v1.1.xml?emailaddress=user%40bk.ru').set('Host', 'autoconfig.bk.ru');
    expect(res.status).toBe(200);
    xmllint(res.text, ['--relaxng', RNG]);
    const tree = etreeParse(res.text);
    expect(texts(tree, 'emailProvider', 'domain')).toContain('bk.ru');
    const list = servers(tree);
    expect(list[0]).toEqual({ kind: 'incomingServer', type: 'imap', host: 'imap.mail.ru', port: '993', socket: 'SSL', username: '%EMAILADDRESS%' });
    expect(list.filter((s) => s.kind === 'outgoingServer').map((s) => `${s.host}:${s.port}:${s.socket}`)).toEqual([
      'smtp.mail.ru:465:SSL',
      'smtp.mail.ru:587:STARTTLS',
    ]);
  });

  it('RackCorp customer domain (hosting operator): the domain’s own file, encrypted servers only, and the Exchange server', async () => {
    const res = await hosting().get('/mail/config-v1.1.xml').set('Host', 'autoconfig.customer-shop.com');
    expect(res.status).toBe(200);
    xmllint(res.text, ['--relaxng', RNG]);
    const tree = etreeParse(res.text);
    expect(texts(tree, 'emailProvider', 'domain')).toEqual(['customer-shop.com']);
    const list = servers(tree);
    expect(list.filter((s) => s.type === 'imap').map((s) => `${s.host}:${s.port}:${s.socket}`)).toEqual([
      'mail.rackcorp.com:993:SSL',
      'mail.rackcorp.com:143:STARTTLS',
    ]);
    expect(list.some((s) => s.socket === 'plain')).toBe(false);
    expect(res.text).toContain('https://mail.ex1.rackcorp.com/EWS/Exchange.asmx');
  });

  it('unknown domain → 404, missing or bad address → 400, all JSON', async () => {
    const unknown = await strict().get('/mail/config-v1.1.xml?emailaddress=a%40unknown.example').set('Host', 'autoconfig.unknown.example');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: 'UNKNOWN_DOMAIN', field: 'email' } });
    const missing = await strict().get('/mail/config-v1.1.xml').set('Host', '127.0.0.1');
    expect(missing.status).toBe(400);
    expect(apiError(missing)).toMatchObject({ code: 'INVALID_INPUT', field: 'emailaddress', rule: 'required' });
    const bad = await strict().get('/mail/config-v1.1.xml?emailaddress=not-an-address').set('Host', 'autoconfig.nstu.ru');
    expect(bad.status).toBe(400);
    expect(apiError(bad)).toMatchObject({ field: 'emailaddress', rule: 'email-format' });
    const twice = await strict().get('/mail/config-v1.1.xml?emailaddress=a%40nstu.ru&emailaddress=b%40nstu.ru');
    expect(twice.status).toBe(400);
    expect(twice.headers['cache-control']).toBe('no-store');
  });
});

async function postXml(agent: () => request.SuperTest<request.Test> | ReturnType<typeof request>, path: string, body: string | Buffer, userAgent = OUTLOOK_UA) {
  return (agent() as ReturnType<typeof request>)
    .post(path)
    .set('Host', 'autodiscover.example.org')
    .set('Content-Type', 'text/xml; charset=utf-8')
    .set('User-Agent', userAgent)
    .send(body);
}

function protocols(xml: string) {
  const tree = etreeParse(xml);
  return etreeFindAll(tree, `${R}Account`, `${R}Protocol`).map((p) => Object.fromEntries(p.children.map((c) => [c.tag.replace(R, ''), c.text])));
}

describe('Outlook Autodiscover (POX)', () => {
  it('NSTU: IMAP and SMTP settings with the corp.nstu.ru login, both path casings', async () => {
    for (const path of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) {
      const res = await postXml(strict, path, outlookBody('ivan.petrov@nstu.ru'));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
      expect(res.headers['cache-control']).toBe('private, no-store');
      xmllint(res.text);
      const tree = etreeParse(res.text);
      expect(tree.tag).toBe('{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}Autodiscover');
      expect(etreeFind(tree, `${R}Account`, `${R}Action`)?.text).toBe('settings');
      expect(protocols(res.text)).toEqual([
        expect.objectContaining({
          Type: 'IMAP',
          Server: 'mail2.nstu.ru',
          Port: '993',
          LoginName: 'ivan.petrov@corp.nstu.ru',
          SSL: 'on',
          Encryption: 'SSL',
          SPA: 'off',
        }),
        expect.objectContaining({
          Type: 'SMTP',
          Server: 'mail2.nstu.ru',
          Port: '587',
          LoginName: 'ivan.petrov@corp.nstu.ru',
          Encryption: 'TLS',
          AuthRequired: 'on',
        }),
      ]);
    }
  });

  it('Mail.ru and a RackCorp customer: the catalog’s servers and the full address as login', async () => {
    const mailru = await postXml(strict, '/autodiscover/autodiscover.xml', outlookBody('user@inbox.ru'));
    expect(protocols(mailru.text)).toEqual([
      expect.objectContaining({ Type: 'IMAP', Server: 'imap.mail.ru', Port: '993', LoginName: 'user@inbox.ru', Encryption: 'SSL' }),
      expect.objectContaining({ Type: 'SMTP', Server: 'smtp.mail.ru', Port: '465', LoginName: 'user@inbox.ru', Encryption: 'SSL' }),
    ]);
    const rackcorp = await postXml(hosting, '/autodiscover/autodiscover.xml', outlookBody('sales@customer-shop.com'));
    expect(protocols(rackcorp.text)).toEqual([
      expect.objectContaining({ Type: 'IMAP', Server: 'mail.rackcorp.com', Port: '993', LoginName: 'sales@customer-shop.com' }),
      expect.objectContaining({ Type: 'SMTP', Server: 'mail.rackcorp.com', Port: '465', Encryption: 'SSL' }),
    ]);
  });

  it('an Exchange-only domain: a redirect to the Exchange server’s own Autodiscover', async () => {
    const res = await postXml(strict, '/autodiscover/autodiscover.xml', outlookBody('boss@exchange-customer.example'));
    expect(res.status).toBe(200);
    const tree = etreeParse(res.text);
    expect(etreeFind(tree, `${R}Account`, `${R}Action`)?.text).toBe('redirectUrl');
    expect(etreeFind(tree, `${R}Account`, `${R}RedirectUrl`)?.text).toBe('https://mail.ex1.rackcorp.com/autodiscover/autodiscover.xml');
  });

  it('an Exchange-only domain, asked with each client’s own body: Outlook is redirected, Thunderbird and exchangelib get the EWS URL', async () => {
    const address = 'boss@exchange-customer.example';
    const ews = 'https://mail.ex1.rackcorp.com/EWS/Exchange.asmx';
    const ask = async (body: string, userAgent: string) => {
      const res = await postXml(strict, '/autodiscover/autodiscover.xml', body, userAgent);
      expect(res.status).toBe(200);
      return res.text;
    };
    expect(outlookRead(await ask(outlookBody(address), OUTLOOK_UA))).toEqual({
      action: 'redirectUrl',
      url: 'https://mail.ex1.rackcorp.com/autodiscover/autodiscover.xml',
    });
    expect(thunderbirdRead(await ask(thunderbirdBody(address), THUNDERBIRD_UA))).toMatchObject({
      incoming: { type: 'exchange', hostname: 'mail.ex1.rackcorp.com', port: 443, exchangeURL: ews },
      outgoing: 'global preferred server',
    });
    expect(exchangelibRead(await ask(exchangelibBody(address), 'exchangelib/4.9.0 (python-requests/2.31.0)'), address)).toEqual({
      ewsUrl: ews,
      protocol: 'EXPR',
      authType: null,
      smtpAddress: address,
    });
    // ActiveSync clients still get their own answer on the same path.
    const eas = etreeParse(await ask(mobilesyncBody(address), EAS_UA));
    expect(etreeFind(eas, `${M}Action`, `${M}Settings`, `${M}Server`, `${M}Url`)?.text).toBe('https://mail.ex1.rackcorp.com/Microsoft-Server-ActiveSync');
  });

  it('answers the same shape for any address of a domain', async () => {
    const a = await postXml(strict, '/autodiscover/autodiscover.xml', outlookBody('ivan.petrov@nstu.ru'));
    const b = await postXml(strict, '/autodiscover/autodiscover.xml', outlookBody('no.such.person@nstu.ru'));
    expect(b.status).toBe(200);
    expect(b.text.replaceAll('no.such.person', 'ivan.petrov')).toBe(a.text);
  });
});

describe('ActiveSync Autodiscover (mobilesync)', () => {
  it('RackCorp customer: the MobileSync URL on mail.ex1.rackcorp.com', async () => {
    const res = await postXml(hosting, '/autodiscover/autodiscover.xml', mobilesyncBody('boss@customer-shop.com'), EAS_UA);
    expect(res.status).toBe(200);
    xmllint(res.text);
    const tree = etreeParse(res.text);
    expect(etreeFind(tree, `${M}Response`, `${M}User`, `${M}EMailAddress`)?.text).toBe('boss@customer-shop.com');
    expect(etreeFind(tree, `${M}Action`, `${M}Settings`, `${M}Server`, `${M}Type`)?.text).toBe('MobileSync');
    expect(etreeFind(tree, `${M}Server`, `${M}Url`)?.text).toBe('https://mail.ex1.rackcorp.com/Microsoft-Server-ActiveSync');
    expect(res.headers['cache-control']).toBe('private, no-store');
  });

  it('a domain without Exchange: 422 naming the type, not an empty answer', async () => {
    const res = await postXml(strict, '/Autodiscover/Autodiscover.xml', mobilesyncBody('ivan.petrov@nstu.ru'), EAS_UA);
    expect(res.status).toBe(422);
    expect(apiError(res)).toMatchObject({ code: 'UNSUPPORTED', field: 'type' });
  });
});

describe('Autodiscover v2 (JSON)', () => {
  const v2 = (agent: typeof hosting, query: string) => agent().get(`/autodiscover/autodiscover.json?${query}`).set('User-Agent', OUTLOOK_UA);

  it('names the ActiveSync, EWS and Autodiscover v1 URLs, matching Protocol case-insensitively', async () => {
    const activesync = await v2(hosting, 'Email=boss%40customer-shop.com&Protocol=activesync');
    expect(activesync.status).toBe(200);
    expect(activesync.headers['cache-control']).toBe('private, max-age=3600');
    expect(JSON.parse(activesync.text)).toEqual({ Protocol: 'ActiveSync', Url: 'https://mail.ex1.rackcorp.com/Microsoft-Server-ActiveSync' });
    const ews = await v2(hosting, 'Email=boss%40customer-shop.com&Protocol=Ews');
    expect(JSON.parse(ews.text)).toEqual({ Protocol: 'EWS', Url: 'https://mail.ex1.rackcorp.com/EWS/Exchange.asmx' });
    const v1 = await v2(strict, 'Email=ivan.petrov%40nstu.ru&Protocol=Autodiscoverv1');
    expect(JSON.parse(v1.text)).toEqual({ Protocol: 'AutodiscoverV1', Url: `https://${PUBLIC_HOST}/autodiscover/autodiscover.xml` });
    const lowerKeys = await v2(strict, 'email=ivan.petrov%40nstu.ru&protocol=AUTODISCOVERV1');
    expect(lowerKeys.status).toBe(200);
  });

  it('400 for a missing or unknown protocol or address, 404 for what the domain does not have', async () => {
    expect(apiError(await v2(strict, 'Email=ivan.petrov%40nstu.ru&Protocol=Rest'))).toMatchObject({ field: 'Protocol', rule: 'allowed-values' });
    expect((await v2(strict, 'Email=ivan.petrov%40nstu.ru')).status).toBe(400);
    expect(apiError(await v2(strict, 'Protocol=ActiveSync'))).toMatchObject({ field: 'Email', rule: 'required' });
    const noExchange = await v2(strict, 'Email=ivan.petrov%40nstu.ru&Protocol=ActiveSync');
    expect(noExchange.status).toBe(404);
    expect(apiError(noExchange)).toMatchObject({ field: 'Protocol', rule: 'offered-protocol' });
    expect((await v2(strict, 'Email=a%40unknown.example&Protocol=ActiveSync')).status).toBe(404);
  });
});

describe('hostile and broken requests: a clean 4xx, and the server keeps serving', () => {
  const good = async () => {
    const res = await postXml(strict, '/autodiscover/autodiscover.xml', outlookBody('ivan.petrov@nstu.ru'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('mail2.nstu.ru');
  };

  it.each([
    ['malformed XML', '<Autodiscover><Request><EMailAddress>x@nstu.ru</Request>', 400, 'xml-well-formed'],
    ['a billion-laughs body', billionLaughsBody, 400, 'xml-doctype'],
    [
      'an external entity',
      '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>',
      400,
      'xml-doctype',
    ],
    ['an empty body', '', 400, 'required'],
    ['a missing address', outlookBody(''), 400, 'required'],
    ['a bad address', outlookBody('ivan at nstu'), 400, 'email-format'],
    ['an unknown domain', outlookBody('a@unknown.example'), 404, 'known-domain'],
  ])('%s', async (_what, body, status, rule) => {
    const res = await postXml(strict, '/autodiscover/autodiscover.xml', body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(apiError(res).rule).toBe(rule);
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
    await good();
  });

  it('a 10 MB body → 413', async () => {
    const res = await postXml(strict, '/autodiscover/autodiscover.xml', Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(res.status).toBe(413);
    expect(apiError(res)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', field: 'body' });
    await good();
  });

  it('a gzip bomb (a few KB that inflate to 10 MB) → 413', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await strict().post('/autodiscover/autodiscover.xml').set('Content-Type', 'text/xml').set('Content-Encoding', 'gzip').send(bomb);
    expect(res.status).toBe(413);
    expect(apiError(res).code).toBe('PAYLOAD_TOO_LARGE');
    await good();
  });

  it('an unknown Content-Encoding → 4xx JSON', async () => {
    const res = await strict().post('/autodiscover/autodiscover.xml').set('Content-Type', 'text/xml').set('Content-Encoding', 'x-zip').send('abc');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(apiError(res).field).toBe('body');
    await good();
  });

  it('a 10 MB body sent without Content-Length (chunked) → 413', async () => {
    const { port } = strictServer.address() as AddressInfo;
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/autodiscover/autodiscover.xml',
          headers: { 'Content-Type': 'text/xml', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 10; i += 1) req.write(chunk);
      req.end();
    });
    expect(response.status).toBe(413);
    await good();
  });
});

describe('Apple profile URL', () => {
  const binary = (r: request.Response, done: (error: Error | null, body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => done(null, Buffer.concat(chunks)));
  };

  /** Verifies the signature against the test CA with openssl and reads the plist with plistlib. */
  function verified(body: Buffer): { PayloadContent: Record<string, unknown>[] } {
    return plistlibParse(opensslVerify(body, identity.caFile, dir.path)) as { PayloadContent: Record<string, unknown>[] };
  }

  const PASSWORD_KEYS = ['IncomingPassword', 'OutgoingPassword', 'Password'];

  it('a signed NSTU profile without password that openssl verifies and plistlib reads', async () => {
    const res = await strict().get('/email.mobileconfig?email=ivan.petrov%40nstu.ru').buffer(true).parse(binary);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-apple-aspen-config');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ivan.petrov@nstu.ru.mobileconfig"');
    const profile = verified(res.body as Buffer);
    const mail = profile.PayloadContent.find((p) => p.PayloadType === 'com.apple.mail.managed')!;
    expect(mail).toMatchObject({
      IncomingMailServerHostName: 'mail2.nstu.ru',
      IncomingMailServerPortNumber: 993,
      IncomingMailServerUsername: 'ivan.petrov@corp.nstu.ru',
      OutgoingMailServerPortNumber: 587,
    });
    for (const key of PASSWORD_KEYS) expect(mail).not.toHaveProperty(key);
  });

  it('a RackCorp customer asking for Exchange gets a signed ActiveSync payload for mail.ex1.rackcorp.com', async () => {
    const res = await hosting().get('/email.mobileconfig?email=boss%40customer-shop.com&type=exchange').buffer(true).parse(binary);
    expect(res.status).toBe(200);
    const profile = verified(res.body as Buffer);
    const eas = profile.PayloadContent.find((p) => p.PayloadType === 'com.apple.eas.account')!;
    expect(eas).toMatchObject({ Host: 'mail.ex1.rackcorp.com', SSL: true, EmailAddress: 'boss@customer-shop.com' });
    for (const key of PASSWORD_KEYS) expect(eas).not.toHaveProperty(key);
  });

  it('refuses passwords in the URL, a missing address and unknown domains', async () => {
    const withPassword = await strict().get('/email.mobileconfig?email=ivan.petrov%40nstu.ru&password=secret');
    expect(withPassword.status).toBe(400);
    expect(apiError(withPassword)).toMatchObject({ field: 'password', rule: 'password-in-url' });
    expect(JSON.stringify(withPassword.body)).not.toContain('secret');
    const missing = await strict().get('/email.mobileconfig');
    expect(apiError(missing)).toMatchObject({ field: 'email', rule: 'required' });
    const unknown = await strict().get('/email.mobileconfig?email=a%40unknown.example');
    expect(unknown.status).toBe(404);
  });
});

describe('DNS records page', () => {
  it('text/plain zone snippet pointing at MAILSETUP_PUBLIC_HOST, and JSON', async () => {
    const res = await strict().get('/dns/nstu.ru');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.text).toMatch(/^autoconfig\.nstu\.ru\.\s+3600\s+IN\s+CNAME\s+mailsetup\.example\.org\.$/m);
    expect(res.text).toMatch(/^_imaps\._tcp\.nstu\.ru\.\s+3600\s+IN\s+SRV\s+10 1 993 mail2\.nstu\.ru\.$/m);
    const ru = await strict().get('/dns/nstu.ru?lang=ru');
    expect(ru.text).toContain('DNS-записи для nstu.ru');
    const json = await hosting().get('/dns/customer-shop.com?variant=mn&format=json');
    expect(json.body).toMatchObject({ domain: 'customer-shop.com', provider: 'rackcorp', variant: 'mn', serviceHost: PUBLIC_HOST });
  });

  it('without MAILSETUP_PUBLIC_HOST, points at the host name the page was asked on (never an IP address)', async () => {
    const app = appWith({ config: loadConfig({}), catalog: strictCatalog });
    const named = await request(app).get('/dns/nstu.ru').set('Host', 'autoconf.example.net');
    expect(named.text).toMatch(/^autodiscover\.nstu\.ru\.\s+3600\s+IN\s+CNAME\s+autoconf\.example\.net\.$/m);
    const byAddress = await request(app).get('/dns/nstu.ru').set('Host', '127.0.0.1:8080');
    expect(byAddress.status).toBe(400);
    expect(apiError(byAddress)).toMatchObject({ field: 'service-host', rule: 'required' });
  });

  it('unknown domain → 404, not a domain → 400', async () => {
    expect((await strict().get('/dns/unknown.example')).status).toBe(404);
    expect(apiError(await strict().get('/dns/localhost'))).toMatchObject({ field: 'domain' });
  });
});

describe('logging', () => {
  it('logs the address by default', async () => {
    hostingLog.lines.length = 0;
    await postXml(hosting, '/autodiscover/autodiscover.xml', outlookBody('sales@customer-shop.com'));
    expect(hostingLog.lines).toContainEqual(
      expect.objectContaining({
        message: 'autodiscovery',
        fields: expect.objectContaining({ address: 'sales@customer-shop.com', domain: 'customer-shop.com', endpoint: 'autodiscover' }),
      }),
    );
  });

  it('with MAILSETUP_LOG_ADDRESSES=false no address appears in any log line, only a hash', async () => {
    const { logger, lines } = captureLogger();
    const quiet = loadConfig({ MAILSETUP_PUBLIC_HOST: PUBLIC_HOST, MAILSETUP_LOG_ADDRESSES: 'false' });
    const app = appWith({ config: quiet, catalog: strictCatalog, signer: identity.signer, logger });
    await request(app).post('/autodiscover/autodiscover.xml').set('Content-Type', 'text/xml').send(outlookBody('ivan.petrov@nstu.ru'));
    await request(app).post('/autodiscover/autodiscover.xml').set('Content-Type', 'text/xml').send(outlookBody('ivan.petrov@nstu.ru'));
    await request(app).get('/mail/config-v1.1.xml?emailaddress=ivan.petrov%40nstu.ru');
    await request(app).get('/autodiscover/autodiscover.json?Email=ivan.petrov%40nstu.ru&Protocol=AutodiscoverV1');
    await request(app).get('/email.mobileconfig?email=ivan.petrov%40nstu.ru');
    await request(app).post('/autodiscover/autodiscover.xml').set('Content-Type', 'text/xml').send(outlookBody('ivan.petrov@unknown.example'));
    expect(lines.filter((l) => l.message === 'autodiscovery')).toHaveLength(5);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain('ivan.petrov');
    const hashes = lines.map((l) => l.fields.addressHash).filter(Boolean);
    expect(hashes[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(hashes[1]).toBe(hashes[0]);
  });
});

describe('mounted in the web app (createApp)', () => {
  it('answers autodiscovery with its own headers and JSON errors, never an HTML error page', async () => {
    const app = createApp({ config, catalog: strictCatalog, signer: identity.signer });
    const autoconfig = await request(app).get('/mail/config-v1.1.xml').set('Host', 'autoconfig.nstu.ru');
    expect(autoconfig.status).toBe(200);
    expect(autoconfig.headers['cache-control']).toBe('public, max-age=14400');
    xmllint(autoconfig.text, ['--relaxng', RNG]);
    const pox = await request(app).post('/Autodiscover/Autodiscover.xml').set('Content-Type', 'text/xml').send(outlookBody('ivan.petrov@nstu.ru'));
    expect(protocols(pox.text)[0]).toMatchObject({ Type: 'IMAP', Server: 'mail2.nstu.ru' });
    const laughs = await request(app).post('/autodiscover/autodiscover.xml').set('Content-Type', 'text/xml').send(billionLaughsBody);
    expect(laughs.status).toBe(400);
    expect(apiError(laughs)).toMatchObject({ code: 'INVALID_INPUT', rule: 'xml-doctype' });
    const big = await request(app)
      .post('/autodiscover/autodiscover.xml')
      .set('Content-Type', 'text/xml')
      .send(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(big.status).toBe(413);
    expect(apiError(big).code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('configuration', () => {
  it('reads MAILSETUP_PUBLIC_HOST (punycode) and MAILSETUP_LOG_ADDRESSES, refusing bad values by name', () => {
    expect(loadConfig({}).autodiscovery).toEqual({ publicHost: undefined, logAddresses: true });
    expect(loadConfig({ MAILSETUP_PUBLIC_HOST: 'почта.пример.рф', MAILSETUP_LOG_ADDRESSES: 'off' }).autodiscovery).toEqual({
      publicHost: 'xn--80a1acny.xn--e1afmkfd.xn--p1ai',
      logAddresses: false,
    });
    expect(() => loadConfig({ MAILSETUP_PUBLIC_HOST: 'https://mailsetup.example.org/' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'MAILSETUP_PUBLIC_HOST' }),
    );
    expect(() => loadConfig({ MAILSETUP_LOG_ADDRESSES: 'maybe' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', field: 'MAILSETUP_LOG_ADDRESSES' }),
    );
  });
});
