// The Apple schema check: the committed facts equal what Apple's YAML gives, and the validator
// reports each kind of broken profile (so a passing profile really means something).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'plist';
import { parse as parseYaml } from 'yaml';
import { MailsetupError } from '../../src/errors.js';
import { compileAppleSchemas, serializeAppleSchemas } from '../../src/formats/apple-schema-compile.js';
import { readPlistXml, validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { PlistReal, loadAppleSchemas, plistTypeOf, validateProfile, type AppleSchemas, type Problem } from '../../src/formats/apple-schema.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const APPLE = join(REPO, 'test', 'fixtures', 'reference', 'apple-schemas');
const PROFILES = join(APPLE, 'mdm', 'profiles');

function schemasFromYaml(): AppleSchemas {
  const files = readdirSync(PROFILES)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({ name, document: parseYaml(readFileSync(join(PROFILES, name), 'utf8')) as unknown }));
  return compileAppleSchemas(files, {
    sourceText: readFileSync(join(APPLE, 'SOURCE.txt'), 'utf8'),
    licenseText: readFileSync(join(APPLE, 'LICENSE.txt'), 'utf8'),
  });
}

const schemas = loadAppleSchemas();
const brief = (problems: Problem[]) => problems.map((p) => [p.path, p.rule]);

type Dict = Record<string, unknown>;

/** A small valid IMAP profile written by hand, not by our builder. */
function mailProfile(): Dict {
  return {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: 'org.example.mail.test',
    PayloadUUID: '11111111-2222-5333-8444-555555555555',
    PayloadDisplayName: 'Mail',
    TargetDeviceType: 1,
    ConsentText: { default: 'Read me', sv: 'Läs mig' },
    PayloadContent: [
      {
        PayloadType: 'com.apple.mail.managed',
        PayloadVersion: 1,
        PayloadIdentifier: 'org.example.mail.test.mail',
        PayloadUUID: '11111111-2222-5333-8444-666666666666',
        EmailAccountType: 'EmailTypeIMAP',
        EmailAddress: 'anna@example.org',
        IncomingMailServerHostName: 'imap.example.org',
        IncomingMailServerPortNumber: 993,
        IncomingMailServerUseSSL: true,
        IncomingMailServerAuthentication: 'EmailAuthPassword',
        OutgoingMailServerHostName: 'smtp.example.org',
        OutgoingMailServerPortNumber: 465,
        OutgoingMailServerUseSSL: true,
        OutgoingMailServerAuthentication: 'EmailAuthPassword',
      },
    ],
  };
}

function exchangeProfile(type: 'com.apple.eas.account' | 'com.apple.ews.account'): Dict {
  const profile = mailProfile();
  profile.PayloadContent = [
    {
      PayloadType: type,
      PayloadVersion: 1,
      PayloadIdentifier: 'org.example.mail.test.exchange',
      PayloadUUID: '11111111-2222-5333-8444-777777777777',
      Host: 'mail.example.org',
      SSL: true,
      UserName: 'anna@example.org',
      EmailAddress: 'anna@example.org',
      ...(type === 'com.apple.ews.account' ? { Port: 443, Path: '/EWS/Exchange.asmx' } : { MailNumberOfPastDaysToSync: 7, EnableMail: true }),
    },
  ];
  return profile;
}

const payload = (profile: Dict) => (profile.PayloadContent as Dict[])[0]!;

describe('compiled schema facts', () => {
  test("the committed JSON is exactly what Apple's YAML compiles to (regenerate: npm run apple-schemas)", () => {
    const fromYaml = schemasFromYaml();
    const committed = readFileSync(join(REPO, 'src', 'formats', 'apple-schema.data.json'), 'utf8');
    expect(committed).toBe(serializeAppleSchemas(fromYaml));
    expect(loadAppleSchemas()).toEqual(fromYaml);
  });

  test('names its source and licence, and covers the payloads mail profiles use', () => {
    expect(schemas.source.repository).toBe('https://github.com/apple/device-management');
    expect(schemas.source.license).toBe('MIT');
    expect(schemas.source.revision).toMatch(/^apple\/device-management commit [0-9a-f]{40}/);
    const notice = readFileSync(join(REPO, 'NOTICE'), 'utf8');
    expect(notice).toContain('Copyright © 2022-2024 Apple Inc.');
    expect(notice).toContain(schemas.source.revision);
    for (const type of ['TopLevel', 'CommonPayloadKeys', 'com.apple.mail.managed', 'com.apple.eas.account', 'com.apple.ews.account']) {
      expect(schemas.payloads[type]?.keys.length).toBeGreaterThan(0);
    }
  });

  test('keeps the facts the checks rely on', () => {
    const top = schemas.payloads.TopLevel!.keys;
    expect(top.find((k) => k.key === 'DurationUntilRemoval')).toEqual({ key: 'DurationUntilRemoval', type: 'real' });
    expect(top.find((k) => k.key === 'PayloadScope')?.os).toEqual({ macOS: { introduced: '10.8' } });
    // ConsentText is a map of language code to text.
    expect(top.find((k) => k.key === 'ConsentText')?.subkeys).toEqual([{ key: 'ANY', type: 'string', required: true }]);
    expect(schemas.payloads['com.apple.eas.account']!.os.macOS).toEqual({ introduced: 'n/a' });
    expect(schemas.payloads['com.apple.ews.account']!.os.iOS).toEqual({ introduced: 'n/a' });
    const days = schemas.payloads['com.apple.eas.account']!.keys.find((k) => k.key === 'MailNumberOfPastDaysToSync');
    expect(days?.rangelist).toEqual([0, 1, 3, 7, 14, 31]);
  });

  test('the compiler refuses schema fields it does not understand', () => {
    const doc = { payload: { payloadtype: 'x.test' }, payloadkeys: [{ key: 'A', type: '<string>', presence: 'optional', weird: 1 }] };
    const base = schemasFromYaml();
    expect(() => compileAppleSchemas([{ name: 'x.yaml', document: doc }], { sourceText: base.source.revision, licenseText: 'Copyright' })).toThrow(
      /x\.yaml payloadkeys\[0\] A: unknown schema field "weird"/,
    );
    const badType = { payload: { payloadtype: 'x.test' }, payloadkeys: [{ key: 'A', type: '<float>' }] };
    expect(() => compileAppleSchemas([{ name: 'x.yaml', document: badType }], { sourceText: '', licenseText: '' })).toThrow(/unknown type <float>/);
  });

  test('the compiler refuses a mapping where a version or presence belongs, and reads an unquoted version', () => {
    const needed = ['TopLevel', 'CommonPayloadKeys'].map((type) => ({ name: `${type}.yaml`, document: { payload: { payloadtype: type }, payloadkeys: [] } }));
    const compile = (key: Record<string, unknown>) =>
      compileAppleSchemas(
        [...needed, { name: 'x.yaml', document: { payload: { payloadtype: 'x.test' }, payloadkeys: [{ key: 'A', type: '<string>', ...key }] } }],
        { sourceText: '', licenseText: '' },
      );
    expect(() => compile({ supportedOS: { iOS: { introduced: { major: 14 } } } })).toThrow(
      /x\.yaml payloadkeys\[0\] A: supportedOS\.iOS\.introduced is not a single value/,
    );
    expect(() => compile({ supportedOS: { macOS: { removed: ['14.0'] } } })).toThrow(/supportedOS\.macOS\.removed is not a single value/);
    expect(() => compile({ presence: { required: true } })).toThrow(/A: presence is not a single value/);
    expect(() => compile({ presence: 'mandatory' })).toThrow(/A: unknown presence mandatory$/);
    expect(compile({ supportedOS: { iOS: { introduced: 17.5 } } }).payloads['x.test']!.keys[0]!.os).toEqual({ iOS: { introduced: '17.5' } });
  });
});

describe('validateProfile', () => {
  test('a correct hand-written profile passes on both systems', () => {
    expect(validateProfile(mailProfile(), 'iOS', schemas)).toEqual([]);
    expect(validateProfile({ ...mailProfile(), PayloadScope: 'User', TargetDeviceType: 5 }, 'macOS', schemas)).toEqual([]);
    expect(validateProfile(exchangeProfile('com.apple.eas.account'), 'iOS', schemas)).toEqual([]);
    expect(validateProfile(exchangeProfile('com.apple.ews.account'), 'macOS', schemas)).toEqual([]);
  });

  test('a missing required key', () => {
    const profile = mailProfile();
    delete payload(profile).IncomingMailServerHostName;
    delete profile.PayloadUUID;
    const problems = validateProfile(profile, 'iOS', schemas);
    expect(brief(problems)).toEqual([
      ['PayloadUUID', 'required'],
      ['PayloadContent[0].IncomingMailServerHostName', 'required'],
    ]);
    expect(problems[1]!.message).toBe('IncomingMailServerHostName is required');
  });

  test('an integer where Apple wants a real, and the real that passes', () => {
    const whole = { ...mailProfile(), DurationUntilRemoval: 3600 };
    const problems = validateProfile(whole, 'iOS', schemas);
    expect(brief(problems)).toEqual([['DurationUntilRemoval', 'type']]);
    expect(problems[0]!.message).toMatch(/must be real, not integer/);
    expect(validateProfile({ ...mailProfile(), DurationUntilRemoval: 3600.5 }, 'iOS', schemas)).toEqual([]);
    expect(validateProfile({ ...mailProfile(), DurationUntilRemoval: new PlistReal(3600) }, 'iOS', schemas)).toEqual([]);
  });

  test('other wrong types: a port as text, a real port, a date, data', () => {
    const profile = mailProfile();
    payload(profile).IncomingMailServerPortNumber = '993';
    payload(profile).OutgoingMailServerPortNumber = new PlistReal(465);
    payload(profile).IncomingMailServerUseSSL = 'true';
    profile.RemovalDate = '2030-01-01';
    profile.EncryptedPayloadContent = Buffer.from('x');
    profile.PayloadExpirationDate = new Date('2030-01-01T00:00:00Z');
    expect(brief(validateProfile(profile, 'iOS', schemas))).toEqual([
      ['RemovalDate', 'type'],
      ['PayloadContent[0].IncomingMailServerPortNumber', 'type'],
      ['PayloadContent[0].IncomingMailServerUseSSL', 'type'],
      ['PayloadContent[0].OutgoingMailServerPortNumber', 'type'],
    ]);
  });

  test('a value outside the rangelist', () => {
    const profile = { ...mailProfile(), TargetDeviceType: 7, PayloadVersion: 2 };
    payload(profile).EmailAccountType = 'EmailTypeExchange';
    const problems = validateProfile(profile, 'iOS', schemas);
    expect(brief(problems)).toEqual([
      ['PayloadVersion', 'allowed-values'],
      ['TargetDeviceType', 'allowed-values'],
      ['PayloadContent[0].EmailAccountType', 'allowed-values'],
    ]);
    expect(problems[2]!.message).toBe('"EmailTypeExchange" is not one of EmailTypeIMAP, EmailTypePOP');
    const eas = exchangeProfile('com.apple.eas.account');
    payload(eas).MailNumberOfPastDaysToSync = 5;
    expect(brief(validateProfile(eas, 'iOS', schemas))).toEqual([['PayloadContent[0].MailNumberOfPastDaysToSync', 'allowed-values']]);
  });

  test('an unknown key, at the top and in a payload', () => {
    const profile = { ...mailProfile(), PayloadColour: 'blue' };
    payload(profile).IncomingMailServerPort = 993;
    const problems = validateProfile(profile, 'iOS', schemas);
    expect(brief(problems)).toEqual([
      ['PayloadColour', 'unknown-key'],
      ['PayloadContent[0].IncomingMailServerPort', 'unknown-key'],
    ]);
    delete payload(profile).IncomingMailServerPort;
    payload(profile).emailaddress = 'x@example.org';
    expect(validateProfile(profile, 'iOS', schemas)[1]!.message).toBe('emailaddress is not a key Apple defines here (did you mean EmailAddress?)');
    // A key of another payload type is unknown here too: EAS has Host, the mail payload does not.
    const mixed = mailProfile();
    payload(mixed).Host = 'mail.example.org';
    expect(brief(validateProfile(mixed, 'iOS', schemas))).toEqual([['PayloadContent[0].Host', 'unknown-key']]);
  });

  test('an Exchange ActiveSync payload on macOS and an EWS payload on iOS, reported once', () => {
    const eas = validateProfile(exchangeProfile('com.apple.eas.account'), 'macOS', schemas);
    expect(brief(eas)).toEqual([['PayloadContent[0]', 'unsupported-os']]);
    expect(eas[0]!.message).toBe('com.apple.eas.account payloads are not supported on macOS');
    expect(brief(validateProfile(exchangeProfile('com.apple.ews.account'), 'iOS', schemas))).toEqual([['PayloadContent[0]', 'unsupported-os']]);
  });

  test('a key the target system does not support (inherited OS list, overridden per key)', () => {
    const profile = mailProfile();
    payload(profile).PreventMove = true; // iOS only
    payload(profile).disableMailRecentsSyncing = true; // names only iOS, so macOS is inherited from the payload
    expect(validateProfile(profile, 'iOS', schemas)).toEqual([]);
    expect(brief(validateProfile(profile, 'macOS', schemas))).toEqual([['PayloadContent[0].PreventMove', 'unsupported-os']]);
  });

  test('payload identifiers and UUIDs must not repeat', () => {
    const profile = mailProfile();
    const second = { ...payload(profile), PayloadUUID: '11111111-2222-5333-8444-888888888888' };
    const third = {
      ...payload(profile),
      PayloadIdentifier: 'org.example.mail.test.other',
      PayloadUUID: (payload(profile).PayloadUUID as string).toLowerCase(),
    };
    profile.PayloadContent = [payload(profile), second, third];
    expect(brief(validateProfile(profile, 'iOS', schemas))).toEqual([
      ['PayloadContent[1].PayloadIdentifier', 'unique'],
      ['PayloadContent[2].PayloadUUID', 'unique'],
    ]);
  });

  test('PayloadContent items are checked by their PayloadType', () => {
    const profile = mailProfile();
    profile.PayloadContent = [{ PayloadType: 'com.example.nothing', PayloadVersion: 1, PayloadIdentifier: 'a', PayloadUUID: 'b', Anything: 1 }, 'text'];
    expect(brief(validateProfile(profile, 'iOS', schemas))).toEqual([
      ['PayloadContent[0].PayloadType', 'unknown-payload-type'],
      ['PayloadContent[1]', 'type'],
    ]);
    expect(brief(validateProfile({ ...mailProfile(), PayloadContent: [{}] }, 'iOS', schemas))).toEqual([
      ['PayloadContent[0].PayloadIdentifier', 'required'],
      ['PayloadContent[0].PayloadUUID', 'required'],
      ['PayloadContent[0].PayloadType', 'required'],
      ['PayloadContent[0].PayloadVersion', 'required'],
    ]);
  });

  test('ConsentText is a map of language code to text', () => {
    expect(brief(validateProfile({ ...mailProfile(), ConsentText: { en: 5 } }, 'iOS', schemas))).toEqual([['ConsentText.en', 'type']]);
    expect(brief(validateProfile({ ...mailProfile(), ConsentText: {} }, 'iOS', schemas))).toEqual([['ConsentText', 'required']]);
  });

  test('a format pattern, values that are no plist at all, and a profile that is not a dictionary', () => {
    const profile = mailProfile();
    payload(profile).SMIMESigningCertificateUUID = 'not-a-uuid';
    payload(profile).EmailAccountName = undefined;
    payload(profile).EmailAccountDescription = null;
    expect(brief(validateProfile(profile, 'iOS', schemas))).toEqual([
      ['PayloadContent[0].SMIMESigningCertificateUUID', 'format'],
      ['PayloadContent[0].EmailAccountName', 'type'],
      ['PayloadContent[0].EmailAccountDescription', 'type'],
    ]);
    expect(brief(validateProfile([], 'iOS', schemas))).toEqual([['', 'profile']]);
    expect(brief(validateProfile({ ...mailProfile(), PayloadContent: [{ ...payload(mailProfile()) }], IsEncrypted: 1 }, 'iOS', schemas))).toEqual([
      ['IsEncrypted', 'type'],
    ]);
  });

  test('an encrypted profile needs no PayloadContent', () => {
    const { PayloadContent: _, ...rest } = mailProfile();
    expect(brief(validateProfile(rest, 'iOS', schemas))).toEqual([['PayloadContent', 'required']]);
    expect(validateProfile({ ...rest, IsEncrypted: true, EncryptedPayloadContent: Buffer.from([1, 2]) }, 'iOS', schemas)).toEqual([]);
  });

  test('range, repetition and removed keys, from a schema written for the test', () => {
    const custom: AppleSchemas = {
      ...schemas,
      payloads: {
        ...schemas.payloads,
        'org.example.test': {
          os: { iOS: { introduced: '4.0' }, macOS: { introduced: '10.7', removed: '14.0' } },
          keys: [
            { key: 'Level', type: 'integer', range: { min: 1, max: 5 } },
            { key: 'Tags', type: 'array', repetition: { min: 1, max: 2 }, subkeys: [{ key: 'Tag', type: 'string' }] },
            { key: 'Old', type: 'boolean', os: { iOS: { removed: '17.0' } } },
            { key: 'Options', type: 'dictionary', subkeys: [{ key: 'Fast', type: 'boolean', required: true }] },
          ],
        },
      },
    };
    const profile = mailProfile();
    profile.PayloadContent = [
      {
        PayloadType: 'org.example.test',
        PayloadVersion: 1,
        PayloadIdentifier: 'x',
        PayloadUUID: 'y',
        Level: 9,
        Tags: ['a', 2, 'c'],
        Old: true,
        Options: { Slow: true },
      },
    ];
    expect(brief(validateProfile(profile, 'iOS', custom))).toEqual([
      ['PayloadContent[0].Level', 'range'],
      ['PayloadContent[0].Tags', 'repetition'],
      ['PayloadContent[0].Tags[1]', 'type'],
      ['PayloadContent[0].Old', 'unsupported-os'],
      ['PayloadContent[0].Options.Fast', 'required'],
      ['PayloadContent[0].Options.Slow', 'unknown-key'],
    ]);
    expect(brief(validateProfile(profile, 'macOS', custom))).toContainEqual(['PayloadContent[0]', 'unsupported-os']);
  });

  test('plist types of JavaScript values follow what plist.build writes', () => {
    expect([1, 1.5, new PlistReal(1), 10n, 'a', true, new Date(0), Buffer.alloc(1), [], {}].map(plistTypeOf)).toEqual([
      'integer',
      'real',
      'real',
      'integer',
      'string',
      'boolean',
      'date',
      'data',
      'array',
      'dictionary',
    ]);
    expect([NaN, Infinity, null, undefined, new Date('x'), new Map(), () => 1].map(plistTypeOf)).toEqual(Array(7).fill(undefined));
    expect(build({ a: 3600 })).toContain('<integer>3600</integer>');
  });
});

describe('readPlistXml', () => {
  const xml = (body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n${body}\n</plist>\n`;

  test('keeps <real> apart from <integer>, and reads every other type', () => {
    const value = readPlistXml(
      xml(`<dict>
  <key>r</key><real>3600</real><key>i</key><integer>-42</integer><key>big</key><integer>9007199254740993</integer>
  <key>s</key><string>Åsa &amp; Иван</string><key>t</key><true/><key>f</key><false/>
  <key>d</key><date>2030-01-02T03:04:05Z</date><key>b</key><data>AAEC
  AwQ=</data><key>a</key><array><string>x</string><dict/></array><key>e</key><string></string>
</dict>`),
    );
    expect(value).toEqual({
      r: new PlistReal(3600),
      i: -42,
      big: 9007199254740993n,
      s: 'Åsa & Иван',
      t: true,
      f: false,
      d: new Date('2030-01-02T03:04:05Z'),
      b: Buffer.from([0, 1, 2, 3, 4]),
      a: ['x', {}],
      e: '',
    });
    expect((value as { r: unknown }).r).toBeInstanceOf(PlistReal);
  });

  test('reads back what plist.build writes', () => {
    const profile = mailProfile();
    expect(readPlistXml(build(profile as Parameters<typeof build>[0]))).toEqual(profile);
  });

  test('so a file with <integer> where Apple wants <real> fails, and one with <real> passes', () => {
    const base = build(mailProfile() as Parameters<typeof build>[0]);
    const withDuration = (element: string) => base.replace('<key>PayloadType</key>', `<key>DurationUntilRemoval</key>\n  ${element}\n  <key>PayloadType</key>`);
    expect(brief(validateProfileXml(withDuration('<integer>3600</integer>'), 'iOS', schemas))).toEqual([['DurationUntilRemoval', 'type']]);
    expect(validateProfileXml(withDuration('<real>3600</real>'), 'iOS', schemas)).toEqual([]);
    expect(validateProfileXml(Buffer.from(withDuration('<real>3600.0</real>')), 'iOS')).toEqual([]);
  });

  test.each([
    ['not XML', 'hello'],
    ['another root', '<?xml version="1.0"?><dict/>'],
    ['an unknown element', xml('<dict><key>a</key><float>1</float></dict>')],
    ['a key without a value', xml('<dict><key>a</key></dict>')],
    ['a repeated key', xml('<dict><key>a</key><true/><key>a</key><false/></dict>')],
    ['a bad integer', xml('<integer>1.5</integer>')],
    ['a bad date', xml('<date>tomorrow</date>')],
    ['two values', xml('<true/><false/>')],
  ])('refuses %s with an error naming the profile', (_what, text) => {
    let error: unknown;
    try {
      readPlistXml(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailsetupError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'profile', rule: 'plist-xml' });
  });
});
