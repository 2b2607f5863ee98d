import { parse as parseIni } from 'ini';
import { FORMATS } from '../../src/formats/registry.js';
import { buildPrf, buildPrfDocument, encodePrf, PRF_CONTROL_KEYS, renderPrf } from '../../src/formats/prf.js';
import { generate, parseGenerateRequest } from '../../src/service/generate.js';
import { catalog, config, expectGolden, fixture, tampered } from './outlook-fixtures.js';
import { thrown } from '../support/errors.js';

type Ini = Record<string, Record<string, string>>;

/** Bytes → text the way Outlook reads a PRF: UTF-16LE when it starts with the BOM, else ASCII. */
function decode(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  expect([...bytes].every((b) => b < 0x80)).toBe(true);
  return bytes.toString('ascii');
}

/**
 * Windows' own INI rules (GetPrivateProfileString), written independently of the builder: `;`
 * starts a comment only at the start of a line, a value is everything after the first `=`,
 * trimmed, with one pair of enclosing double quotes removed.
 */
function readWindowsIni(text: string): Ini {
  const out: Ini = {};
  let section: Record<string, string> | undefined;
  for (const line of text.split('\r\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith(';')) continue;
    const header = /^\[(.*)\]$/.exec(trimmed);
    if (header) {
      section = out[header[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) throw new Error(`not an INI line: ${JSON.stringify(line)}`);
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    section[line.slice(0, eq).trim()] = value;
  }
  return out;
}

const prfOf = (input: Parameters<typeof fixture>[0]) => {
  const { account, context } = fixture({ ...input, format: 'prf' });
  return FORMATS.prf.build(account, context);
};

/** Every value key of every account and service has its mapping in the block the lists name. */
function expectMapped(ini: Ini): void {
  const accounts = Object.entries(ini['Internet Account List'] ?? {});
  const services = Object.entries(ini['Service List'] ?? {});
  expect(accounts.length + services.length).toBeGreaterThan(0);
  for (const [slot, block] of [...accounts, ...services]) {
    const values = ini[slot];
    const mapping = ini[block];
    expect(values).toBeDefined();
    expect(mapping).toBeDefined();
    for (const key of Object.keys(values!)) {
      if (PRF_CONTROL_KEYS.includes(key)) continue;
      expect([key, mapping![key]]).toEqual([key, expect.stringMatching(/^PT_(UNICODE|STRING8|LONG),0x[0-9A-F]{4}$/)]);
    }
  }
}

describe('PRF', () => {
  it('NSTU IMAP: the mail2.nstu.ru settings with the corp.nstu.ru login, read back by the ini package', () => {
    const ini = parseIni(decode(prfOf({ email: 'ivan.petrov@nstu.ru' })));
    expect(ini['Internet Account List']).toEqual({ Account1: 'IMAP_I_Mail' });
    expect(ini.Account1).toMatchObject({
      IMAPServer: 'mail2.nstu.ru',
      IMAPPort: '993',
      IMAPUseSSL: '1',
      IMAPUserName: 'ivan.petrov@corp.nstu.ru',
      SMTPServer: 'mail2.nstu.ru',
      SMTPPort: '587',
      SMTPSecureConnection: '2',
      SMTPUseAuth: '1',
      EmailAddress: 'ivan.petrov@nstu.ru',
    });
    expect(ini.General).toEqual({
      Custom: '1',
      ProfileName: 'ivan.petrov@nstu.ru',
      DefaultProfile: 'Yes',
      OverwriteProfile: 'Yes',
      ModifyDefaultProfileIfPresent: 'FALSE',
      BackupProfile: 'No',
    });
    expect(ini['Outlook Address Book']).toEqual({ ServiceName: 'CONTAB' });
    expectMapped(ini);
  });

  it('has the seven sections, no password key, and a comment saying so', () => {
    const text = decode(prfOf({ email: 'ivan.petrov@nstu.ru', password: 'secret-pw' }));
    const sections = [...text.matchAll(/^\[(.+)\]\r$/gm)].map((m) => m[1]);
    expect(sections).toEqual(['General', 'Service List', 'Internet Account List', 'Service1', 'Account1', 'Outlook Address Book', 'IMAP_I_Mail']);
    expect(text).not.toMatch(/password=/i);
    expect(text).not.toContain('secret-pw');
    expect(text).toMatch(/^; .*No password is stored in this file/m);
  });

  it.each([
    ['nstu-imap', { email: 'ivan.petrov@nstu.ru', name: 'Иван Петров' }],
    ['nstu-pop', { email: 'ivan.petrov@nstu.ru', type: 'pop' }],
    ['mailru-imap', { email: 'anna@mail.ru', name: 'Anna Smirnova' }],
    ['mailru-pop-starttls', { email: 'anna@bk.ru', type: 'pop', security: 'STARTTLS' }],
    ['yandex-imap', { email: 'oleg@yandex.ru' }],
    ['rackcorp-imap-us', { email: 'anna@customer.example', provider: 'rackcorp', variant: 'us' }],
    ['rackcorp-exchange-2013', { email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange', outlook: '2013' }],
  ] as const)('golden %s, every value mapped', (name, input) => {
    const bytes = prfOf(input);
    expectGolden(`outlook/${name}.prf`, bytes);
    expectMapped(readWindowsIni(decode(bytes)));
  });

  it('POP: I_Mail with POP3 keys and a copy left on the server', () => {
    const ini = readWindowsIni(decode(prfOf({ email: 'anna@mail.ru', type: 'pop' })));
    expect(ini['Internet Account List']).toEqual({ Account1: 'I_Mail' });
    expect(ini.Account1).toMatchObject({
      POP3Server: 'pop.mail.ru',
      POP3Port: '995',
      POP3UseSSL: '1',
      POP3UserName: 'anna@mail.ru',
      LeaveOnServer: '1',
      SMTPPort: '465',
      SMTPSecureConnection: '1',
    });
    expect(ini.I_Mail).toMatchObject({ AccountType: 'POP3', LeaveOnServer: 'PT_LONG,0x1000' });
  });

  it('maps the socket deliberately: SSL 1, STARTTLS 2, plain 0, whatever the port', () => {
    const starttls = readWindowsIni(decode(prfOf({ email: 'a@customer.example', provider: 'rackcorp', security: 'STARTTLS' })));
    expect(starttls.Account1).toMatchObject({ IMAPPort: '143', IMAPUseSSL: '2', SMTPPort: '25', SMTPSecureConnection: '2' });
    const plain = readWindowsIni(decode(prfOf({ email: 'a@customer.example', provider: 'rackcorp', security: 'plain' })));
    expect(plain.Account1).toMatchObject({ IMAPPort: '143', IMAPUseSSL: '0', SMTPPort: '25', SMTPSecureConnection: '0' });
    const manual = fixture({
      email: 'a@own.example',
      manual: { incoming: { host: 'mx.own.example', port: 587, socket: 'SSL' }, outgoing: { host: 'mx.own.example', port: 993, socket: 'STARTTLS' } },
    });
    expect(readWindowsIni(decode(buildPrf(manual.account))).Account1).toMatchObject({
      IMAPPort: '587',
      IMAPUseSSL: '1',
      SMTPPort: '993',
      SMTPSecureConnection: '2',
    });
  });

  it('is ASCII with CRLF when every value is ASCII, UTF-16LE with BOM and CRLF otherwise (never UTF-8)', () => {
    const ascii = prfOf({ email: 'oleg@yandex.ru', name: 'Oleg' });
    expect(ascii.subarray(0, 2).equals(Buffer.from([0xff, 0xfe]))).toBe(false);
    expect(ascii.toString('ascii')).not.toMatch(/[^\r]\n/);
    expect(ascii.toString('ascii').endsWith('\r\n')).toBe(true);
    const wide = prfOf({ email: 'oleg@yandex.ru', name: 'Олег Иванов' });
    expect([...wide.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(wide.length % 2).toBe(0);
    const text = wide.subarray(2).toString('utf16le');
    expect(text).not.toMatch(/[^\r]\n/);
    expect(text).not.toContain('\ufeff');
    expect(readWindowsIni(text).Account1!.DisplayName).toBe('Олег Иванов');
    expect(encodePrf('x=ä\r\n').includes(Buffer.from('ä', 'utf8'))).toBe(false);
  });

  it('Exchange: Outlook 2010/2013 get the Exchange service; 2016 and later a clear error pointing at Autodiscover', () => {
    for (const outlook of ['2010', '2013'] as const) {
      const ini = readWindowsIni(decode(prfOf({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange', outlook })));
      expect(ini['Service List']).toEqual({ Service1: 'Microsoft Exchange Server', Service2: 'Outlook Address Book' });
      expect(ini.Service1).toMatchObject({ MailboxName: 'boss@customer.example', HomeServer: 'mail.ex1.rackcorp.com' });
      expect(ini['Microsoft Exchange Server']).toMatchObject({ ServiceName: 'MSEMS', MailboxName: 'PT_STRING8,0x6607' });
    }
    for (const outlook of ['2016', undefined]) {
      const error = thrown(() => prfOf({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange', ...(outlook ? { outlook } : {}) }));
      expect(error).toMatchObject({ code: 'UNSUPPORTED', field: 'outlook', rule: 'prf-exchange' });
      expect(error.message).toMatch(/Autodiscover/);
    }
  });

  describe('hostile values', () => {
    const base = fixture({ email: 'anna@mail.ru' }).account;
    const roundTrip = (displayName: string, username: string) => {
      const account = tampered(base, (a) => {
        a.displayName = displayName;
        a.incoming!.username = username;
        a.outgoing!.username = username;
      });
      return readWindowsIni(decode(buildPrf(account))).Account1!;
    };

    it.each([
      ['quotes inside', 'Anna "Ann" Smith'],
      ['backslashes', 'DOMAIN\\anna \\\\ x'],
      ['a bracket and equals', 'Anna ] [x] = y'],
      ['semicolon and hash', 'Smith; Anna #1'],
      ['markup', '<Anna & "Co">'],
      ['Cyrillic', 'Анна ; = ] \\'],
    ])('%s round-trip exactly', (_, value) => {
      const login = `x${value.replace(/\s/g, '')}`;
      const read = roundTrip(value, login);
      expect(read.DisplayName).toBe(value);
      expect(read.IMAPUserName).toBe(login);
    });

    it.each([
      ['a line break', 'Anna\r\n[General]', 'no-control-characters'],
      ['a lone LF', 'Anna\nProfileName=x', 'no-control-characters'],
      ['a tab', 'Anna\tS', 'no-control-characters'],
      ['a value wrapped in quotes', '"Anna"', 'prf-quoted'],
      ['surrounding spaces', ' Anna ', 'prf-surrounding-space'],
      ['10k characters', 'A'.repeat(10_000), 'prf-max-length'],
    ])('%s is refused, naming the field and the rule', (_, value, rule) => {
      const error = thrown(() => buildPrf(tampered(base, (a) => void (a.displayName = value))));
      expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'displayName', rule });
      const login = thrown(() => buildPrf(tampered(base, (a) => void (a.incoming!.username = value))));
      expect(login).toMatchObject({ code: 'INVALID_INPUT', field: 'incoming.username', rule });
    });

    it('through the service: a name with CR/LF is refused before any file exists', () => {
      const error = thrown(() => generate(parseGenerateRequest({ email: 'anna@mail.ru', name: 'Anna\r\nX', format: 'prf' }), { config, catalog }));
      expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
    });

    it('a login given by hand with INI-special characters round-trips', () => {
      const { account } = fixture({ email: 'anna@mail.ru', login: 'DOM\\anna;#=]"x' });
      expect(readWindowsIni(decode(buildPrf(account))).Account1!.IMAPUserName).toBe('DOM\\anna;#=]"x');
    });
  });

  it('renders from the document data: one key=value line per entry, sections in order', () => {
    const { account } = fixture({ email: 'oleg@yandex.ru' });
    const document = buildPrfDocument(account);
    const ini = readWindowsIni(renderPrf(document));
    for (const section of document.sections) {
      expect(Object.keys(ini[section.name] ?? {})).toEqual(section.entries.map(([key]) => key));
    }
  });
});
