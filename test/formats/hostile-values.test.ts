// One text rule for every format: what a person typed comes back exactly from the real parser,
// or the request is refused naming the field they filled in and the rule. References (`&lt;`,
// `&#10;`, `&foo;`) are text, never markup; U+FFFE, U+FFFF, unpaired surrogates and controls are
// refused; placeholders are expanded in the login template only, never inside the address.
import { loadConfig } from '../../src/config.js';
import { buildActiveSyncAutodiscoverResponse } from '../../src/formats/activesync-autodiscover.js';
import { buildAutoconfig } from '../../src/formats/autoconfig.js';
import { buildAutodiscoverResponse } from '../../src/formats/autodiscover.js';
import { buildPlistXml } from '../../src/formats/plist-xml.js';
import { buildPrf, renderPrf } from '../../src/formats/prf.js';
import type { Account } from '../../src/model/account.js';
import type { Provider } from '../../src/model/provider.js';
import { expandLogin, parseEmail, type EmailParts } from '../../src/model/rules.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { generate, parseGenerateRequest } from '../../src/service/generate.js';
import { thrown } from '../support/errors.js';
import { plistlibParseMany } from '../support/python.js';
import { etreeFind, etreeFindAll, etreeParse, xmllint } from '../support/xml-check.js';
import { readZipEntries } from '../support/zip.js';

const config = loadConfig({ MAILSETUP_ORG_NAME: 'Example University IT', MAILSETUP_ORG_ID: 'org.example.mail' });
const catalog = ProviderCatalog.load();
const FORMATS = ['mobileconfig', 'prf', 'reg', 'autodiscover', 'autoconfig', 'outlook-pack'] as const;

const produce = (input: Record<string, unknown>) => generate(parseGenerateRequest({ unsigned: true, ...input }), { config, catalog });
const email = (address: string) => parseEmail(address) as EmailParts;
const AD = '{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}';

/** The values of one section of a PRF, as Windows' INI reader splits `key=value` lines. */
function prfValues(bytes: Buffer, section = 'Account1'): Record<string, string> {
  const text = bytes[0] === 0xff ? bytes.subarray(2).toString('utf16le') : bytes.toString('ascii');
  const lines = text.split('\r\n');
  const start = lines.indexOf(`[${section}]`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('['));
  return Object.fromEntries(
    lines
      .slice(start + 1, end === -1 ? undefined : end)
      .filter((line) => /^[A-Za-z0-9]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('references and markup in names come back as typed', () => {
  const NAMES = ['x&#10;y', 'A &foo; B', '&lt;b&gt; &amp; &nbsp;', '&#0; &#xFFFF; &#65;', 'Tom & "Jerry" <x/> ]]>', '&amp;lt;'];

  test.each(NAMES)('%j in the Autodiscover XML', (name) => {
    const file = produce({ email: 'anna@mail.ru', name, format: 'autodiscover' });
    xmllint(file.body);
    expect(etreeFind(etreeParse(file.body), `${AD}User`, `${AD}DisplayName`)?.text).toBe(name);
  });

  test.each(NAMES)('%j in the Outlook pack Autodiscover XML and the Apple profile', async (name) => {
    const pack = produce({ email: 'anna@mail.ru', name, format: 'outlook-pack' });
    const xml = [...(await readZipEntries(pack.body))].find(([entry]) => entry.endsWith('.xml'))![1];
    xmllint(xml);
    expect(etreeFind(etreeParse(xml), `${AD}User`, `${AD}DisplayName`)?.text).toBe(name);
    const [profile] = plistlibParseMany([produce({ email: 'anna@mail.ru', name, format: 'mobileconfig' }).body]) as {
      PayloadContent: { EmailAccountName: string }[];
    }[];
    expect(profile!.PayloadContent[0]!.EmailAccountName).toBe(name);
  });

  test('ActiveSync Autodiscover', () => {
    const account = produce({ email: 'anna@corp.example', provider: 'rackcorp', type: 'exchange', name: 'x&#10;y &foo;', format: 'autodiscover' }).resolved
      .account;
    const xml = buildActiveSyncAutodiscoverResponse(account);
    xmllint(xml);
    const ns = '{http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006}';
    expect(etreeFind(etreeParse(xml), `${ns}User`, `${ns}DisplayName`)?.text).toBe('x&#10;y &foo;');
  });

  test('catalog text and attributes in autoconfig (names, documentation URLs with & in the query)', () => {
    const base = catalog.get('yandex');
    const provider: Provider = {
      ...base,
      name: 'Yandex &nbsp; &#10; Mail',
      documentation: [{ url: 'https://help.example/?a=1&lt=2&amp;b', description: 'see &lt;here&gt;' }],
    };
    const xml = buildAutoconfig(provider, provider.variants[0]!);
    xmllint(xml, ['--relaxng', 'test/fixtures/reference/autoconfig/autoconfig.rng']);
    const root = etreeParse(xml);
    expect(etreeFind(root, 'displayName')?.text).toBe('Yandex &nbsp; &#10; Mail');
    expect(etreeFind(root, 'documentation')?.attrib.url).toBe('https://help.example/?a=1&lt=2&amp;b');
    expect(etreeFind(root, 'documentation', 'descr')?.text).toBe('see &lt;here&gt;');
  });
});

describe('characters no XML can carry are refused in every format, naming the field', () => {
  test.each(FORMATS)('%s', (format) => {
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 'anna@mail.ru', name: 'a\uFFFFb' }, 'name'],
      [{ email: 'anna@mail.ru', name: 'a\uFFFEb' }, 'name'],
      [{ email: 'anna@mail.ru', name: 'a\uD800b' }, 'name'],
      [{ email: 'an\uFFFFna@mail.ru' }, 'email'],
      [{ email: 'an\uDC00na@nstu.ru' }, 'email'],
      [{ email: 'anna@mail.ru', login: 'anna\uFFFF' }, 'login'],
      [{ email: 'anna@mail.ru', login: 'an\uD83Dna' }, 'login'],
      [{ email: 'anna@mail.ru', password: 'pa\u0001ss' }, 'password'],
      [{ email: 'anna@mail.ru', password: 'pa\uFFFFss' }, 'password'],
    ];
    for (const [input, field] of cases) {
      expect(thrown(() => produce({ ...input, format }))).toMatchObject({ code: 'INVALID_INPUT', field, rule: 'xml-character' });
    }
  });

  const account: Account = produce({ email: 'anna@mail.ru', format: 'prf' }).resolved.account;

  test.each([
    ['U+FFFF', 'a\uFFFFb'],
    ['U+FFFE', 'a\uFFFEb'],
    ['a lone surrogate', '\uDC00'],
    ['a control character', 'a\u0008b'],
  ])('the writers themselves refuse %s (Autodiscover, PRF, plist)', (_, bad) => {
    expect(thrown(() => buildAutodiscoverResponse({ ...account, displayName: bad }))).toMatchObject({ code: 'INVALID_INPUT', field: 'displayName' });
    expect(thrown(() => buildPrf({ ...account, displayName: bad }))).toMatchObject({ code: 'INVALID_INPUT', field: 'displayName' });
    expect(thrown(() => buildPlistXml({ EmailAccountName: bad }))).toMatchObject({ code: 'INVALID_INPUT', field: 'EmailAccountName' });
    expect(thrown(() => renderPrf({ header: [bad], sections: [] }))).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('logins: placeholders are filled in the template only', () => {
  test.each([
    ['%EMAILADDRESS%', '%EMAILDOMAIN%@mail.ru', '%EMAILDOMAIN%@mail.ru'],
    ['%EMAILADDRESS%', '%EMAILLOCALPART%x@mail.ru', '%EMAILLOCALPART%x@mail.ru'],
    ['%EMAILLOCALPART%@corp.nstu.ru', '%EMAILDOMAIN%@nstu.ru', '%EMAILDOMAIN%@corp.nstu.ru'],
    ['%EMAILLOCALPART%@corp.nstu.ru', '~$&@nstu.ru', '~$&@corp.nstu.ru'],
    ['%EMAILLOCALPART%-%EMAILDOMAIN%', "$`$'$$$1@nstu.ru", "$`$'$$$1-nstu.ru"],
    ['%EMAILLOCALPART%%EMAILDOMAIN%', 'x%@nstu.ru', 'x%nstu.ru'],
  ])('%s for %s is %s', (template, address, login) => {
    expect(expandLogin(template, email(address))).toBe(login);
  });

  test.each([
    ['%EMAILDOMAIN%@mail.ru', '%EMAILDOMAIN%@mail.ru'],
    ['~$&@nstu.ru', '~$&@corp.nstu.ru'],
    ["$'x@nstu.ru", "$'x@corp.nstu.ru"],
  ])('through the service, %s logs in as %s', (address, login) => {
    const file = produce({ email: address, format: 'prf' });
    expect(prfValues(file.body).IMAPUserName).toBe(login);
    expect(file.resolved.account.incoming?.username).toBe(login);
  });

  test('an address that looks like a placeholder is a value, not a template', () => {
    const file = produce({ email: '%X%@example.tr', provider: 'rackcorp', format: 'mobileconfig' });
    expect(file.resolved.account.incoming?.username).toBe('%X%@example.tr');
  });

  test('Exchange autoconfig honours the login given', () => {
    const file = produce({ email: 'anna@corp.example', provider: 'rackcorp', type: 'exchange', login: 'CORP\\anna', format: 'autoconfig' });
    const ews = etreeFindAll(etreeParse(file.body), 'incomingServer').find((server) => server.attrib.type === 'ews')!;
    expect(etreeFind(ews, 'username')?.text).toBe('CORP\\anna');
  });

  test('autoconfig refuses a login that clients would expand again', () => {
    expect(thrown(() => produce({ email: '%EMAILDOMAIN%@mail.ru', format: 'autoconfig' }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'email',
      rule: 'autoconfig-placeholder',
    });
    expect(thrown(() => produce({ email: 'x%@mail.ru', login: '%EMAILLOCALPART%EMAILDOMAIN%', format: 'autoconfig' }))).toMatchObject({
      field: 'login',
      rule: 'autoconfig-placeholder',
    });
  });
});

describe('refusals name the field the person filled in', () => {
  test.each([
    [{ name: '"Anna"', format: 'prf' }, 'name', 'prf-quoted'],
    [{ name: "'Anna'", format: 'outlook-pack' }, 'name', 'prf-quoted'],
    [{ login: '"anna"', format: 'prf' }, 'login', 'prf-quoted'],
    [{ login: "'anna'", format: 'outlook-pack' }, 'login', 'prf-quoted'],
    [{ login: '%EMAILADDRESS%'.repeat(4), format: 'mobileconfig', email: `${'a'.repeat(64)}@mail.ru` }, 'login', 'max-length'],
    [{ email: 'an\uFFFFna@mail.ru', format: 'mobileconfig' }, 'email', 'xml-character'],
    [{ email: 'an\uFFFFna@mail.ru', format: 'reg' }, 'email', 'xml-character'],
    [{ login: 'an\uFFFFna', format: 'autoconfig' }, 'login', 'xml-character'],
  ])('%j → %s / %s', (input, field, rule) => {
    const error = thrown(() => produce({ email: 'anna@mail.ru', ...input }));
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field, rule });
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).not.toMatch(/\b(incoming|outgoing|exchange)\.username|displayName|Payload/);
    for (const detail of error.details) expect(['email', 'name', 'login', 'password']).toContain(detail.field);
  });
});
