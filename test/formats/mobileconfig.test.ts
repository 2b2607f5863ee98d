// Apple profiles for every seed provider, variant, account type and device: each passes Apple's
// schema, and Python's plistlib reads back the servers, ports, TLS flags and logins of DOMAIN.md §1.
//
// Golden file: test/golden/nstu-imap-ios.mobileconfig is compared byte for byte. After a deliberate
// change to the profile format, regenerate it with
//   UPDATE_GOLDEN=1 node --experimental-vm-modules node_modules/jest/bin/jest.js test/formats/mobileconfig.test.ts
// and review the diff before committing.
import { expect } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'plist';
import { loadConfig, type Env } from '../../src/config.js';
import { MailsetupError } from '../../src/errors.js';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { loadAppleSchemas, validateProfile, type AppleOs } from '../../src/formats/apple-schema.js';
import { buildMobileconfigObject } from '../../src/formats/mobileconfig.js';
import { translator } from '../../src/i18n.js';
import type { Account } from '../../src/model/account.js';
import type { GenerateRequestInput } from '../../src/model/request.js';
import { ProviderCatalog, parseProviderFile } from '../../src/providers/catalog.js';
import { formatContext, generate, parseGenerateRequest, type GeneratedFile } from '../../src/service/generate.js';
import { plistlibParseMany } from '../support/python.js';

type Dict = Record<string, unknown>;

const ORG: Env = { MAILSETUP_ORG_NAME: 'Example University IT', MAILSETUP_ORG_ID: 'org.example.mail' };
const catalog = ProviderCatalog.load();
const schemas = loadAppleSchemas();
const en = translator('en');

interface Produced {
  file: GeneratedFile;
  account: Account;
  /** The plist object our builder made. */
  object: Dict;
  /** The same profile as Python's plistlib reads the bytes. */
  parsed: Dict;
  payload: Dict;
}

/** Generates unsigned profiles through the service, and has plistlib read them all in one go. */
function produceMany(inputs: GenerateRequestInput[], env: Env = ORG, providers: ProviderCatalog = catalog): Produced[] {
  const config = loadConfig(env);
  const built = inputs.map((input) => {
    const request = parseGenerateRequest({ unsigned: true, ...input });
    const file = generate(request, { config, catalog: providers });
    return { file, object: buildMobileconfigObject(file.resolved.account, formatContext(file.resolved, request, config)) };
  });
  const parsed = plistlibParseMany(built.map(({ file }) => file.body)) as Dict[];
  return built.map(({ file, object }, i) => ({
    file,
    object,
    account: file.resolved.account,
    parsed: parsed[i]!,
    payload: (parsed[i]!.PayloadContent as Dict[])[0]!,
  }));
}

const produce = (input: GenerateRequestInput, env: Env = ORG): Produced => produceMany([input], env)[0]!;

const osOf = (device: 'ios' | 'macos'): AppleOs => (device === 'ios' ? 'iOS' : 'macOS');

/** Every [path, value] in a parsed plist, depth first. */
function* walk(value: unknown, path = ''): Generator<[string, unknown]> {
  yield [path, value];
  if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* walk(item, `${path}[${i}]`);
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) yield* walk(item, path ? `${path}.${key}` : key);
}

const PASSWORD_KEYS = ['IncomingPassword', 'OutgoingPassword', 'Password'];
const passwordPaths = (parsed: Dict) => [...walk(parsed)].map(([path]) => path).filter((path) => PASSWORD_KEYS.includes(path.split('.').pop()!));

// The expected facts, written out from DOMAIN.md §1 rather than read from the catalog.
interface Seed {
  label: string;
  provider?: string;
  variant?: string;
  email: string;
  login: string;
  imap: string;
  pop: string;
  smtp: [host: string, port: number];
  exchange?: true;
}

const SEEDS: Seed[] = [
  ...(['global', 'us', 'mn'] as const).map((variant): Seed => {
    const host = variant === 'global' ? 'mail.rackcorp.com' : `mail.${variant}.rackcorp.com`;
    return {
      label: `rackcorp/${variant}`,
      provider: 'rackcorp',
      variant,
      email: 'anna.larsson@example.se',
      login: 'anna.larsson@example.se',
      imap: host,
      pop: host,
      smtp: [host, 465],
      exchange: true,
    };
  }),
  { label: 'nstu', email: 'ivan.petrov@nstu.ru', login: 'ivan.petrov@corp.nstu.ru', imap: 'mail2.nstu.ru', pop: 'mail2.nstu.ru', smtp: ['mail2.nstu.ru', 587] },
  { label: 'mailru', email: 'olga@mail.ru', login: 'olga@mail.ru', imap: 'imap.mail.ru', pop: 'pop.mail.ru', smtp: ['smtp.mail.ru', 465] },
  {
    label: 'yandex/ru',
    provider: 'yandex',
    variant: 'ru',
    email: 'pavel@yandex.ru',
    login: 'pavel@yandex.ru',
    imap: 'imap.yandex.ru',
    pop: 'pop.yandex.ru',
    smtp: ['smtp.yandex.ru', 465],
  },
  {
    label: 'yandex/com',
    provider: 'yandex',
    variant: 'com',
    email: 'pavel@yandex.com',
    login: 'pavel@yandex.com',
    imap: 'imap.yandex.com',
    pop: 'pop.yandex.com',
    smtp: ['smtp.yandex.com', 465],
  },
];

const MATRIX = SEEDS.flatMap((seed) =>
  (seed.exchange ? (['imap', 'pop', 'exchange'] as const) : (['imap', 'pop'] as const)).flatMap((type) =>
    (['ios', 'macos'] as const).map((device) => ({ name: `${seed.label} ${type} ${device}`, seed, type, device })),
  ),
);

const matrixInput = ({ seed, type, device }: (typeof MATRIX)[number]): GenerateRequestInput => ({
  email: seed.email,
  provider: seed.provider,
  variant: seed.variant,
  type,
  device,
});
let matrixProfiles: Produced[] = [];
beforeAll(() => {
  matrixProfiles = produceMany(MATRIX.map(matrixInput));
});

describe('every seed provider × variant × account type × device', () => {
  test('the matrix covers 34 profiles', () => expect(matrixProfiles).toHaveLength(34));

  test.each(MATRIX.map((entry, index) => ({ ...entry, index })))('$name', ({ seed, type, device, index }) => {
    const { file, account, object, parsed, payload } = matrixProfiles[index]!;
    const os = osOf(device);

    // Apple's schema, on the object we built and on the bytes we wrote.
    expect(validateProfile(object, os, schemas)).toEqual([]);
    expect(validateProfileXml(file.body, os, schemas)).toEqual([]);
    expect(file.body.toString('utf8')).toBe(build(object as Parameters<typeof build>[0]));
    expect(file.signed).toBe(false);
    expect(file.contentType).toBe('application/x-apple-aspen-config');

    // plistlib reads exactly what we meant; no value came back as a real or a date.
    expect(parsed).toEqual(object);
    expect([...walk(parsed)].filter(([, v]) => v && typeof v === 'object' && ('$real' in v || '$date' in v || '$data' in v))).toEqual([]);

    expect(parsed).toMatchObject({
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      TargetDeviceType: device === 'ios' ? 1 : 5,
      PayloadOrganization: 'Example University IT',
    });
    if (device === 'macos') expect(parsed.PayloadScope).toBe('User');
    else expect(parsed).not.toHaveProperty('PayloadScope');
    expect(parsed.PayloadContent).toHaveLength(1);

    if (type === 'exchange') {
      const exchange = account.exchange!;
      expect(payload.PayloadType).toBe(device === 'ios' ? 'com.apple.eas.account' : 'com.apple.ews.account');
      expect(payload).toMatchObject({ Host: 'mail.ex1.rackcorp.com', SSL: true, UserName: seed.login, EmailAddress: seed.email });
      expect(payload).toMatchObject({ Host: exchange.host, SSL: exchange.ssl, UserName: exchange.username });
      if (device === 'ios') {
        expect(payload).not.toHaveProperty('Port');
        expect(payload).not.toHaveProperty('Path');
        expect(payload).toMatchObject({ EnableMail: true, MailNumberOfPastDaysToSync: 7 });
      } else {
        expect(payload).toMatchObject({ Port: 443, Path: '/EWS/Exchange.asmx' });
        expect(payload).toMatchObject({ Port: exchange.port, Path: exchange.path });
      }
    } else {
      const incoming = account.incoming!;
      const outgoing = account.outgoing!;
      expect(payload).toMatchObject({
        PayloadType: 'com.apple.mail.managed',
        EmailAccountType: type === 'imap' ? 'EmailTypeIMAP' : 'EmailTypePOP',
        EmailAddress: seed.email,
        IncomingMailServerHostName: type === 'imap' ? seed.imap : seed.pop,
        IncomingMailServerPortNumber: type === 'imap' ? 993 : 995,
        IncomingMailServerUseSSL: true,
        IncomingMailServerAuthentication: 'EmailAuthPassword',
        IncomingMailServerUsername: seed.login,
        OutgoingMailServerHostName: seed.smtp[0],
        OutgoingMailServerPortNumber: seed.smtp[1],
        OutgoingMailServerUseSSL: true,
        OutgoingMailServerAuthentication: 'EmailAuthPassword',
        OutgoingMailServerUsername: seed.login,
        OutgoingPasswordSameAsIncomingPassword: true,
      });
      // ... and it is the model's own data that went in.
      expect(payload).toMatchObject({
        IncomingMailServerHostName: incoming.host,
        IncomingMailServerPortNumber: incoming.port,
        IncomingMailServerUsername: incoming.username,
        OutgoingMailServerHostName: outgoing.host,
        OutgoingMailServerPortNumber: outgoing.port,
        OutgoingMailServerUsername: outgoing.username,
      });
      expect(incoming.socket).toBe('SSL');
      expect(outgoing.socket).toBe(seed.smtp[1] === 587 ? 'STARTTLS' : 'SSL');
    }

    expect([...walk(parsed)].filter(([, v]) => v === '')).toEqual([]);
    expect(passwordPaths(parsed)).toEqual([]);
    expect(file.warnings).not.toContain(en('warning.passwordEmbedded'));
    expect(file.warnings.filter((w) => /unencrypted/.test(w))).toEqual([]);
  });
});

describe('the facts of DOMAIN.md §1', () => {
  test('ivan.petrov@nstu.ru logs in as ivan.petrov@corp.nstu.ru: IMAP 993 SSL, SMTP 587 STARTTLS with UseSSL', () => {
    const { payload, account } = produce({ email: 'ivan.petrov@nstu.ru' });
    expect(account.provider).toEqual({ id: 'nstu', name: 'NSTU', variant: 'default' });
    expect(payload).toMatchObject({
      EmailAccountType: 'EmailTypeIMAP',
      IncomingMailServerHostName: 'mail2.nstu.ru',
      IncomingMailServerPortNumber: 993,
      IncomingMailServerUseSSL: true,
      IncomingMailServerUsername: 'ivan.petrov@corp.nstu.ru',
      OutgoingMailServerHostName: 'mail2.nstu.ru',
      OutgoingMailServerPortNumber: 587,
      OutgoingMailServerUseSSL: true,
      OutgoingMailServerUsername: 'ivan.petrov@corp.nstu.ru',
      EmailAddress: 'ivan.petrov@nstu.ru',
    });
    expect(account.outgoing!.socket).toBe('STARTTLS');
  });

  test('RackCorp mn uses mail.mn.rackcorp.com for both directions', () => {
    const { payload } = produce({ email: 'bat@example.mn', provider: 'rackcorp', variant: 'mn' });
    expect(payload).toMatchObject({
      IncomingMailServerHostName: 'mail.mn.rackcorp.com',
      OutgoingMailServerHostName: 'mail.mn.rackcorp.com',
      OutgoingMailServerPortNumber: 465,
    });
  });

  test('Mail.ru sends through smtp.mail.ru 465, for each of its domains', () => {
    const emails = ['olga@mail.ru', 'olga@inbox.ru', 'olga@list.ru', 'olga@bk.ru'];
    for (const [i, { payload }] of produceMany(emails.map((email) => ({ email }))).entries()) {
      const email = emails[i];
      expect(payload).toMatchObject({
        IncomingMailServerHostName: 'imap.mail.ru',
        OutgoingMailServerHostName: 'smtp.mail.ru',
        OutgoingMailServerPortNumber: 465,
        IncomingMailServerUsername: email,
      });
    }
  });

  test('a yandex.com address picks the yandex.com servers without naming a variant; yandex.ru keeps .ru', () => {
    expect(produce({ email: 'Pavel@YANDEX.com' }).payload).toMatchObject({
      IncomingMailServerHostName: 'imap.yandex.com',
      OutgoingMailServerHostName: 'smtp.yandex.com',
    });
    expect(produce({ email: 'pavel@yandex.ru' }).payload).toMatchObject({
      IncomingMailServerHostName: 'imap.yandex.ru',
      OutgoingMailServerHostName: 'smtp.yandex.ru',
    });
    expect(produce({ email: 'pavel@ya.ru' }).payload).toMatchObject({ IncomingMailServerHostName: 'imap.yandex.ru' });
  });

  test("--security STARTTLS picks 143 (and the provider's STARTTLS SMTP port), still with UseSSL", () => {
    const rack = produce({ email: 'anna@example.se', provider: 'rackcorp', security: 'STARTTLS' });
    expect(rack.payload).toMatchObject({
      IncomingMailServerPortNumber: 143,
      IncomingMailServerUseSSL: true,
      OutgoingMailServerPortNumber: 25,
      OutgoingMailServerUseSSL: true,
    });
    expect(validateProfile(rack.object, 'iOS', schemas)).toEqual([]);
    const mailru = produce({ email: 'olga@mail.ru', security: 'STARTTLS', device: 'macos' });
    expect(mailru.payload).toMatchObject({ IncomingMailServerPortNumber: 143, OutgoingMailServerPortNumber: 587, OutgoingMailServerUseSSL: true });
    expect(produce({ email: 'ivan.petrov@nstu.ru', type: 'pop', security: 'STARTTLS' }).payload).toMatchObject({
      IncomingMailServerPortNumber: 110,
      OutgoingMailServerPortNumber: 587,
    });
    expect(() => produce({ email: 'pavel@yandex.ru', security: 'STARTTLS' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', field: 'security' }));
  });

  test('plain only when asked for, with UseSSL false and a warning for each direction', () => {
    const { payload, object, file } = produce({ email: 'anna@example.se', provider: 'rackcorp', variant: 'us', security: 'plain' });
    expect(payload).toMatchObject({
      IncomingMailServerHostName: 'mail.us.rackcorp.com',
      IncomingMailServerPortNumber: 143,
      IncomingMailServerUseSSL: false,
      OutgoingMailServerPortNumber: 25,
      OutgoingMailServerUseSSL: false,
    });
    expect(file.warnings.filter((w) => /unencrypted/.test(w))).toHaveLength(2);
    expect(validateProfile(object, 'iOS', schemas)).toEqual([]);
    expect(() => produce({ email: 'ivan.petrov@nstu.ru', security: 'plain' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', field: 'security' }));
  });

  test('a password goes in only when given, with a warning; the device prompts otherwise', () => {
    const imap = produce({ email: 'olga@mail.ru', password: 'correct horse' });
    expect(imap.payload).toMatchObject({ IncomingPassword: 'correct horse', OutgoingPassword: 'correct horse' });
    expect(imap.file.warnings).toContain(en('warning.passwordEmbedded'));
    expect(validateProfile(imap.object, 'iOS', schemas)).toEqual([]);
    for (const device of ['ios', 'macos'] as const) {
      const exchange = produce({ email: 'anna@example.se', provider: 'rackcorp', type: 'exchange', device, password: 'p@ss wörd' });
      expect(passwordPaths(exchange.parsed)).toEqual(['PayloadContent[0].Password']);
      expect(exchange.payload.Password).toBe('p@ss wörd');
      expect(exchange.file.warnings).toContain(en('warning.passwordEmbedded'));
      expect(validateProfile(exchange.object, osOf(device), schemas)).toEqual([]);
    }
    expect(() => produce({ email: 'olga@mail.ru', password: 'x' }, { ...ORG, MAILSETUP_ALLOW_PASSWORD: 'false' })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', field: 'password' }),
    );
    expect(passwordPaths(produce({ email: 'olga@mail.ru', password: '' }).parsed)).toEqual([]);
  });

  test('an unknown domain without a provider is refused, naming the field', () => {
    let error: unknown;
    try {
      produce({ email: 'anna@unknown-domain.example' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailsetupError);
    expect(error).toMatchObject({ code: 'UNKNOWN_DOMAIN', field: 'email' });
  });
});

describe('identifiers', () => {
  const ids = (p: Produced) => ({
    profile: p.parsed.PayloadIdentifier as string,
    profileUuid: p.parsed.PayloadUUID as string,
    payload: p.payload.PayloadIdentifier as string,
    payloadUuid: p.payload.PayloadUUID as string,
  });
  const rack = (email: string, extra: Partial<GenerateRequestInput> = {}, env: Env = ORG) => produce({ email, provider: 'rackcorp', ...extra }, env);

  test('are stable across runs and processes: the same input gives the same bytes', () => {
    const first = rack('anna@example.se');
    const second = produce({ email: 'anna@example.se', provider: 'rackcorp' }, { ...ORG });
    expect(second.file.body.equals(first.file.body)).toBe(true);
    // Pinned, so a change to the derivation (which would duplicate profiles on devices) fails here.
    expect(ids(first)).toEqual(ids(rack('anna@example.se')));
    expect(ids(first).profileUuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(ids(first).payload.startsWith(`${ids(first).profile}.`)).toBe(true);
    expect(ids(first).profile.startsWith('org.example.mail.')).toBe(true);
  });

  test('differ between people, and between organisations', () => {
    const anna = ids(rack('anna@example.se'));
    const bob = ids(rack('bob@example.se'));
    const otherOrg = ids(rack('anna@example.se', {}, { ...ORG, MAILSETUP_ORG_ID: 'org.example.other' }));
    for (const key of ['profile', 'profileUuid', 'payload', 'payloadUuid'] as const) {
      expect(new Set([anna[key], bob[key], otherOrg[key]]).size).toBe(3);
    }
  });

  test('the same person keeps one profile identity across account types, devices and letter case', () => {
    const all = produceMany([
      { email: 'anna@example.se', provider: 'rackcorp', type: 'imap' },
      { email: 'anna@example.se', provider: 'rackcorp', type: 'pop' },
      { email: 'anna@example.se', provider: 'rackcorp', type: 'exchange' },
      { email: 'anna@example.se', provider: 'rackcorp', type: 'exchange', device: 'macos' },
      { email: 'Anna@EXAMPLE.se', provider: 'rackcorp', type: 'imap', variant: 'mn' },
    ]).map(ids);
    expect(new Set(all.map((i) => i.profile)).size).toBe(1);
    expect(new Set(all.map((i) => i.profileUuid)).size).toBe(1);
    // IMAP and POP are the same payload kind, so switching replaces it in place; EAS and EWS differ.
    expect(all[1]).toEqual(all[0]);
    expect(all[4]).toEqual(all[0]);
    expect(new Set([all[0]!.payloadUuid, all[2]!.payloadUuid, all[3]!.payloadUuid]).size).toBe(3);
  });

  test('payload identifiers are unique within every profile of the matrix', () => {
    for (const { object } of matrixProfiles) {
      const payload = (object.PayloadContent as Dict[])[0]!;
      expect(payload.PayloadIdentifier).not.toBe(object.PayloadIdentifier);
      expect(payload.PayloadUUID).not.toBe(object.PayloadUUID);
    }
  });
});

describe('names and addresses in other scripts', () => {
  test.each(['Иван Петров', 'Åsa Öberg', "Jürgen O'Brien & Søn <test>"])('"%s" survives the round trip byte for byte', (name) => {
    const { parsed, payload, file } = produce({ email: 'ivan.petrov@nstu.ru', name, language: 'ru' });
    expect(payload.EmailAccountName).toBe(name);
    expect(Buffer.from(payload.EmailAccountName as string, 'utf8').equals(Buffer.from(name, 'utf8'))).toBe(true);
    const escaped = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(file.body.includes(Buffer.from(`<string>${escaped}</string>`, 'utf8'))).toBe(true);
    expect(parsed.PayloadDisplayName).toBe(translator('ru')('profile.name', { email: 'ivan.petrov@nstu.ru' }));
  });

  test('a name of only spaces is left out rather than written empty', () => {
    expect(produce({ email: 'olga@mail.ru', name: '   ' }).payload).not.toHaveProperty('EmailAccountName');
  });

  test('an internationalised domain is written in punycode where devices need it', () => {
    const { payload, object } = produce({ email: 'user@почта.рф', provider: 'rackcorp', name: 'Пользователь' });
    expect(payload).toMatchObject({
      EmailAddress: 'user@xn--80a1acny.xn--p1ai',
      IncomingMailServerUsername: 'user@xn--80a1acny.xn--p1ai',
      EmailAccountName: 'Пользователь',
    });
    expect(validateProfile(object, 'iOS', schemas)).toEqual([]);
    const exchange = produce({ email: 'user@почта.рф', provider: 'rackcorp', type: 'exchange' });
    expect(exchange.payload).toMatchObject({ EmailAddress: 'user@xn--80a1acny.xn--p1ai', UserName: 'user@xn--80a1acny.xn--p1ai' });
  });
});

describe('other branches of the builder', () => {
  // A provider an organisation might add: SMTP without authentication, CRAM-MD5 for IMAP, NTLM for POP.
  const custom = new ProviderCatalog(
    parseProviderFile(
      `id: lab
name: Lab Mail
domains: [lab.example]
login: "%EMAILLOCALPART%"
servers:
  - { protocol: imap, host: imap.lab.example, port: 993, socket: SSL, auth: [password-encrypted] }
  - { protocol: pop3, host: pop.lab.example, port: 995, socket: SSL, auth: [OAuth2, NTLM] }
  - { protocol: smtp, host: relay.lab.example, port: 587, socket: STARTTLS, auth: [none] }
`,
      'lab.yaml',
    ),
  );

  test('SMTP without authentication: no username, no outgoing password, passwords not "the same"', () => {
    const [imap, pop] = produceMany(
      [
        { email: 'kim@lab.example', password: 'pw' },
        { email: 'kim@lab.example', type: 'pop', device: 'macos' },
      ],
      ORG,
      custom,
    );
    expect(imap!.payload).toMatchObject({
      IncomingMailServerAuthentication: 'EmailAuthCRAMMD5',
      IncomingMailServerUsername: 'kim',
      IncomingPassword: 'pw',
      OutgoingMailServerAuthentication: 'EmailAuthNone',
      OutgoingMailServerUseSSL: true,
      OutgoingPasswordSameAsIncomingPassword: false,
    });
    expect(imap!.payload).not.toHaveProperty('OutgoingMailServerUsername');
    expect(passwordPaths(imap!.parsed)).toEqual(['PayloadContent[0].IncomingPassword']);
    expect(pop!.payload).toMatchObject({ EmailAccountType: 'EmailTypePOP', IncomingMailServerAuthentication: 'EmailAuthNTLM' });
    expect(validateProfile(imap!.object, 'iOS', schemas)).toEqual([]);
    expect(validateProfile(pop!.object, 'macOS', schemas)).toEqual([]);
  });

  test('servers typed by hand, for a domain no provider serves', () => {
    const { payload, object, parsed } = produce({
      email: 'kim@own.example',
      manual: { incoming: { host: 'imap.own.example' }, outgoing: { host: 'smtp.own.example', socket: 'STARTTLS' } },
    });
    expect(payload).toMatchObject({
      IncomingMailServerHostName: 'imap.own.example',
      IncomingMailServerPortNumber: 993,
      OutgoingMailServerPortNumber: 587,
      OutgoingMailServerUseSSL: true,
      IncomingMailServerUsername: 'kim@own.example',
    });
    expect(parsed.PayloadDescription).toBe(en('profile.descriptionNoProvider', { email: 'kim@own.example' }));
    expect(validateProfile(object, 'iOS', schemas)).toEqual([]);
  });

  test.each([
    ['name', { name: 'Kim\uFFFF' }],
    ['name', { name: 'Kim \uD800' }],
    ['password', { password: 'pa\u0001ss' }],
    ['login', { login: 'kim\uFFFE' }],
  ])('a %s the XML cannot carry is refused naming the field, not with a bare writer error', (field, extra) => {
    expect(() => produce({ email: 'olga@mail.ru', ...extra })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field, rule: 'xml-character' }));
  });
});

describe('consent text', () => {
  const env = { ...ORG, MAILSETUP_CONSENT_TEXT: 'Rules apply.', MAILSETUP_CONSENT_TEXT_RU: 'Действуют правила.', MAILSETUP_CONSENT_TEXT_SV: 'Regler gäller.' };

  test.each([
    ['en', 'Rules apply.'],
    ['ru', 'Действуют правила.'],
    ['sv', 'Regler gäller.'],
  ] as const)('carries every configured language; default is the chosen language (%s)', (language, expected) => {
    const { parsed } = produce({ email: 'ivan.petrov@nstu.ru', language }, env);
    expect(parsed.ConsentText).toEqual({ default: expected, ru: 'Действуют правила.', sv: 'Regler gäller.' });
    expect(validateProfile(parsed, 'iOS', schemas)).toEqual([]);
  });

  test('is left out when none is configured', () => {
    expect(produce({ email: 'ivan.petrov@nstu.ru' }).parsed).not.toHaveProperty('ConsentText');
  });
});

describe('golden file', () => {
  const GOLDEN = join(fileURLToPath(new URL('../golden', import.meta.url)), 'nstu-imap-ios.mobileconfig');

  test('nstu IMAP for iOS, unsigned, matches test/golden/nstu-imap-ios.mobileconfig byte for byte', () => {
    const env = { ...ORG, MAILSETUP_CONSENT_TEXT: 'By installing this profile you agree to the university IT rules.' };
    const { file } = produce({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров', type: 'imap', device: 'ios' }, env);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, file.body);
    if (!existsSync(GOLDEN)) throw new Error(`${GOLDEN} is missing; create it with UPDATE_GOLDEN=1 (see the top of this file)`);
    const golden = readFileSync(GOLDEN);
    expect(file.body.toString('utf8')).toBe(golden.toString('utf8'));
    expect(file.body.equals(golden)).toBe(true);
    expect(validateProfileXml(golden, 'iOS', schemas)).toEqual([]);
  });
});
