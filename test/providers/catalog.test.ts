// The provider catalog: bundled seed providers, organisation files on top, lookup by id and by
// email domain, the default provider, variants, and errors that name the file, field and rule.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { parseProviderFile, ProviderCatalog, variantOf } from '../../src/providers/catalog.js';
import { thrown } from '../support/errors.js';
import { makeTempDir } from '../support/tmp.js';

const bundled = ProviderCatalog.load();

let dir: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => dir.remove());

function file(name: string, text: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

const MINIMAL = `
id: example-uni
name: Example University
domains: [example.edu]
servers:
  - { protocol: imap, host: imap.example.edu, port: 993, socket: SSL }
  - { protocol: smtp, host: smtp.example.edu, port: 465, socket: SSL }
`;

describe('the bundled seed providers', () => {
  // The four of DOMAIN.md §1, and Microsoft 365 (issue 13: recognised, so no password profile is made for it).
  test('are the four of DOMAIN.md §1 and Microsoft 365', () => {
    expect(
      bundled
        .list()
        .map((p) => p.id)
        .sort(),
    ).toEqual(['mailru', 'microsoft365', 'nstu', 'rackcorp', 'yandex']);
  });

  test.each([
    ['mail.ru', 'mailru'],
    ['MAIL.RU', 'mailru'],
    ['Inbox.Ru', 'mailru'],
    ['corp.mail.ru', 'mailru'],
    ['nstu.ru', 'nstu'],
    ['NSTU.RU.', 'nstu'],
    ['ya.ru', 'yandex'],
    [' Yandex.Com ', 'yandex'],
  ])('domain %j finds %s (case-insensitive)', (domain, id) => {
    expect(bundled.findByDomain(domain)?.id).toBe(id);
    expect(bundled.forDomain(domain).id).toBe(id);
  });

  test('ids are looked up case-insensitively too', () => {
    expect(bundled.get(' RackCorp ').id).toBe('rackcorp');
  });

  test('rackcorp lists no domain but works for any address; nstu logs in at corp.nstu.ru', () => {
    const rackcorp = bundled.get('rackcorp');
    expect(rackcorp.anyDomain).toBe(true);
    expect(rackcorp.domains).toEqual([]);
    expect(bundled.get('nstu').login).toBe('%EMAILLOCALPART%@corp.nstu.ru');
  });
});

describe('internationalised domains', () => {
  test('a provider listing a Unicode domain is found by its Unicode and punycode forms, in any case', () => {
    const path = file('idn.yaml', MINIMAL.replace('[example.edu]', '[пример.рф, Bücher.example]'));
    const catalog = ProviderCatalog.load({ paths: [path] });
    expect(catalog.get('example-uni').domains).toEqual(['xn--e1afmkfd.xn--p1ai', 'xn--bcher-kva.example']);
    for (const domain of [
      'пример.рф',
      'ПРИМЕР.РФ',
      'xn--e1afmkfd.xn--p1ai',
      'XN--E1AFMKFD.XN--P1AI',
      'bücher.example',
      'BÜCHER.example',
      'xn--bcher-kva.example',
    ]) {
      expect(catalog.findByDomain(domain)?.id).toBe('example-uni');
    }
  });

  test('a provider listing punycode is found by the Unicode form', () => {
    const catalog = ProviderCatalog.load({ paths: [file('p.yaml', MINIMAL.replace('[example.edu]', '[xn--e1afmkfd.xn--p1ai]'))] });
    expect(catalog.forDomain('пример.рф').id).toBe('example-uni');
  });

  test('something that is not a domain finds nothing', () => {
    expect(bundled.findByDomain('not a domain')).toBeUndefined();
    expect(bundled.findByDomain('')).toBeUndefined();
  });
});

describe('the default provider for unknown domains', () => {
  test('without one, an unknown domain is an UNKNOWN_DOMAIN error on the email field', () => {
    const error = thrown(() => bundled.forDomain('unlisted.example'));
    expect(error.code).toBe('UNKNOWN_DOMAIN');
    expect(error.field).toBe('email');
    expect(error.exitCode).toBe(3);
  });

  test('MAILSETUP_DEFAULT_PROVIDER=rackcorp answers for unknown domains; listed domains keep their provider', () => {
    const config = loadConfig({ MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' });
    const catalog = ProviderCatalog.load({ paths: config.providerPaths, defaultProvider: config.defaultProvider });
    expect(catalog.defaultProviderId).toBe('rackcorp');
    expect(catalog.forDomain('unlisted.example').id).toBe('rackcorp');
    expect(catalog.forDomain('mail.ru').id).toBe('mailru');
    // findByDomain never falls back: callers can tell "listed" from "defaulted".
    expect(catalog.findByDomain('unlisted.example')).toBeUndefined();
  });

  test('a default provider that is not in the catalog is a configuration error naming the variable', () => {
    const error = thrown(() => ProviderCatalog.load({ defaultProvider: 'nobody' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.field).toBe('MAILSETUP_DEFAULT_PROVIDER');
    expect(error.rule).toBe('known-provider');
    expect(error.message).toContain('rackcorp');
  });

  test('a default provider id that is not an id is refused when the configuration loads', () => {
    const error = thrown(() => loadConfig({ MAILSETUP_DEFAULT_PROVIDER: 'Rack Corp!' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.field).toBe('MAILSETUP_DEFAULT_PROVIDER');
  });

  test('an organisation provider can be the default', () => {
    const catalog = ProviderCatalog.load({ paths: [file('uni.yaml', MINIMAL)], defaultProvider: 'example-uni' });
    expect(catalog.forDomain('anything.example').id).toBe('example-uni');
  });
});

describe('organisation files', () => {
  test('a provider with a bundled id replaces the bundled one, for the id and its domains', () => {
    const path = file(
      'mailru.yaml',
      `id: mailru
name: Mail.ru (our relay)
domains: [mail.ru, bk.ru]
servers:
  - { protocol: imap, host: imap.relay.example, port: 993, socket: SSL }
  - { protocol: smtp, host: smtp.relay.example, port: 587, socket: STARTTLS }
`,
    );
    const catalog = ProviderCatalog.load({ paths: [path] });
    const mailru = catalog.get('mailru');
    expect(mailru.name).toBe('Mail.ru (our relay)');
    expect(mailru.source).toBe(path);
    expect(mailru.variants[0]!.servers.map((s) => s.host)).toEqual(['imap.relay.example', 'smtp.relay.example']);
    expect(catalog.forDomain('bk.ru').name).toBe('Mail.ru (our relay)');
    // Domains only the replaced entry listed are no longer served by it.
    expect(catalog.findByDomain('inbox.ru')).toBeUndefined();
    expect(catalog.list().filter((p) => p.id === 'mailru')).toHaveLength(1);
  });

  test('a folder is read in name order, a later file replacing an earlier one; other files are ignored', () => {
    mkdirSync(join(dir.path, 'org'));
    writeFileSync(join(dir.path, 'org', 'a.yaml'), MINIMAL);
    writeFileSync(
      join(dir.path, 'org', 'b.json'),
      JSON.stringify({
        providers: [
          {
            id: 'example-uni',
            name: 'Replaced',
            domains: ['example.edu'],
            servers: [
              { protocol: 'pop3', host: 'pop.example.edu', port: 995, socket: 'SSL' },
              { protocol: 'smtp', host: 'smtp.example.edu', port: 465, socket: 'SSL' },
            ],
          },
        ],
      }),
    );
    writeFileSync(join(dir.path, 'org', 'notes.txt'), 'not a provider');
    const catalog = ProviderCatalog.load({ paths: [join(dir.path, 'org')] });
    expect(catalog.get('example-uni').name).toBe('Replaced');
    expect(catalog.list()).toHaveLength(bundled.list().length + 1);
  });

  test('without the bundled providers only the given files count', () => {
    const catalog = ProviderCatalog.load({ paths: [file('uni.yaml', MINIMAL)], withoutBundled: true });
    expect(catalog.list().map((p) => p.id)).toEqual(['example-uni']);
  });

  test('a path that does not exist is an IO error', () => {
    const error = thrown(() => ProviderCatalog.load({ paths: [join(dir.path, 'missing.yaml')] }));
    expect(error.code).toBe('IO');
    expect(error.message).toContain('missing.yaml');
  });
});

describe('an invalid provider file is CATALOG_INVALID naming the file, the field and the rule', () => {
  test.each([
    ['a port out of range', MINIMAL.replace('port: 993', 'port: 70000'), 'servers.0.port', 'max'],
    ['an unknown socket', MINIMAL.replace('socket: SSL }', 'socket: TLS }'), 'servers.0.socket', 'allowed-values'],
    ['an unknown protocol', MINIMAL.replace('protocol: imap', 'protocol: jmap'), 'servers.0.protocol', 'allowed-values'],
    ['a bad host name', MINIMAL.replace('imap.example.edu', 'imap_example edu'), 'servers.0.host', 'hostname'],
    ['a bad domain', MINIMAL.replace('[example.edu]', '[localhost]'), 'domains.0', 'domain'],
    ['an unknown placeholder', `${MINIMAL}login: "%USERNAME%"\n`, 'login', 'login-placeholder'],
    ['an unknown field', `${MINIMAL}colour: blue\n`, 'input', 'unknown-field'],
    ['a missing name', MINIMAL.replace('name: Example University\n', ''), 'name', 'required'],
    ['an id with capitals', MINIMAL.replace('id: example-uni', 'id: Example'), 'id', 'format'],
    ['an unknown auth method', MINIMAL.replace('socket: SSL }', 'socket: SSL, auth: [kerberos] }'), 'servers.0.auth.0', 'allowed-values'],
    ['a line break in the name', MINIMAL.replace('name: Example University', 'name: "Example\\nUniversity"'), 'name', 'no-control-characters'],
  ])('%s', (_, text, field, rule) => {
    const path = file('broken.yaml', text);
    const error = thrown(() => ProviderCatalog.load({ paths: [path] }));
    expect(error.code).toBe('CATALOG_INVALID');
    expect(error.exitCode).toBe(5);
    expect(error.field).toBe(field);
    expect(error.rule).toBe(rule);
    expect(error.message).toContain(path);
  });

  test('in a file listing several providers, the field path leads to the entry', () => {
    const list = `providers:\n${MINIMAL.trim()
      .split('\n')
      .map((line, i) => `${i === 0 ? '  - ' : '    '}${line}`)
      .join('\n')}\n`;
    expect(ProviderCatalog.load({ paths: [file('list.yaml', list)] }).get('example-uni').domains).toEqual(['example.edu']);
    const error = thrown(() => ProviderCatalog.load({ paths: [file('list-broken.yaml', list.replace('socket: SSL }', 'socket: TLS }'))] }));
    expect([error.code, error.field, error.rule]).toEqual(['CATALOG_INVALID', 'providers.0.servers.0.socket', 'allowed-values']);
    expect(error.message).toContain('list-broken.yaml');
  });

  test('YAML that does not parse names the file and the syntax rule', () => {
    const path = file('syntax.yaml', 'id: x\n  name: [unclosed\n');
    const error = thrown(() => ProviderCatalog.load({ paths: [path] }));
    expect(error.code).toBe('CATALOG_INVALID');
    expect(error.rule).toBe('syntax');
    expect(error.field).toBe(path);
  });

  test('JSON that does not parse says JSON', () => {
    const error = thrown(() => parseProviderFile('{"id": ', 'org.json'));
    expect(error.message).toMatch(/^org\.json: not valid JSON/);
  });

  test('a variant without servers or Exchange, and two variants with one id, are refused', () => {
    const empty = thrown(() => parseProviderFile('id: x\nname: X\nvariants: [{ id: a }]\n', 'x.yaml'));
    expect([empty.code, empty.field, empty.rule]).toEqual(['CATALOG_INVALID', 'x.servers', 'required']);
    const twice = thrown(() => parseProviderFile(`${MINIMAL}variants: [{ id: a }, { id: a }]\n`, 'x.yaml'));
    expect([twice.code, twice.field, twice.rule]).toEqual(['CATALOG_INVALID', 'example-uni.variants', 'unique']);
  });
});

describe('variants', () => {
  const [provider] = parseProviderFile(
    `${MINIMAL}webmail: https://mail.example.edu/
exchange: { host: ex.example.edu }
variants:
  - id: main
    name: { en: Main campus, sv: Huvudcampus }
  - id: north
    domains: [north.example.edu]
    webmail: https://north.example.edu/
    servers:
      - { protocol: imap, host: imap.north.example.edu, port: 143, socket: STARTTLS }
      - { protocol: imap, host: imap.north.example.edu, port: 143, socket: plain }
      - { protocol: smtp, host: smtp.north.example.edu, port: 25, socket: plain }
`,
    'uni.yaml',
  );

  test("a variant that does not override servers, Exchange or webmail inherits the provider's", () => {
    const main = variantOf(provider!, 'main');
    expect(main.servers.map((s) => s.host)).toEqual(['imap.example.edu', 'smtp.example.edu']);
    expect(main.webmail).toBe('https://mail.example.edu/');
    expect(main.exchange?.host).toBe('ex.example.edu');
    expect(main.name).toEqual({ en: 'Main campus', sv: 'Huvudcampus' });
  });

  test('an overriding variant keeps its own servers in order and inherits what it does not override', () => {
    const north = variantOf(provider!, 'NORTH');
    expect(north.servers.map((s) => `${s.host}:${s.port}/${s.socket}`)).toEqual([
      'imap.north.example.edu:143/STARTTLS',
      'imap.north.example.edu:143/plain',
      'smtp.north.example.edu:25/plain',
    ]);
    expect(north.webmail).toBe('https://north.example.edu/');
    expect(north.exchange?.host).toBe('ex.example.edu');
  });

  test('plain servers are kept and flagged insecure, encrypted ones are not', () => {
    const flags = variantOf(provider!, 'north').servers.map((s) => [s.socket, s.insecure]);
    expect(flags).toEqual([
      ['STARTTLS', false],
      ['plain', true],
      ['plain', true],
    ]);
    for (const variant of bundled.get('rackcorp').variants) {
      expect(variant.servers.filter((s) => s.insecure).map((s) => s.socket)).toEqual(['plain', 'plain', 'plain']);
      expect(variant.servers.filter((s) => !s.insecure).every((s) => s.socket !== 'plain')).toBe(true);
    }
  });

  test('a variant listing the address domain is picked by default; otherwise the first', () => {
    expect(variantOf(provider!, undefined, 'north.example.edu').id).toBe('north');
    expect(variantOf(provider!, undefined, 'NORTH.example.edu').id).toBe('north');
    expect(variantOf(provider!, undefined, 'example.edu').id).toBe('main');
    expect(variantOf(provider!, undefined).id).toBe('main');
    const yandex = bundled.get('yandex');
    expect(variantOf(yandex, undefined, 'yandex.com').servers[0]!.host).toBe('imap.yandex.com');
    expect(variantOf(yandex, undefined, 'ya.ru').servers[0]!.host).toBe('imap.yandex.ru');
  });

  test('a provider without variants has one named default', () => {
    expect(bundled.get('mailru').variants.map((v) => v.id)).toEqual(['default']);
  });

  test("RackCorp's regions carry their own hosts and the mn variant its own OWA", () => {
    const rackcorp = bundled.get('rackcorp');
    expect(rackcorp.variants.map((v) => [v.id, v.servers[0]!.host])).toEqual([
      ['global', 'mail.rackcorp.com'],
      ['us', 'mail.us.rackcorp.com'],
      ['mn', 'mail.mn.rackcorp.com'],
    ]);
    expect(variantOf(rackcorp, 'mn').exchange?.owa).toBe('https://mail.ex1.rackcorp.mn/');
    expect(variantOf(rackcorp, 'us').exchange?.owa).toBe('https://mail.ex1.rackcorp.com/');
  });
});

describe('unknown ids', () => {
  test('an unknown variant names the choices', () => {
    const error = thrown(() => variantOf(bundled.get('rackcorp'), 'eu'));
    expect(error.code).toBe('UNKNOWN_VARIANT');
    expect(error.field).toBe('variant');
    expect(error.rule).toBe('known-variant');
    expect(error.message).toContain('global, us, mn');
  });

  test('an unknown provider names the known ones', () => {
    const error = thrown(() => bundled.get('gmail'));
    expect(error.code).toBe('UNKNOWN_PROVIDER');
    expect(error.field).toBe('provider');
    expect(error.rule).toBe('known-provider');
    expect(error.message).toMatch(/mailru.*nstu.*rackcorp.*yandex|rackcorp/);
    expect(error.exitCode).toBe(3);
  });
});

describe('notes with links, app passwords and local names', () => {
  test('a note is a text, or a text with a link; an app password and local names are kept', () => {
    const [provider] = parseProviderFile(
      `${MINIMAL}localNames: { ru: Пример }
notes:
  - { en: Plain note. }
  - text: { en: Import the root certificate first. }
    url: https://it.example.edu/certificates
    link: { en: The certificates }
appPassword: { url: 'https://account.example.edu/app-passwords' }
`,
      'org.yaml',
    );
    expect(provider!.notes).toEqual([
      { text: { en: 'Plain note.' } },
      { text: { en: 'Import the root certificate first.' }, url: 'https://it.example.edu/certificates', link: { en: 'The certificates' } },
    ]);
    expect(provider!.appPassword).toEqual({ url: 'https://account.example.edu/app-passwords' });
    expect(provider!.localNames).toEqual({ ru: 'Пример' });
  });

  test.each([
    ['a note link that is not an address', `${MINIMAL}notes:\n  - { text: Hi there, url: 'not a link' }\n`, 'notes.0'],
    ['a local name for an unknown language', `${MINIMAL}localNames: { de: Beispiel }\n`, 'localNames'],
    ['an app password without a URL', `${MINIMAL}appPassword: {}\n`, 'appPassword.url'],
  ])('%s is refused naming the field', (_, text, field) => {
    const error = thrown(() => parseProviderFile(text, 'org.yaml'));
    expect(error.code).toBe('CATALOG_INVALID');
    expect(error.field).toBe(field);
  });

  test('the bundled providers link what their notes ask for', () => {
    expect(bundled.get('nstu').notes[0]!.url).toBe('https://kb.nstu.ru/it:mail:settings');
    expect(bundled.get('mailru').appPassword?.url).toMatch(/^https:\/\/help\.mail\.ru\//);
    expect(bundled.get('yandex').localNames?.ru).toBe('Яндекс Почта');
  });
});
