import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { FORMATS } from '../../src/formats/registry.js';
import {
  autodiscoverPointerReg,
  buildReg,
  importPrfReg,
  outlookKey,
  outlookPolicyKey,
  outlookSetupReg,
  simplifiedAccountCreationReg,
  type RegSnippet,
} from '../../src/formats/reg.js';
import { defaultOutlookFolder } from '../../src/model/windows-path.js';
import { makeTempDir } from '../support/tmp.js';
import { expectGolden, fixture } from './outlook-fixtures.js';
import { thrown } from '../support/errors.js';

// The empty hive from the hivex test suite (test/fixtures/reference/hivex, LGPL-2.1 data file).
const EMPTY_HIVE = fileURLToPath(new URL('../fixtures/reference/hivex/minimal.hive', import.meta.url));
const PREFIX = 'HKEY_CURRENT_USER';
const tmp = makeTempDir('mailsetup-reg-');
afterAll(() => tmp.remove());
let counter = 0;

type Values = Record<string, string | number>;

/** The regedit bytes checked for form, then re-encoded as hivexregedit's manual says (UTF-8, LF). */
function regText(bytes: Buffer): string {
  expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
  const text = bytes.subarray(2).toString('utf16le');
  expect(text.startsWith('Windows Registry Editor Version 5.00\r\n\r\n')).toBe(true);
  expect(text).not.toMatch(/[^\r]\n/);
  expect(text).not.toMatch(/\r[^\n]/);
  for (const match of text.matchAll(/=dword:(\S*)/g)) expect(match[1]).toMatch(/^[0-9a-f]{8}$/);
  return text.replace(/\r\n/g, '\n');
}

function newHive(): string {
  const path = join(tmp.path, `hive-${++counter}.hive`);
  copyFileSync(EMPTY_HIVE, path);
  chmodSync(path, 0o644);
  return path;
}

function merge(hive: string, text: string): void {
  const file = join(tmp.path, `merge-${++counter}.reg`);
  writeFileSync(file, text, 'utf8');
  // PERL_UNICODE=D: hivexregedit reads the file as UTF-8 (its default is bytes, which mangles Cyrillic).
  execFileSync('hivexregedit', ['--merge', '--prefix', PREFIX, hive, file], { env: { ...process.env, PERL_UNICODE: 'D' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

const mergeReg = (hive: string, bytes: Buffer) => merge(hive, regText(bytes));

const unescape = (name: string) => name.replace(/\\(.)/g, '$1');

/** Every value under a key, read back with hivexregedit --export (strings arrive as UTF-16LE hex). */
function readKey(hive: string, key: string): Values | undefined {
  let out: string;
  try {
    out = execFileSync('hivexregedit', ['--export', '--prefix', PREFIX, hive, key.replace(`${PREFIX}`, '')], {
      env: { ...process.env, PERL_UNICODE: 'SD' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return undefined;
  }
  const values: Values = {};
  let inKey = false;
  for (const line of out.split('\n')) {
    if (line.startsWith('[')) {
      inKey = line === `[${key}]`;
      continue;
    }
    const match = /^"((?:[^"\\]|\\.)*)"=(.*)$/.exec(line);
    if (!inKey || !match) continue;
    const [, rawName, data] = match;
    const name = unescape(rawName!);
    if (data!.startsWith('dword:')) values[name] = parseInt(data!.slice(6), 16);
    else if (data!.startsWith('hex(1):')) {
      const bytes = Buffer.from(
        data!
          .slice(7)
          .split(',')
          .map((h) => parseInt(h, 16)),
      );
      values[name] = bytes.toString('utf16le').replace(/\u0000$/, ''); // eslint-disable-line no-control-regex -- the NUL that ends a REG_SZ
    } else if (data!.startsWith('"')) values[name] = unescape(data!.slice(1, -1));
    else values[name] = data!; // other types compared as exported
  }
  return values;
}

const OUTLOOK = `${PREFIX}\\Software\\Microsoft\\Office\\16.0\\Outlook`;
const AUTODISCOVER = `${OUTLOOK}\\AutoDiscover`;
const SETUP = `${OUTLOOK}\\Setup`;
/** Where Group Policy (and admins by hand) set Outlook policies for the user; Outlook reads it first. */
const POLICY_SETUP = `${PREFIX}\\Software\\Policies\\Microsoft\\Office\\16.0\\Outlook\\Setup`;

/**
 * An Office 16.0 user hive as found on a machine: keys exist, with values of its own. regedit
 * creates missing parent keys itself and hivexregedit does not, so the Policies parents exist too.
 */
function officeHive(): string {
  const hive = newHive();
  const parents = [
    'Software',
    'Software\\Microsoft',
    'Software\\Microsoft\\Office',
    'Software\\Microsoft\\Office\\16.0',
    'Software\\Microsoft\\Office\\16.0\\Outlook',
    'Software\\Policies',
    'Software\\Policies\\Microsoft',
    'Software\\Policies\\Microsoft\\Office',
    'Software\\Policies\\Microsoft\\Office\\16.0',
    'Software\\Policies\\Microsoft\\Office\\16.0\\Outlook',
  ];
  merge(
    hive,
    [
      'Windows Registry Editor Version 5.00',
      '',
      ...parents.flatMap((p) => [`[${PREFIX}\\${p}]`, '']),
      `[${AUTODISCOVER}]`,
      '"other.example"="C:\\\\Other\\\\autodiscover.xml"',
      '',
      `[${SETUP}]`,
      '"FirstRun"=dword:00000001',
      '"First-Run"=hex:01',
      '"KeepMe"=dword:00000005',
      '',
    ].join('\n'),
  );
  return hive;
}

describe('.reg snippets', () => {
  const nstu = fixture({ email: 'ivan.petrov@nstu.ru', format: 'reg' });
  const folder = 'C:\\ProgramData\\Example IT\\mailsetup';

  it('the combined setup merges into a real hive: pointer, PreferLocalXML, classic wizard, ImportPRF; FirstRun deleted', () => {
    const hive = officeHive();
    mergeReg(hive, FORMATS.reg.build(nstu.account, nstu.context));
    expect(readKey(hive, AUTODISCOVER)).toEqual({
      'other.example': 'C:\\Other\\autodiscover.xml',
      'nstu.ru': `${folder}\\autodiscover-nstu.ru.xml`,
      PreferLocalXML: 1,
      ExcludeExplicitO365Endpoint: 1,
    });
    expect(readKey(hive, SETUP)).toEqual({ KeepMe: 5, DisableOffice365SimplifiedAccountCreation: 1, ImportPRF: `${folder}\\ivan.petrov@nstu.ru.prf` });
  });

  it('the undo removes exactly what the setup set (FirstRun, which setup deleted, Outlook writes again itself)', () => {
    const hive = officeHive();
    const before = { autodiscover: readKey(hive, AUTODISCOVER), setup: readKey(hive, SETUP) };
    const pair = outlookSetupReg(nstu.account, nstu.context, true);
    mergeReg(hive, buildReg(pair.setup));
    mergeReg(hive, buildReg(pair.undo));
    expect(readKey(hive, AUTODISCOVER)).toEqual(before.autodiscover);
    const { FirstRun: _a, 'First-Run': _b, ...setupWithoutFirstRun } = before.setup as Values;
    expect(readKey(hive, SETUP)).toEqual(setupWithoutFirstRun);
  });

  it('the classic wizard is set under the Policies key as well as the user key, and the undo removes both', () => {
    const hive = officeHive();
    const pair = outlookSetupReg(nstu.account, nstu.context, true);
    mergeReg(hive, buildReg(pair.setup));
    expect(readKey(hive, POLICY_SETUP)).toEqual({ DisableOffice365SimplifiedAccountCreation: 1 });
    expect(readKey(hive, SETUP)).toMatchObject({ DisableOffice365SimplifiedAccountCreation: 1 });
    mergeReg(hive, buildReg(pair.undo));
    expect(readKey(hive, POLICY_SETUP)).toEqual({});
    expect(readKey(hive, SETUP)).not.toHaveProperty('DisableOffice365SimplifiedAccountCreation');
    expect(regText(buildReg(simplifiedAccountCreationReg('2013').setup))).toContain(
      '[HKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\Office\\15.0\\Outlook\\Setup]\n"DisableOffice365SimplifiedAccountCreation"=dword:00000001',
    );
  });

  it('each separate snippet has its own undo', () => {
    const snippets = [
      autodiscoverPointerReg({ version: '2016', domain: 'nstu.ru', xmlPath: 'C:\\x\\a.xml', excludeO365: false }),
      simplifiedAccountCreationReg('2016'),
      importPrfReg('2016', 'C:\\x\\a.prf'),
    ];
    for (const pair of snippets) {
      const hive = officeHive();
      mergeReg(
        hive,
        buildReg({
          comments: [],
          keys: [
            {
              path: SETUP,
              values: [
                { name: 'FirstRun', type: 'delete' },
                { name: 'First-Run', type: 'delete' },
              ],
            },
          ],
        }),
      );
      const before = { autodiscover: readKey(hive, AUTODISCOVER), setup: readKey(hive, SETUP) };
      mergeReg(hive, buildReg(pair.setup));
      expect({ autodiscover: readKey(hive, AUTODISCOVER), setup: readKey(hive, SETUP) }).not.toEqual(before);
      mergeReg(hive, buildReg(pair.undo));
      expect({ autodiscover: readKey(hive, AUTODISCOVER), setup: readKey(hive, SETUP) }).toEqual(before);
    }
    expect(
      readKeyAfter(autodiscoverPointerReg({ version: '2016', domain: 'nstu.ru', xmlPath: 'C:\\x\\a.xml', excludeO365: false }).setup, AUTODISCOVER),
    ).toEqual({
      'other.example': 'C:\\Other\\autodiscover.xml',
      'nstu.ru': 'C:\\x\\a.xml',
      PreferLocalXML: 1,
    });
  });

  it.each([
    ['2010', '14.0'],
    ['2013', '15.0'],
    ['2016', '16.0'],
  ] as const)('Outlook %s writes under Office\\%s', (outlook, office) => {
    const { account, context } = fixture({ email: 'anna@mail.ru', outlook });
    const text = regText(FORMATS.reg.build(account, context));
    const keys = [...text.matchAll(/^\[(.*)\]$/gm)].map((m) => m[1]);
    expect(keys).toEqual([outlookKey(outlook, 'AutoDiscover'), outlookKey(outlook, 'Setup'), outlookPolicyKey(outlook, 'Setup')]);
    expect(keys.every((k) => k!.includes(`\\Office\\${office}\\Outlook\\`))).toBe(true);
  });

  it('Exchange with Outlook 2016: no ImportPRF (there is no PRF), the Autodiscover pointer and classic wizard only', () => {
    const { account, context } = fixture({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange' });
    const text = regText(FORMATS.reg.build(account, context));
    expect(text).not.toContain('ImportPRF');
    expect(text).toContain('"customer.example"="C:\\\\ProgramData\\\\Example IT\\\\mailsetup\\\\autodiscover-customer.example.xml"');
  });

  it.each([
    ['nstu-setup', false],
    ['nstu-undo', true],
  ] as const)('golden %s.reg', (name, undo) => {
    const pair = outlookSetupReg(nstu.account, nstu.context, true);
    expectGolden(`outlook/${name}.reg`, buildReg(undo ? pair.undo : pair.setup));
  });

  describe('hostile values', () => {
    const hostile = [
      'quote " and backslash \\ and \\\\ double',
      'brackets ] [x] = ; # <&>',
      'Кириллица и "кавычки" \\ путь',
      `long ${'Ж\\"'.repeat(3000)}`,
      '\\',
      '"',
    ];

    it('names and strings round-trip exactly through hivexregedit', () => {
      const hive = officeHive();
      const snippet: RegSnippet = {
        comments: ['a comment with "quotes" and \\'],
        keys: [{ path: AUTODISCOVER, values: hostile.map((value, index) => ({ name: `${index}:${value}`, type: 'string' as const, data: value })) }],
      };
      mergeReg(hive, buildReg(snippet));
      const read = readKey(hive, AUTODISCOVER)!;
      for (const [index, value] of hostile.entries()) expect(read[`${index}:${value}`]).toBe(value);
    });

    it.each([
      ['CR/LF in a value', { name: 'a', type: 'string' as const, data: 'x\r\n[HKEY_CURRENT_USER\\Evil]' }, 'a'],
      ['LF in a name', { name: 'a\nb', type: 'string' as const, data: 'x' }, 'a\nb'],
      ['a NUL', { name: 'a', type: 'string' as const, data: 'x\u0000y' }, 'a'],
    ])('%s is refused with INVALID_INPUT', (_, value) => {
      const error = thrown(() => buildReg({ comments: [], keys: [{ path: AUTODISCOVER, values: [value] }] }));
      expect(error).toMatchObject({ code: 'INVALID_INPUT', rule: 'no-control-characters' });
    });

    it('a DWORD out of range is refused', () => {
      expect(thrown(() => buildReg({ comments: [], keys: [{ path: SETUP, values: [{ name: 'x', type: 'dword', data: 2 ** 32 }] }] }))).toMatchObject({
        rule: 'dword-range',
      });
    });

    it('the configured folder (brackets, semicolons, Cyrillic) round-trips into the values', () => {
      const folder = 'D:\\IT [mail]; a=b\\Иван';
      const config = loadConfig({ MAILSETUP_OUTLOOK_FOLDER: `${folder}\\`, MAILSETUP_ORG_NAME: 'Example IT' });
      expect(config.outlookFolder).toBe(folder);
      const hive = officeHive();
      mergeReg(hive, buildReg(outlookSetupReg(nstu.account, { ...nstu.context, outlookFolder: config.outlookFolder }, true).setup));
      expect(readKey(hive, SETUP)!.ImportPRF).toBe(`${folder}\\ivan.petrov@nstu.ru.prf`);
      expect(readKey(hive, AUTODISCOVER)!['nstu.ru']).toBe(`${folder}\\autodiscover-nstu.ru.xml`);
    });

    it.each([
      ['relative', 'mailsetup\\files'],
      ['a quote', 'C:\\Mail "setup"'],
      ['a line break', 'C:\\Mail\r\nsetup'],
      ['a parent step', 'C:\\ProgramData\\..\\Windows'],
    ])('a folder that is %s is refused at configuration', (_, value) => {
      expect(thrown(() => loadConfig({ MAILSETUP_OUTLOOK_FOLDER: value }))).toMatchObject({
        code: 'CONFIG_INVALID',
        field: 'MAILSETUP_OUTLOOK_FOLDER',
        rule: 'windows-folder',
      });
    });

    it('the default folder is built from a sanitised organisation name', () => {
      expect(defaultOutlookFolder('Acme: "Mail" <IT>/Ops.')).toBe('C:\\ProgramData\\Acme_ _Mail_ _IT__Ops\\mailsetup');
      expect(defaultOutlookFolder('  ')).toBe('C:\\ProgramData\\mailsetup\\mailsetup');
      expect(defaultOutlookFolder('CON')).toBe('C:\\ProgramData\\CON_\\mailsetup');
      expect(loadConfig({ MAILSETUP_ORG_NAME: 'Университет' }).outlookFolder).toBe('C:\\ProgramData\\Университет\\mailsetup');
    });
  });
});

function readKeyAfter(snippet: RegSnippet, key: string): Values | undefined {
  const hive = officeHive();
  mergeReg(hive, buildReg(snippet));
  return readKey(hive, key);
}
