// The ISPDB importer over Thunderbird's whole database, cross-checked with Python's XML parser,
// plus the refusals (DOCTYPE, malformed XML) and the mapping decisions on small synthetic files.
import { expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { normalizeProvider, ProviderCatalog, variantOf } from '../../src/providers/catalog.js';
import { importIspdb, ispdbIdentifier, readIspdbSources, type IspdbImport } from '../../src/providers/ispdb.js';
import { providerFileSchema, type Provider } from '../../src/model/provider.js';
import { parseGenerateRequest } from '../../src/service/generate.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/tmp.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ISPDB = resolve(REPO, 'test/fixtures/reference/ispdb');
const XML_FILES = readdirSync(ISPDB)
  .filter((name) => name.endsWith('.xml'))
  .sort();

let corpus: IspdbImport;
beforeAll(() => {
  corpus = importIspdb(readIspdbSources([ISPDB]));
});

const byFile = (result: IspdbImport, name: string) => result.loaded.find((item) => basename(item.file) === name);

/** A clientConfig document around the given emailProvider body (and optional siblings). */
function clientConfig(body: string, after = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n<emailProvider id="example.org">\n${body}\n</emailProvider>\n${after}</clientConfig>\n`;
}

const IMAP =
  '<incomingServer type="imap"><hostname>imap.example.org</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></incomingServer>';
const SMTP =
  '<outgoingServer type="smtp"><hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></outgoingServer>';
const BASE = `<domain>example.org</domain><displayName>Example Mail</displayName><displayShortName>Example</displayShortName>`;

function importOne(xml: string | Buffer, file = 'example.org.xml') {
  const result = importIspdb([{ file, content: xml }]);
  return { result, loaded: result.loaded[0], skipped: result.skipped[0], notes: result.notes.map((n) => n.note) };
}

describe('the whole ISPDB reference folder', () => {
  test('every XML file is loaded or skipped with a reason, exactly once', () => {
    expect(XML_FILES.length).toBe(163);
    const seen = [...corpus.loaded.map((item) => basename(item.file)), ...corpus.skipped.map((skip) => basename(skip.file))].sort();
    expect(seen).toEqual(XML_FILES);
    for (const skip of corpus.skipped) expect(skip.reason.trim()).not.toBe('');
    // Measured: all 163 load (some with servers or texts left out, listed as notes), before and
    // after unknown authentication values were read as Thunderbird reads them.
    expect(corpus.loaded.length).toBe(163);
    expect(corpus.skipped).toEqual([]);
  });

  test('a server that needs a login but names no username: the provider’s login, with a note naming the server', () => {
    const notesOf = (name: string) => corpus.notes.filter((n) => basename(n.file) === name).map((n) => n.note);
    // teol.net's SMTP server has password authentication and no <username>.
    expect(notesOf('teol.net.xml')).toContain("outgoingServer #1 (smtp) has no username: it uses the provider's login %EMAILADDRESS%");
    const teol = byFile(corpus, 'teol.net.xml')!.provider;
    expect(teol.variants[0]!.servers.map((s) => [s.protocol, s.login ?? teol.login])).toEqual([
      ['imap', '%EMAILADDRESS%'],
      ['pop3', '%EMAILADDRESS%'],
      ['smtp', '%EMAILADDRESS%'],
    ]);
    // kokuyou.ne.jp's SMTP server takes mail without a login: no username is missing there.
    expect(notesOf('kokuyou.ne.jp.xml').filter((n) => /username/.test(n))).toEqual([]);
    expect(byFile(corpus, 'kokuyou.ne.jp.xml')!.entry.servers.find((s) => s.protocol === 'smtp')).toMatchObject({ auth: ['none'] });
  });

  test('loaded entries pass the provider file schema again and complete into providers', () => {
    const reparsed = providerFileSchema.parse({ providers: corpus.loaded.map((item) => item.entry) });
    expect('providers' in reparsed && reparsed.providers).toEqual(corpus.loaded.map((item) => item.entry));
    for (const item of corpus.loaded) {
      expect(normalizeProvider(item.entry, item.file)).toEqual(item.provider);
      for (const variant of item.provider.variants) {
        expect(variant.servers.some((s) => s.protocol === 'smtp')).toBe(true);
        expect(variant.servers.some((s) => s.protocol !== 'smtp')).toBe(true);
        for (const server of variant.servers) expect(server.insecure).toBe(server.socket === 'plain');
      }
    }
  });

  test('ids and domains are unique across the import, so a catalog holds them all', () => {
    const ids = corpus.loaded.map((item) => item.entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    const domains = corpus.loaded.flatMap((item) => item.entry.domains);
    expect(new Set(domains).size).toBe(domains.length);
    const catalog = new ProviderCatalog(corpus.loaded.map((item) => item.provider));
    for (const item of corpus.loaded) for (const domain of item.entry.domains) expect(catalog.findByDomain(domain)?.id).toBe(item.entry.id);
  });

  test("servers match what Python's XML parser reads from each file, in order", () => {
    // ElementTree is independent of our parser; it lists IMAP/POP3/SMTP servers with all four facts.
    const script = [
      'import sys, json, os, xml.etree.ElementTree as ET',
      'out = {}',
      'for name in sorted(os.listdir(sys.argv[1])):',
      '    if not name.endswith(".xml"): continue',
      '    p = ET.parse(os.path.join(sys.argv[1], name)).getroot().find("emailProvider")',
      '    out[name] = [dict(type=s.get("type"), host=s.findtext("hostname"), port=int(s.findtext("port")), socket=s.findtext("socketType"), username=s.findtext("username"))',
      '                 for s in p if s.tag in ("incomingServer", "outgoingServer") and s.get("type") in ("imap", "pop3", "smtp")]',
      'print(json.dumps(out))',
    ].join('\n');
    const expected = JSON.parse(execFileSync('python3', ['-c', script, ISPDB], { encoding: 'utf8' })) as Record<
      string,
      { type: string; host: string; port: number; socket: string; username: string | null }[]
    >;
    let compared = 0;
    for (const item of corpus.loaded) {
      const name = basename(item.file);
      const variant = item.provider.variants[0]!;
      const domain = variant.domains[0] ?? item.provider.domains[0]!;
      const ours = variant.servers.map((s) => ({ type: s.protocol, host: s.host, port: s.port, socket: s.socket, username: s.login ?? item.provider.login }));
      const theirs = expected[name]!.map((s) => ({
        ...s,
        host: s.host.replaceAll('%EMAILDOMAIN%', domain).toLowerCase(),
        username: s.username ?? item.provider.login,
      }));
      expect({ name, servers: ours }).toEqual({ name, servers: theirs });
      compared += 1;
    }
    expect(compared).toBe(corpus.loaded.length);
  });

  test('mail.ru.xml yields the same servers as the bundled mailru provider', () => {
    const bundled = ProviderCatalog.load().get('mailru');
    const imported = byFile(corpus, 'mail.ru.xml')!.provider;
    const servers = (provider: Provider) =>
      provider.variants[0]!.servers.map((s) => ({ protocol: s.protocol, host: s.host, port: s.port, socket: s.socket, login: s.login ?? provider.login }));
    expect(servers(imported)).toEqual(servers(bundled));
    expect(servers(imported)).toHaveLength(6);
    for (const domain of imported.domains) expect(bundled.domains).toContain(domain);
    // ISPDB offers OAuth2 first on incoming servers; the order is kept, password sign-in stays available.
    expect(imported.variants[0]!.servers[0]!.auth).toEqual(['OAuth2', 'password-cleartext']);
  });

  test('yandex.ru.xml keeps its enable step (written beside <emailProvider> in that file)', () => {
    const entry = byFile(corpus, 'yandex.ru.xml')!.entry;
    expect(entry.enable).toEqual({ url: 'http://mail.yandex.ru/neo/setup_client', instruction: "Check 'Enable IMAP' on Yandex.Mail setup page" });
    expect(entry.domains).toEqual(expect.arrayContaining(['yandex.ru', 'ya.ru', 'yandex.com']));
  });

  test('multi-language enable steps and documentation keep their languages', () => {
    const gmx = byFile(corpus, 'gmx.net.xml')!.entry;
    expect(gmx.enable?.instruction).toEqual({
      en: 'You must allow access via POP3 & IMAP once in the e-mail settings of your account!',
      de: 'Sie müssen einmalig den Zugriff über POP3 & IMAP in den E-Mail-Einstellungen Ihres Kontos erlauben!',
    });
    // uol.com.br only has pt-BR and en-US texts: they become pt and en, so English lookups find them.
    const uol = byFile(corpus, 'uol.com.br.xml')!.entry;
    expect(Object.keys(uol.enable!.instruction as object)).toEqual(['pt', 'en']);
    const inbox = byFile(corpus, 'inbox.lv.xml')!.entry;
    expect(inbox.documentation[0]!.description).toMatchObject({ en: expect.any(String), ru: expect.stringContaining('Настройки') });
  });

  test('host names built from the address domain become one variant per domain', () => {
    const inbox = byFile(corpus, 'inbox.lv.xml')!.provider;
    expect(inbox.variants.map((v) => v.id)).toEqual(['inbox.lv', 'inbox.eu', 'inbox.lt', 'inbox.la']);
    expect(variantOf(inbox, undefined, 'inbox.lt').servers.map((s) => s.host)).toEqual(['mail.inbox.lt', 'mail.inbox.lt', 'mail.inbox.lt']);
    // Its displayName is "%EMAILDOMAIN%": the first domain stands in.
    expect(inbox.name).toBe('inbox.lv');
    // A single-domain provider just gets the host filled in.
    const mailEe = byFile(corpus, 'mail.ee.xml')!.provider;
    expect(mailEe.variants).toHaveLength(1);
    expect(mailEe.variants[0]!.servers.every((s) => s.host === 'mail.ee')).toBe(true);
  });

  test('Exchange-only server types are skipped with a note; the IMAP/POP/SMTP servers load', () => {
    const office = byFile(corpus, 'office365.com.xml')!;
    expect(office.provider.variants[0]!.servers.map((s) => `${s.protocol}:${s.host}`)).toEqual([
      'imap:outlook.office365.com',
      'pop3:outlook.office365.com',
      'smtp:smtp.office365.com',
    ]);
    const notes = corpus.notes.filter((n) => basename(n.file) === 'office365.com.xml').map((n) => n.note);
    for (const type of ['ews', 'owa', 'graph', 'exchange']) expect(notes.some((n) => n.includes(`(${type}) skipped`))).toBe(true);
  });

  test('an id several files share goes to the file named after it; the others use their file names', () => {
    expect(byFile(corpus, 'zoho.com.xml')!.entry.id).toBe('zoho.com');
    expect(byFile(corpus, 'zoho.eu.xml')!.entry.id).toBe('zoho.eu');
    expect(byFile(corpus, 'zoho.com.au.xml')!.entry.id).toBe('zoho.com.au');
    expect(corpus.notes.find((n) => basename(n.file) === 'zoho.eu.xml')?.note).toMatch(/"zoho.com" is already taken; imported as "zoho.eu"/);
    expect(byFile(corpus, 'messagingengine.com.xml')!.entry.id).toBe('messagingengine');
  });
});

describe('refusals', () => {
  test('a file declaring a DOCTYPE with entities is refused, the entity never expanded', () => {
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE clientConfig [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n${clientConfig(`${BASE.replace('Example Mail', '&b;')}${IMAP}${SMTP}`).replace(/^<\?xml.*\n/, '')}`;
    const { result, skipped } = importOne(xml);
    expect(result.loaded).toHaveLength(0);
    expect(skipped?.reason).toMatch(/DOCTYPE/);
  });

  test('a DOCTYPE without an internal subset is refused too', () => {
    const { skipped } = importOne(`<!DOCTYPE clientConfig SYSTEM "file:///etc/passwd">${clientConfig(`${BASE}${IMAP}${SMTP}`).replace(/^<\?xml.*\n/, '')}`);
    expect(skipped?.reason).toMatch(/DOCTYPE/);
  });

  test.each([
    ['mismatched tags', clientConfig(`${BASE}${IMAP}${SMTP}`).replace('</displayName>', '</displayname>'), /not well-formed XML/],
    ['an unclosed element', clientConfig(`${BASE}${IMAP}${SMTP}`).replace('</clientConfig>\n', ''), /not well-formed XML/],
    ['an undefined entity', clientConfig(`${BASE}${IMAP}${SMTP}`).replace('Example Mail', 'Example &nbsp; Mail'), /not well-formed XML.*entity/],
    ['text after the root', `${clientConfig(`${BASE}${IMAP}${SMTP}`)}trailing`, /not well-formed XML/],
    ['no XML at all', 'domain=example.org\nimap=imap.example.org\n', /not well-formed XML/],
    ['another root element', '<autodiscover><domain>example.org</domain></autodiscover>', /root element is <autodiscover>/],
    ['no emailProvider', '<clientConfig version="1.1"><oAuth2/></clientConfig>', /no <emailProvider>/],
    ['a non-UTF-8 encoding', clientConfig(`${BASE}${IMAP}${SMTP}`).replace('UTF-8', 'ISO-8859-1'), /encoding ISO-8859-1/],
  ])('a file with %s is skipped with a reason', (_, xml, reason) => {
    const { result, skipped } = importOne(xml);
    expect(result.loaded).toHaveLength(0);
    expect(skipped?.reason).toMatch(reason);
  });

  test('bytes that are not UTF-8 are skipped with a reason', () => {
    const bytes = Buffer.concat([Buffer.from(clientConfig(`${BASE}${IMAP}${SMTP}`).replace('Example Mail', 'Example ')), Buffer.from([0xff, 0xfe, 0x41])]);
    expect(importOne(bytes).skipped?.reason).toBe('not valid UTF-8 text');
  });

  test('an oversized file is skipped without being parsed', () => {
    const dir = makeTempDir();
    try {
      const file = join(dir.path, 'huge.xml');
      writeFileSync(file, clientConfig(`${BASE}${IMAP}${SMTP}<!-- ${'x'.repeat(1024 * 1024)} -->`));
      const sources = readIspdbSources([file]);
      expect(sources[0]!.content.length).toBe(1024 * 1024 + 1);
      expect(importIspdb(sources).skipped[0]?.reason).toMatch(/larger than 1024 KiB/);
    } finally {
      dir.remove();
    }
  });
});

describe('mapping decisions', () => {
  const server = (kind: 'incomingServer' | 'outgoingServer', type: string, inner: string) => `<${kind} type="${type}">${inner}</${kind}>`;
  const imap = (inner: string) => server('incomingServer', 'imap', inner);

  test('per-server usernames that differ from the provider-wide one are kept on that server', () => {
    const local = imap(
      '<hostname>imap.example.org</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>',
    );
    const pop = server(
      'incomingServer',
      'pop3',
      '<hostname>pop.example.org</hostname><port>995</port><socketType>SSL</socketType><username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>',
    );
    const { loaded } = importOne(clientConfig(`${BASE}${local}${pop}${SMTP}`));
    expect(loaded!.entry.login).toBe('%EMAILLOCALPART%');
    expect(loaded!.entry.servers.map((s) => s.login)).toEqual([undefined, undefined, '%EMAILADDRESS%']);
  });

  test.each([
    ['%REALNAME%', /username builds the login from the person's name/],
    ['%EMAILADDRESS', /unknown placeholder|does not know/],
    ['%EMAILUSER%', /does not know/],
    ['first last', /contains spaces/],
  ])('a server whose username is %s is skipped with a reason', (username, reason) => {
    const odd = imap(
      `<hostname>imap2.example.org</hostname><port>993</port><socketType>SSL</socketType><username>${username}</username><authentication>password-cleartext</authentication>`,
    );
    const { loaded, notes } = importOne(clientConfig(`${BASE}${odd}${IMAP}${SMTP}`));
    expect(loaded!.entry.servers.map((s) => s.host)).toEqual(['imap.example.org', 'smtp.example.org']);
    expect(notes.find((n) => n.startsWith('incomingServer #1'))).toMatch(reason);
  });

  test('usernames mixing placeholders and text are kept', () => {
    const mixed = imap(
      '<hostname>imap.example.org</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILLOCALPART%.%EMAILDOMAIN%</username><authentication>password-cleartext</authentication>',
    );
    const { loaded } = importOne(clientConfig(`${BASE}${mixed}${SMTP}`));
    expect(loaded!.entry.servers[0]!.login ?? loaded!.entry.login).toBe('%EMAILLOCALPART%.%EMAILDOMAIN%');
  });

  test('authentication: known methods in order, legacy names mapped, unknown ones dropped; none left skips the server', () => {
    const auths = imap(
      '<hostname>imap.example.org</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>TLS-client-cert</authentication><authentication>secure</authentication><authentication>OAuth2</authentication><authentication>plain</authentication>',
    );
    const unknownOnly = server(
      'outgoingServer',
      'smtp',
      '<hostname>smtp2.example.org</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>TLS-client-cert</authentication>',
    );
    const { loaded, notes } = importOne(clientConfig(`${BASE}${auths}${unknownOnly}${SMTP}`));
    expect(loaded!.entry.servers.map((s) => [s.host, s.auth])).toEqual([
      ['imap.example.org', ['password-encrypted', 'OAuth2', 'password-cleartext']],
      ['smtp.example.org', ['password-cleartext']],
    ]);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/authentication "TLS-client-cert" left out/),
        expect.stringMatching(/outgoingServer #1 \(smtp\) skipped: no authentication method/),
      ]),
    );
  });

  describe('authentication values read the way Thunderbird reads them', () => {
    const smtpWith = (...auth: string[]) =>
      server(
        'outgoingServer',
        'smtp',
        `<hostname>smtp.example.org</hostname><port>25</port><socketType>STARTTLS</socketType>${auth.map((a) => `<authentication>${a}</authentication>`).join('')}`,
      );

    test.each(['client-IP-address', 'smtp-after-pop'])('an SMTP server that only says %s: kept, sending without a login', (value) => {
      const { loaded, skipped, notes } = importOne(clientConfig(`${BASE}${IMAP}${smtpWith(value)}`));
      expect(skipped).toBeUndefined();
      const smtp = loaded!.entry.servers.find((s) => s.protocol === 'smtp')!;
      expect(smtp).toEqual({ protocol: 'smtp', host: 'smtp.example.org', port: 25, socket: 'STARTTLS', auth: ['none'] });
      expect(notes).toContain(`outgoingServer #1 (smtp): authentication "${value}" imported as none (sending needs no login, as Thunderbird reads it)`);
      // No login is needed, so none is missing.
      expect(notes.filter((n) => /username/.test(n))).toEqual([]);
      // An account made from it sends without authentication and without a username.
      const { account } = resolveAccount(parseGenerateRequest({ email: 'anna@example.org' }), new ProviderCatalog([loaded!.provider]));
      expect(account.outgoing).toEqual({ host: 'smtp.example.org', port: 25, socket: 'STARTTLS', auth: 'none' });
      expect(account.incoming?.username).toBe('anna@example.org');
    });

    test('a password method first and client-IP-address after it: both, in that order', () => {
      const { loaded } = importOne(clientConfig(`${BASE}${IMAP}${smtpWith('password-cleartext', 'client-IP-address')}`));
      expect(loaded!.entry.servers.find((s) => s.protocol === 'smtp')!.auth).toEqual(['password-cleartext', 'none']);
    });

    test('on an incoming server client-IP-address means nothing to Thunderbird either: that server is left out, the provider kept', () => {
      const ipOnly = imap(
        '<hostname>imap2.example.org</hostname><port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>client-IP-address</authentication>',
      );
      const { loaded, notes } = importOne(clientConfig(`${BASE}${ipOnly}${IMAP}${SMTP}`));
      expect(loaded!.entry.servers.map((s) => s.host)).toEqual(['imap.example.org', 'smtp.example.org']);
      expect(notes).toContain('incomingServer #1 (imap) skipped: no authentication method mailsetup supports');
    });

    test('TLS-client-cert alone on the only SMTP server: no account can be made, as in Thunderbird; the reason names it', () => {
      const { skipped } = importOne(clientConfig(`${BASE}${IMAP}${smtpWith('TLS-client-cert')}`));
      expect(skipped?.reason).toMatch(/^no usable SMTP server \(.*authentication "TLS-client-cert" left out/);
    });
  });

  test('a server without a username that needs a login gets the provider’s login and a note; the provider is kept', () => {
    const noUser = imap('<hostname>imap.example.org</hostname><port>993</port><socketType>SSL</socketType><authentication>password-cleartext</authentication>');
    const smtp = server(
      'outgoingServer',
      'smtp',
      '<hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>',
    );
    const { loaded, notes } = importOne(clientConfig(`${BASE}${noUser}${smtp}`));
    expect(loaded!.entry.login).toBe('%EMAILLOCALPART%');
    expect(loaded!.entry.servers.map((s) => s.login)).toEqual([undefined, undefined]);
    expect(notes).toContain("incomingServer #1 (imap) has no username: it uses the provider's login %EMAILLOCALPART%");
  });

  test.each([
    ['no socketType', '<hostname>imap.example.org</hostname><port>993</port><authentication>password-cleartext</authentication>', /no socketType/],
    [
      'socketType TLS',
      '<hostname>imap.example.org</hostname><port>993</port><socketType>TLS</socketType><authentication>password-cleartext</authentication>',
      /socketType "TLS" is not SSL, STARTTLS or plain/,
    ],
    [
      'port 70000',
      '<hostname>imap.example.org</hostname><port>70000</port><socketType>SSL</socketType><authentication>password-cleartext</authentication>',
      /port "70000" is not between 1 and 65535/,
    ],
    ['no hostname', '<port>993</port><socketType>SSL</socketType><authentication>password-cleartext</authentication>', /no hostname/],
    [
      'a bad hostname',
      '<hostname>imap example.org</hostname><port>993</port><socketType>SSL</socketType><authentication>password-cleartext</authentication>',
      /not a valid host name/,
    ],
  ])('the only IMAP server having %s: the file is skipped and the reason says why', (_, inner, why) => {
    const { skipped } = importOne(clientConfig(`${BASE}${imap(inner)}${SMTP}`));
    expect(skipped?.reason).toMatch(/^no usable IMAP or POP3 server/);
    expect(skipped?.reason).toMatch(why);
  });

  test('a file without an SMTP server is skipped: no account could be made from it', () => {
    expect(importOne(clientConfig(`${BASE}${IMAP}`)).skipped?.reason).toBe('no usable SMTP server');
  });

  test('plain servers are kept, flagged insecure', () => {
    const plain = imap(
      '<hostname>imap.example.org</hostname><port>143</port><socketType>plain</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>',
    );
    const { loaded } = importOne(clientConfig(`${BASE}${IMAP}${plain}${SMTP}`));
    expect(loaded!.provider.variants[0]!.servers.map((s) => [s.socket, s.insecure])).toEqual([
      ['SSL', false],
      ['plain', true],
      ['SSL', false],
    ]);
  });

  test('purpose="mx" domains are left out; a file with only those is skipped', () => {
    const mx = '<domain purpose="mx">mx.example.net</domain>';
    const { loaded, notes } = importOne(clientConfig(`${BASE}${mx}${IMAP}${SMTP}`));
    expect(loaded!.entry.domains).toEqual(['example.org']);
    expect(notes).toContain('domain mx.example.net left out: it is an MX host name (purpose="mx"), not a mail domain');
    const onlyMx = clientConfig(`${mx}<displayName>X</displayName>${IMAP}${SMTP}`);
    expect(importOne(onlyMx).skipped?.reason).toBe('lists no mail domain');
  });

  test('internationalised domains are stored in punycode and found either way', () => {
    const { loaded } = importOne(clientConfig(`<domain>Пример.РФ</domain><displayName>Пример</displayName>${IMAP}${SMTP}`));
    expect(loaded!.entry.domains).toEqual(['xn--e1afmkfd.xn--p1ai']);
    const catalog = new ProviderCatalog([loaded!.provider]);
    expect(catalog.findByDomain('пример.рф')?.id).toBe('example.org');
  });

  test('documentation, webmail and enable map to the catalog fields', () => {
    const docs =
      '<documentation url="https://help.example.org/imap"><descr lang="en">IMAP help</descr><descr lang="sv">IMAP-hjälp</descr></documentation><documentation url="https://help.example.org/bare"/><documentation url="javascript:alert(1)"><descr>x</descr></documentation>';
    const enable = '<enable visiturl="https://example.org/settings"><instruction>Turn\n   IMAP on first</instruction></enable>';
    const webmail = '<webMail><loginPage url="https://webmail.example.org/"/></webMail>';
    const { loaded, notes } = importOne(clientConfig(`${BASE}${IMAP}${SMTP}${docs}${enable}`, webmail));
    expect(loaded!.entry.documentation).toEqual([
      { url: 'https://help.example.org/imap', description: { en: 'IMAP help', sv: 'IMAP-hjälp' } },
      { url: 'https://help.example.org/bare', description: 'https://help.example.org/bare' },
    ]);
    expect(loaded!.entry.enable).toEqual({ url: 'https://example.org/settings', instruction: 'Turn IMAP on first' });
    expect(loaded!.entry.webmail).toBe('https://webmail.example.org/');
    expect(notes).toContain('documentation "javascript:alert(1)" left out: not an http(s) address');
  });

  test('an enable step without instruction text is left out with a note', () => {
    const { loaded, notes } = importOne(clientConfig(`${BASE}${IMAP}${SMTP}<enable visiturl="https://example.org/settings"/>`));
    expect(loaded!.entry.enable).toBeUndefined();
    expect(notes).toContain('enable step left out: it has no instruction text');
  });

  test('ids become valid catalog ids', () => {
    expect(ispdbIdentifier('MessagingEngine')).toBe('messagingengine');
    expect(ispdbIdentifier('OXCloud-EU')).toBe('oxcloud-eu');
    expect(ispdbIdentifier('Some ISP (DE)')).toBe('some-isp-de');
    const { loaded } = importOne(clientConfig(`${BASE}${IMAP}${SMTP}`).replace('id="example.org"', 'id="Example.ORG"'), 'example.org.xml');
    expect(loaded!.entry.id).toBe('example.org');
  });

  test('an id already in the catalog is never taken: the file name, then a number, is used instead', () => {
    const a = clientConfig(`${BASE}${IMAP}${SMTP}`).replace('id="example.org"', 'id="mailru"');
    const b = clientConfig(`${BASE.replace('example.org', 'other.example')}${IMAP}${SMTP}`).replace('id="example.org"', 'id="mailru"');
    const result = importIspdb(
      [
        { file: 'mailru.xml', content: a },
        { file: 'dir/mailru.xml', content: b },
      ],
      { reservedIds: ['mailru'] },
    );
    expect(result.loaded.map((item) => item.entry.id)).toEqual(['mailru-2', 'mailru-3']);
    expect(result.notes).toContainEqual({ file: 'mailru.xml', note: 'id "mailru" is already taken; imported as "mailru-2"' });
  });

  test('domains already served elsewhere are left to their owner; the first file keeps a shared domain', () => {
    const a = clientConfig(`<domain>a.example</domain><domain>shared.example</domain><displayName>A</displayName>${IMAP}${SMTP}`).replace(
      'example.org"',
      'a.example"',
    );
    const b = clientConfig(`<domain>shared.example</domain><domain>b.example</domain><displayName>B</displayName>${IMAP}${SMTP}`).replace(
      'example.org"',
      'b.example"',
    );
    const c = clientConfig(`<domain>known.example</domain><displayName>C</displayName>${IMAP}${SMTP}`).replace('example.org"', 'c.example"');
    const result = importIspdb(
      [
        { file: 'a.example.xml', content: a },
        { file: 'b.example.xml', content: b },
        { file: 'c.example.xml', content: c },
      ],
      { knownDomains: new Map([['known.example', 'ourprovider']]) },
    );
    expect(result.loaded.map((item) => [item.entry.id, item.entry.domains])).toEqual([
      ['a.example', ['a.example', 'shared.example']],
      ['b.example', ['b.example']],
    ]);
    expect(result.notes).toContainEqual({ file: 'b.example.xml', note: 'domain shared.example left out: already served by a.example' });
    expect(result.skipped).toEqual([{ file: 'c.example.xml', reason: 'every domain it lists is already served by ourprovider' }]);
  });
});

describe('mailsetup import-ispdb', () => {
  let dir: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  test('writes a provider file the catalog loads; ISPDB domains are then found, bundled ones stay bundled', async () => {
    const out = join(dir.path, 'isp.yaml');
    const run = await runCli(['import-ispdb', ISPDB, '--out', out], { cwd: dir.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // mail.ru.xml and yandex.ru.xml only list domains the bundled providers serve.
    expect(run.stdout).toMatch(/^loaded 161 of 163 ISPDB files, skipped 2; wrote isp\.yaml\n/);
    expect(run.stdout).toMatch(/mail\.ru\.xml: every domain it lists is already served by mailru/);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# Mail providers converted from Thunderbird's ISPDB/);
    expect(text).toMatch(/Mozilla Public License 2\.0/);
    const catalog = ProviderCatalog.load({ paths: [out] });
    expect(catalog.forDomain('gmx.de').id).toBe('gmx.net');
    expect(catalog.forDomain('GMX.AT').name).toBe('GMX Freemail');
    expect(catalog.forDomain('mail.ru').id).toBe('mailru');
    expect(catalog.forDomain('yandex.com').id).toBe('yandex');
    expect(catalog.list().length).toBe(ProviderCatalog.load().list().length + 161);
    // The YAML holds exactly what the importer produced.
    const written = parseYaml(text) as { providers: { id: string }[] };
    expect(written.providers.map((p) => p.id)).toContain('t-online.de');
  });

  test('--include-known imports every file; a profile can then be made from an imported provider', async () => {
    const out = join(dir.path, 'all.yaml');
    const run = await runCli(['import-ispdb', ISPDB, '--out', out, '--include-known', '--json'], { cwd: dir.path });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { files: number; loaded: { id: string }[]; skipped: unknown[]; notes: unknown[]; written: string[] };
    expect(report.files).toBe(163);
    expect(report.loaded).toHaveLength(163);
    expect(report.written).toEqual([out]);
    expect(ProviderCatalog.load({ paths: [out] }).forDomain('mail.ru').id).toBe('mail.ru');
    const profile = await runCli(['profile', '--email', 'anna@gmx.de', '--providers', out, '--unsigned', '--out', 'anna.mobileconfig'], { cwd: dir.path });
    expect(profile.stderr).toBe('');
    expect(profile.code).toBe(0);
    expect(readFileSync(join(dir.path, 'anna.mobileconfig'), 'utf8')).toContain('imap.gmx.net');
  });

  test('a folder as --out gets one file per provider, which the catalog loads as a folder', async () => {
    const folder = join(dir.path, 'providers') + '/';
    const run = await runCli(['import-ispdb', join(ISPDB, 'gmx.net.xml'), join(ISPDB, 'web.de.xml'), '--out', folder], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(['gmx.net.yaml', 'web.de.yaml']);
    expect(readFileSync(join(folder, 'web.de.yaml'), 'utf8')).toMatch(/^# from web\.de\.xml$/m);
    const catalog = ProviderCatalog.load({ paths: [folder] });
    expect(catalog.forDomain('web.de').enable?.url).toBe('https://hilfe.web.de/pop-imap/einschalten.html');
  });

  test('--out - writes the YAML to standard output and the report to standard error', async () => {
    const run = await runCli(['import-ispdb', join(ISPDB, 'gmx.net.xml'), '--out', '-'], { cwd: dir.path });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('loaded 1 of 1 ISPDB files, skipped 0\n');
    expect((parseYaml(run.stdout) as { providers: { id: string }[] }).providers.map((p) => p.id)).toEqual(['gmx.net']);
    expect(readdirSync(dir.path)).toEqual([]);
  });

  test('--verbose lists the notes', async () => {
    const run = await runCli(['import-ispdb', join(ISPDB, 'office365.com.xml'), '--out', '-', '--verbose'], { cwd: dir.path });
    expect(run.stderr).toMatch(/notes:\n.*office365\.com\.xml: incomingServer #3 \(ews\) skipped/);
  });

  test('when nothing can be imported: exit 5, reasons listed, no file', async () => {
    const bad = join(dir.path, 'bad.xml');
    writeFileSync(bad, '<clientConfig><emailProvider id="x"></clientConfig>');
    const run = await runCli(['import-ispdb', bad, '--out', 'x.yaml'], { cwd: dir.path });
    expect(run.code).toBe(5);
    expect(run.stdout).toMatch(/bad\.xml: not well-formed XML/);
    expect(run.stderr).toMatch(/^mailsetup: error: path: none of the 1 files could be imported; nothing was written\n$/);
    expect(existsSync(join(dir.path, 'x.yaml'))).toBe(false);
  });

  test.each([
    [['import-ispdb'], 64, /name at least one ISPDB file or folder/],
    [['import-ispdb', ISPDB, '--out', 'providers.txt'], 64, /--out providers\.txt: give a \.yaml file/],
    [['import-ispdb', ISPDB, '--out', '-', '--json'], 64, /--json and --out - both want standard output/],
    [['import-ispdb', 'no/such/folder'], 7, /no\/such\/folder does not exist/],
  ])('usage errors: %j → exit %i, message, no file', async (argv, code, message) => {
    const run = await runCli(argv, { cwd: dir.path });
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(readdirSync(dir.path)).toEqual([]);
  });
});
