// A login the person gives replaces the provider's on every server of that account, in every
// format, whether it comes from the web form, the CLI or a bulk row (issue 16, item 1).
import { DOMParser, type Element } from '@xmldom/xmldom';
import { parse as parseIni } from 'ini';
import { checkRow } from '../../src/bulk/rows.js';
import { FORMATS, FORMAT_IDS, type FormatId } from '../../src/formats/registry.js';
import { generate } from '../../src/service/generate.js';
import { runCli } from '../support/cli.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { xmllint } from '../support/xml-check.js';
import { readZipEntries } from '../support/zip.js';
import { catalog, config, fixture } from './outlook-fixtures.js';

const GIVEN = 'CORP\\%EMAILLOCALPART%';
const IVAN = 'CORP\\ivan';
/** What NSTU's own template makes of ivan@nstu.ru: it must not appear once a login was given. */
const PROVIDERS_LOGIN = 'ivan@corp.nstu.ru';

const tmp = makeTempDir('mailsetup-login-');
afterAll(() => tmp.remove());

const elements = (parent: Element, name?: string) =>
  Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === 1 && (name === undefined || (n as Element).localName === name));
const first = (parent: Element, name: string) => elements(parent, name)[0]?.textContent ?? undefined;

interface ThunderbirdServer {
  type: string;
  hostname: string;
  port: number;
  username: string | undefined;
}

/**
 * What Thunderbird's readFromXML takes from an autoconfig file: every incomingServer and
 * outgoingServer in order (the first of each is used, the rest are offered as alternatives),
 * each with its own <username>. Nothing is inherited from another server.
 */
function thunderbirdRead(xml: string): { incoming: ThunderbirdServer[]; outgoing: ThunderbirdServer[] } {
  xmllint(xml);
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement as unknown as Element;
  const provider = elements(root, 'emailProvider')[0]!;
  const read = (e: Element): ThunderbirdServer => ({
    type: e.getAttribute('type')!,
    hostname: first(e, 'hostname') ?? first(e, 'url') ?? '',
    port: Number(first(e, 'port') ?? 443),
    username: first(e, 'username'),
  });
  return { incoming: elements(provider, 'incomingServer').map(read), outgoing: elements(provider, 'outgoingServer').map(read) };
}

function decodeWindows(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  return bytes.toString('utf8');
}

/** Every LoginName of every <Protocol> of an Autodiscover answer. */
function autodiscoverLogins(xml: string): Record<string, string | undefined> {
  xmllint(xml);
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement as unknown as Element;
  const account = elements(elements(root, 'Response')[0]!, 'Account')[0]!;
  return Object.fromEntries(elements(account, 'Protocol').map((p): [string, string | undefined] => [first(p, 'Type') ?? '', first(p, 'LoginName')]));
}

describe('a login the person gave', () => {
  const nstu = fixture({ email: 'ivan@nstu.ru', login: GIVEN, format: 'autoconfig' });

  it('autoconfig: the chosen servers and every alternative Thunderbird offers carry it', () => {
    const read = thunderbirdRead(FORMATS.autoconfig.build(nstu.account, nstu.context));
    // NSTU lists IMAP and POP3 over SSL and STARTTLS and one SMTP: five servers, all with the login.
    expect(read.incoming.map((s) => `${s.type} ${s.port}`)).toEqual(['imap 993', 'imap 143', 'pop3 995', 'pop3 110']);
    expect(read.outgoing.map((s) => `${s.type} ${s.port}`)).toEqual(['smtp 587']);
    expect([...read.incoming, ...read.outgoing].map((s) => s.username)).toEqual([IVAN, IVAN, IVAN, IVAN, IVAN]);
  });

  it('without one, the alternatives keep the provider’s login (nothing else changes)', () => {
    const plain = fixture({ email: 'ivan@nstu.ru', format: 'autoconfig' });
    const read = thunderbirdRead(FORMATS.autoconfig.build(plain.account, plain.context));
    expect(new Set([...read.incoming, ...read.outgoing].map((s) => s.username))).toEqual(new Set([PROVIDERS_LOGIN]));
  });

  it('Exchange: the ews server in autoconfig, the Autodiscover protocol blocks and the Apple payload', () => {
    const exchange = fixture({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange', login: 'RACK\\%EMAILLOCALPART%' });
    expect(exchange.account.exchange!.username).toBe('RACK\\boss');
    const read = thunderbirdRead(FORMATS.autoconfig.build(exchange.account, exchange.context));
    expect(read.incoming.find((s) => s.type === 'ews')?.username).toBe('RACK\\boss');
    // The IMAP/POP/SMTP alternatives of the same provider are the same person's servers.
    for (const server of [...read.incoming, ...read.outgoing]) expect(server.username).toBe('RACK\\boss');
    const logins = autodiscoverLogins(FORMATS.autodiscover.build(exchange.account, exchange.context));
    expect(Object.keys(logins).length).toBeGreaterThan(0);
    for (const login of Object.values(logins)) expect(login).toBe('RACK\\boss');
    const plist = plistlibParse(FORMATS.mobileconfig.build(exchange.account, exchange.context)) as { PayloadContent: Record<string, unknown>[] };
    expect(plist.PayloadContent[0]!.UserName).toBe('RACK\\boss');
  });

  it('Autodiscover, PRF, .reg, mobileconfig and the Outlook pack: every login is it, the provider’s appears nowhere', async () => {
    const build = (format: FormatId) => {
      const { account, context } = fixture({ email: 'ivan@nstu.ru', login: GIVEN, format });
      const built = FORMATS[format].build(account, context);
      return typeof built === 'string' ? Buffer.from(built, 'utf8') : built;
    };
    expect(autodiscoverLogins(build('autodiscover').toString('utf8'))).toEqual({ IMAP: IVAN, SMTP: IVAN });

    const prf = parseIni(decodeWindows(build('prf'))) as Record<string, Record<string, string>>;
    expect(prf.Account1).toMatchObject({ IMAPUserName: IVAN });
    // SMTP logs in with the IMAP name: no separate SMTPUserName is written.
    expect(prf.Account1?.SMTPUserName ?? IVAN).toBe(IVAN);

    const plist = plistlibParse(build('mobileconfig')) as { PayloadContent: Record<string, unknown>[] };
    expect(plist.PayloadContent[0]).toMatchObject({ IncomingMailServerUsername: IVAN, OutgoingMailServerUsername: IVAN });

    const pack = await readZipEntries(build('outlook-pack'));
    const texts = new Map([...pack].map(([name, bytes]) => [name, decodeWindows(bytes)]));
    expect(autodiscoverLogins([...texts].find(([name]) => name.endsWith('.xml'))![1])).toEqual({ IMAP: IVAN, SMTP: IVAN });
    expect((parseIni([...texts].find(([name]) => name.endsWith('.prf'))![1]) as Record<string, Record<string, string>>).Account1).toMatchObject({
      IMAPUserName: IVAN,
    });

    for (const format of FORMAT_IDS) {
      const bytes = build(format);
      const all = format === 'outlook-pack' ? [...texts.values()].join('\n') : decodeWindows(bytes);
      expect({ format, hasProviderLogin: all.includes(PROVIDERS_LOGIN) }).toEqual({ format, hasProviderLogin: false });
    }
  });

  it('the CLI: mailsetup profile --login … --format autoconfig', async () => {
    const result = await runCli(['profile', '--email', 'ivan@nstu.ru', '--login', GIVEN, '--format', 'autoconfig', '--out', '-'], { cwd: tmp.path });
    expect(result.code).toBe(0);
    const read = thunderbirdRead(result.stdoutBytes.toString('utf8'));
    expect([...read.incoming, ...read.outgoing].map((s) => s.username)).toEqual([IVAN, IVAN, IVAN, IVAN, IVAN]);
  });

  it('bulk rows with a login column: the row’s login on every server of its files', () => {
    const rows = [
      { line: 2, values: { email: 'ivan@nstu.ru', login: GIVEN } },
      { line: 3, values: { email: 'maria@nstu.ru' } },
    ];
    const seen = new Map<string, number>();
    const [ivan, maria] = rows.map((row) => {
      const checked = checkRow(row, {}, seen);
      if (!checked.ok) throw new Error(checked.error.message);
      const file = generate({ ...checked.request, format: 'autoconfig' }, { config, catalog });
      return thunderbirdRead(file.body.toString('utf8'));
    });
    expect([...ivan!.incoming, ...ivan!.outgoing].map((s) => s.username)).toEqual([IVAN, IVAN, IVAN, IVAN, IVAN]);
    expect(new Set([...maria!.incoming, ...maria!.outgoing].map((s) => s.username))).toEqual(new Set(['maria@corp.nstu.ru']));
  });
});
