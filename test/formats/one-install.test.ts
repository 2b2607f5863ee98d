// One install sets up everything (issue 13): the provider's trusted roots, CalDAV and CardDAV beside
// mail, and modern (OAuth) Exchange sign-in for Microsoft 365, in the Apple profile (checked by
// Apple's schema, read back by plistlib, signed output verified by openssl), in DDM declarations,
// in autoconfig (RELAX NG) and in the mobile app configurations.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { validateProfile } from '../../src/formats/apple-schema.js';
import { buildDeclarations } from '../../src/formats/ddm.js';
import { validateDeclarations } from '../../src/formats/declarative-schema.js';
import { buildMobileconfigObject } from '../../src/formats/mobileconfig.js';
import { managedAppConfigs } from '../../src/formats/managed-apps.js';
import { FORMATS } from '../../src/formats/registry.js';
import type { GenerateRequestInput } from '../../src/model/request.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { formatContext, generate, parseGenerateRequest } from '../../src/service/generate.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { TestPki, opensslVerify } from '../signing/pki.js';
import { runCli } from '../support/cli.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { thrown } from '../support/errors.js';
import { readZipEntries } from '../support/zip.js';

const RNG = fileURLToPath(new URL('../fixtures/reference/autoconfig/autoconfig.rng', import.meta.url));
const tmp = makeTempDir('mailsetup-one-install-');
afterAll(() => tmp.remove());

type Payload = Record<string, unknown> & { PayloadType: string; PayloadIdentifier: string; PayloadUUID: string };
type Profile = { PayloadIdentifier: string; PayloadContent: Payload[] };

// A university organisation file like NSTU's, with a private root and an intermediate made at test time.
let pki: TestPki;
let rootPem: string;
let intermediatePem: string;
let catalog: ProviderCatalog;
const config = loadConfig({ MAILSETUP_ORG_NAME: 'Example IT', MAILSETUP_ORG_ID: 'org.example.mail' });

/** Mail, calendars, contacts and Exchange from one provider. */
const DAV_PROVIDER = readFileSync(fileURLToPath(new URL('../fixtures/providers/groupware.yaml', import.meta.url)), 'utf8');

beforeAll(() => {
  pki = new TestPki(join(tmp.path, 'pki'));
  const root = pki.root('NSTU Test Root CA', 'rsa');
  const intermediate = pki.issue('NSTU Test Issuing CA', 'rsa', root, { extensions: 'ca' });
  rootPem = readFileSync(root.cert, 'utf8');
  intermediatePem = readFileSync(intermediate.cert, 'utf8');
  writeFileSync(join(tmp.path, 'nstu-root.pem'), rootPem);
  writeFileSync(
    join(tmp.path, 'nstu.yaml'),
    [
      readFileSync(fileURLToPath(new URL('../../providers/nstu.yaml', import.meta.url)), 'utf8'),
      'trust:',
      '  - nstu-root.pem',
      '  - |',
      ...intermediatePem
        .trim()
        .split('\n')
        .map((line) => `    ${line}`),
      '',
    ].join('\n'),
  );
  writeFileSync(join(tmp.path, 'groupware.yaml'), DAV_PROVIDER);
  catalog = ProviderCatalog.load({ paths: [join(tmp.path, 'nstu.yaml'), join(tmp.path, 'groupware.yaml')] });
});

function build(input: GenerateRequestInput & Record<string, unknown>) {
  const request = parseGenerateRequest(input);
  const resolved = resolveAccount(request, catalog);
  return { request, resolved, account: resolved.account, context: formatContext(resolved, request, config) };
}

const derOfPem = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');

describe('trusted roots in the same install', () => {
  it('the NSTU organisation file: one signed profile with the root and intermediate payloads and mail, verified by openssl', async () => {
    const leaf = pki.chain('Signing', 'rsa');
    const run = await runCli(
      [
        'profile',
        '--email',
        'ivan.petrov@nstu.ru',
        '--providers',
        'nstu.yaml',
        '--signing-key',
        leaf.leaf.key,
        '--signing-cert',
        leaf.leaf.cert,
        '--signing-chain',
        leaf.intermediate.cert,
        '--out',
        'ivan.mobileconfig',
      ],
      { cwd: tmp.path },
    );
    // (A test signing chain without its root: the CLI warns about that, which is beside the point here.)
    expect(run.code).toBe(0);
    const plist = opensslVerify(readFileSync(join(tmp.path, 'ivan.mobileconfig')), leaf.root.cert, tmp.path);
    const profile = plistlibParse(plist) as Profile;
    expect(profile.PayloadContent.map((p) => p.PayloadType)).toEqual(['com.apple.security.root', 'com.apple.security.pem', 'com.apple.mail.managed']);
    const [root, intermediate] = profile.PayloadContent as [Payload, Payload];
    expect(Buffer.from((root.PayloadContent as { $data: string }).$data, 'base64').equals(derOfPem(rootPem))).toBe(true);
    expect(Buffer.from((intermediate.PayloadContent as { $data: string }).$data, 'base64').toString('ascii')).toContain('-----BEGIN CERTIFICATE-----');
    expect(root.PayloadCertificateFileName).toBe('NSTU-Test-Root-CA.cer');
    const { account, context } = build({ email: 'ivan.petrov@nstu.ru' });
    expect(validateProfile(buildMobileconfigObject(account, context), 'iOS')).toEqual([]);
    expect(validateProfile(buildMobileconfigObject(account, { ...context, device: 'macos' }), 'macOS')).toEqual([]);
  });

  it('the Outlook pack carries the certificates and the certutil step', async () => {
    const { account, context } = build({ email: 'ivan.petrov@nstu.ru', format: 'outlook-pack' });
    const entries = await readZipEntries(FORMATS['outlook-pack'].build(account, context));
    expect(entries.get('certificates/NSTU-Test-Root-CA.cer')!.equals(derOfPem(rootPem))).toBe(true);
    expect(entries.get('README.txt')!.toString('utf8')).toContain('certutil -user -addstore Root');
  });
});

describe('calendars and contacts', () => {
  it('a CalDAV/CardDAV provider: both payloads beside mail, the model values, distinct identifiers that stay the same', () => {
    const first = build({ email: 'anna@groupware.example' });
    const profile = plistlibParse(FORMATS.mobileconfig.build(first.account, first.context)) as Profile;
    const [mail, caldav, carddav] = profile.PayloadContent as [Payload, Payload, Payload];
    expect(profile.PayloadContent.map((p) => p.PayloadType)).toEqual(['com.apple.mail.managed', 'com.apple.caldav.account', 'com.apple.carddav.account']);
    expect(caldav).toMatchObject({
      CalDAVHostName: 'dav.groupware.example',
      CalDAVPort: 443,
      CalDAVUseSSL: true,
      CalDAVUsername: 'anna@groupware.example',
      CalDAVPrincipalURL: 'https://dav.groupware.example/SOGo/dav/anna@groupware.example/',
    });
    expect(carddav).toMatchObject({ CardDAVHostName: 'dav.groupware.example', CardDAVPort: 8443, CardDAVUseSSL: true, CardDAVUsername: 'anna' });
    expect(new Set(profile.PayloadContent.map((p) => p.PayloadUUID)).size).toBe(3);
    expect(new Set(profile.PayloadContent.map((p) => p.PayloadIdentifier)).size).toBe(3);
    expect(caldav.PayloadIdentifier).toBe(`${profile.PayloadIdentifier}.caldav`);
    const again = build({ email: 'anna@groupware.example' });
    expect((plistlibParse(FORMATS.mobileconfig.build(again.account, again.context)) as Profile).PayloadContent.map((p) => p.PayloadUUID)).toEqual(
      profile.PayloadContent.map((p) => p.PayloadUUID),
    );
    expect(mail.PayloadType).toBe('com.apple.mail.managed');
    expect(validateProfile(buildMobileconfigObject(first.account, first.context), 'iOS')).toEqual([]);
    // Apple defines CardDAVPrincipalURL for iOS only.
    expect(validateProfile(buildMobileconfigObject(first.account, { ...first.context, device: 'macos' }), 'macOS')).toEqual([]);
  });

  it('mail only, and Exchange (which syncs them itself), leave them out', () => {
    const mailOnly = build({ email: 'anna@groupware.example', mailOnly: true });
    expect(buildMobileconfigObject(mailOnly.account, mailOnly.context).PayloadContent).toHaveLength(1);
    const exchange = build({ email: 'anna@groupware.example', type: 'exchange' });
    expect((buildMobileconfigObject(exchange.account, exchange.context).PayloadContent as Payload[]).map((p) => p.PayloadType)).toEqual([
      'com.apple.eas.account',
    ]);
  });

  it('DDM: caldav and carddav declarations with their own credentials, valid', () => {
    const { account, context } = build({ email: 'anna@groupware.example' });
    const list = buildDeclarations(account, context);
    expect(list.map((d) => d.Type)).toEqual([
      'com.apple.asset.credential.userpassword',
      'com.apple.asset.credential.userpassword',
      'com.apple.configuration.account.mail',
      'com.apple.configuration.account.caldav',
      'com.apple.configuration.account.carddav',
      'com.apple.activation.simple',
    ]);
    expect(list[3]!.Payload).toMatchObject({ HostName: 'dav.groupware.example', Port: 443, Path: '/SOGo/dav/anna@groupware.example/' });
    // CalDAV shares the mail login's credential; CardDAV logs in as "anna" and has its own.
    expect(list[3]!.Payload.AuthenticationCredentialsAssetReference).toBe(list[0]!.Identifier);
    expect(list[4]!.Payload.AuthenticationCredentialsAssetReference).toBe(list[1]!.Identifier);
    expect(validateDeclarations(list, 'iOS')).toEqual([]);
    expect(validateDeclarations(list, 'macOS')).toEqual([]);
  });

  it('autoconfig carries calendar and addressbook sections, valid against the RELAX NG schema', () => {
    const { account, context } = build({ email: 'anna@groupware.example', format: 'autoconfig' });
    const xml = FORMATS.autoconfig.build(account, context);
    const file = join(tmp.path, 'groupware-autoconfig.xml');
    writeFileSync(file, xml);
    execFileSync('xmllint', ['--noout', '--nonet', '--relaxng', RNG, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(xml).toContain('<calendar type="caldav">\n    <url>https://dav.groupware.example/SOGo/dav/anna@groupware.example/</url>');
    expect(xml).toContain('<addressbook type="carddav">\n    <url>https://dav.groupware.example:8443/</url>');
    const mailOnly = build({ email: 'anna@groupware.example', format: 'autoconfig', mailOnly: true });
    expect(FORMATS.autoconfig.build(mailOnly.account, mailOnly.context)).not.toContain('<calendar');
  });

  it('--mail-only on the CLI and a calendars column in bulk', async () => {
    const cli = await runCli(
      ['profile', '--email', 'anna@groupware.example', '--providers', 'groupware.yaml', '--unsigned', '--mail-only', '--out', 'anna.mobileconfig'],
      {
        cwd: tmp.path,
      },
    );
    expect(cli.code).toBe(0);
    expect((plistlibParse(readFileSync(join(tmp.path, 'anna.mobileconfig'))) as Profile).PayloadContent).toHaveLength(1);
    writeFileSync(join(tmp.path, 'staff.csv'), 'email,calendars\nanna@groupware.example,no\nbob@groupware.example,yes\ncid@groupware.example,maybe\n');
    const bulk = await runCli(['bulk', 'staff.csv', '--providers', 'groupware.yaml', '--unsigned', '--out', 'staff'], { cwd: tmp.path });
    expect(bulk.code).toBe(10);
    expect(bulk.stderr).toContain('calendars: "maybe" is not yes or no');
    const count = (name: string) => (plistlibParse(readFileSync(join(tmp.path, 'staff', name))) as Profile).PayloadContent.length;
    expect(count('anna@groupware.example.mobileconfig')).toBe(1);
    expect(count('bob@groupware.example.mobileconfig')).toBe(3);
  });

  it('MDM templates keep every payload, with stable template identifiers', async () => {
    const run = await runCli(
      ['bulk', '--mdm', 'jamf', '--providers', 'groupware.yaml', '--provider', 'groupware', '--type', 'imap', '--device', 'ios', '--out', 'mdm'],
      {
        cwd: tmp.path,
      },
    );
    expect(run.code).toBe(0);
    const profile = plistlibParse(readFileSync(join(tmp.path, 'mdm', 'jamf-groupware-default-imap-ios.mobileconfig'))) as Profile;
    expect(profile.PayloadContent.map((p) => p.PayloadIdentifier)).toEqual(
      [
        'org.example.mail.mdm.groupware.default.imap.ios.mail',
        'org.example.mail.mdm.groupware.default.imap.ios.caldav',
        'org.example.mail.mdm.groupware.default.imap.ios.carddav',
      ].map((id) => id.replace('org.example.mail', 'local.mailsetup')),
    );
    expect(profile.PayloadContent[1]).toMatchObject({ CalDAVUsername: '$EMAIL', CalDAVPrincipalURL: 'https://dav.groupware.example/SOGo/dav/$EMAIL/' });
    expect(new Set(profile.PayloadContent.map((p) => p.PayloadUUID)).size).toBe(3);
  });
});

describe('Microsoft 365: modern sign-in, never a password profile', () => {
  it('an Outlook.com address gets an OAuth ActiveSync profile without a password, even when one is given', () => {
    const { account, context, resolved } = build({ email: 'anna@outlook.com', password: 'hunter2' });
    expect(account.kind).toBe('exchange');
    const profile = buildMobileconfigObject(account, context);
    const [eas] = profile.PayloadContent as Payload[];
    expect(eas).toMatchObject({ PayloadType: 'com.apple.eas.account', Host: 'outlook.office365.com', OAuth: true, UserName: 'anna@outlook.com' });
    expect(eas).not.toHaveProperty('Password');
    expect(JSON.stringify(profile)).not.toContain('hunter2');
    expect(resolved.warnings.map((w) => w.key)).toContain('warning.oauthNoPassword');
    expect(validateProfile(profile, 'iOS')).toEqual([]);
    const mac = buildMobileconfigObject(account, { ...context, device: 'macos' });
    expect((mac.PayloadContent as Payload[])[0]).toMatchObject({ PayloadType: 'com.apple.ews.account', OAuth: true });
    expect(validateProfile(mac, 'macOS')).toEqual([]);
  });

  it.each([
    ['asking for IMAP', { email: 'anna@outlook.com', type: 'imap' }],
    ['asking for POP', { email: 'anna@hotmail.com', type: 'pop' }],
    [
      'typing the servers by hand',
      { email: 'boss@contoso.example', manual: { incoming: { host: 'outlook.office365.com' }, outgoing: { host: 'outlook.office365.com' } } },
    ],
    ['a tenant domain named with --provider', { email: 'boss@contoso.example', provider: 'microsoft365', type: 'imap' }],
  ] as const)('%s: an OAuth Exchange profile, and the person is told why', (_, input) => {
    const file = generate(parseGenerateRequest({ ...input, password: 'hunter2' }), { config, catalog });
    const profile = plistlibParse(file.body) as Profile;
    expect(profile.PayloadContent.map((p) => p.PayloadType)).toEqual(['com.apple.eas.account']);
    expect(profile.PayloadContent[0]).toMatchObject({ OAuth: true, Host: 'outlook.office365.com' });
    expect(file.body.toString('utf8')).not.toContain('hunter2');
    expect(file.warnings.join('\n')).toContain('Microsoft 365 does not accept passwords from mail apps');
  });

  it('DDM and the Outlook app configuration use modern sign-in too', () => {
    const { account, context } = build({ email: 'anna@outlook.com' });
    const list = buildDeclarations(account, context);
    expect(list.map((d) => d.Type)).toEqual(['com.apple.configuration.account.exchange', 'com.apple.activation.simple']);
    expect(list[0]!.Payload).toMatchObject({ OAuth: { Enabled: true }, HostName: 'outlook.office365.com' });
    expect(validateDeclarations(list, 'iOS')).toEqual([]);
    expect(managedAppConfigs(account, context).outlook).toEqual({
      'com.microsoft.outlook.EmailProfile.EmailAddress': 'anna@outlook.com',
      'com.microsoft.outlook.EmailProfile.EmailUPN': 'anna@outlook.com',
      'com.microsoft.outlook.EmailProfile.AccountType': 'ModernAuth',
    });
  });

  it('no Outlook .reg or pack (which would point Outlook away from Microsoft 365): a clear error instead', () => {
    for (const format of ['reg', 'outlook-pack'] as const) {
      const { account, context } = build({ email: 'anna@outlook.com', format });
      expect(thrown(() => FORMATS[format].build(account, context))).toMatchObject({ code: 'UNSUPPORTED', field: 'format', rule: 'oauth-outlook' });
    }
  });

  it('an organisation file can give the sign-in and token URLs', () => {
    const file = join(tmp.path, 'oauth.yaml');
    writeFileSync(
      file,
      'id: hybrid\nname: Hybrid\ndomains: [hybrid.example]\nexchange:\n  host: mail.hybrid.example\n  oauth: { signIn: "https://login.hybrid.example/authorize", token: "https://login.hybrid.example/token" }\n',
    );
    const own = ProviderCatalog.load({ paths: [file] });
    const request = parseGenerateRequest({ email: 'a@hybrid.example' });
    const resolved = resolveAccount(request, own);
    const profile = buildMobileconfigObject(resolved.account, formatContext(resolved, request, config));
    expect((profile.PayloadContent as Payload[])[0]).toMatchObject({
      OAuth: true,
      OAuthSignInURL: 'https://login.hybrid.example/authorize',
      OAuthTokenRequestURL: 'https://login.hybrid.example/token',
    });
    expect(validateProfile(profile, 'iOS')).toEqual([]);
  });
});
