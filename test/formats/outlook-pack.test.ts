import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAutodiscoverResponse } from '../../src/formats/autodiscover.js';
import { buildOutlookPack } from '../../src/formats/outlook-pack.js';
import { buildPrf } from '../../src/formats/prf.js';
import { buildReg, outlookSetupReg } from '../../src/formats/reg.js';
import { FORMATS } from '../../src/formats/registry.js';
import { buildZip } from '../../src/formats/zip.js';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/tmp.js';
import { expectGolden, fixture, tampered } from './outlook-fixtures.js';
import { thrown } from '../support/errors.js';
import { readZipEntries } from '../support/zip.js';

/** Python's zipfile, a second independent reader: names and a CRC check of every member. */
function pythonZipCheck(zip: Buffer): string[] {
  const script =
    'import sys, io, zipfile, json\nz = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))\nassert z.testzip() is None\nprint(json.dumps(z.namelist()))';
  return JSON.parse(execFileSync('python3', ['-c', script], { input: zip, encoding: 'utf8' })) as string[];
}

const readme = (files: Map<string, Buffer>) => {
  const bytes = files.get('README.txt')!;
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = bytes.subarray(3).toString('utf8');
  expect(text).not.toMatch(/[^\r]\n/);
  return text;
};

describe('Outlook setup pack', () => {
  const tmp = makeTempDir('mailsetup-pack-');
  afterAll(() => tmp.remove());

  it('IMAP: README, PRF, Autodiscover XML, setup/undo .reg and the separate snippets, each equal to its own builder', async () => {
    const { account, context } = fixture({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров', format: 'outlook-pack' });
    const zip = FORMATS['outlook-pack'].build(account, context);
    const files = await readZipEntries(zip);
    const names = [
      'README.txt',
      'ivan.petrov@nstu.ru.prf',
      'autodiscover-nstu.ru.xml',
      'setup.reg',
      'undo.reg',
      'separate/autodiscover.reg',
      'separate/autodiscover-undo.reg',
      'separate/classic-wizard.reg',
      'separate/classic-wizard-undo.reg',
      'separate/import-prf.reg',
      'separate/import-prf-undo.reg',
    ];
    expect([...files.keys()]).toEqual(names);
    expect(pythonZipCheck(zip)).toEqual(names);
    expect(files.get('ivan.petrov@nstu.ru.prf')!.equals(buildPrf(account, '2016'))).toBe(true);
    expect(files.get('autodiscover-nstu.ru.xml')!.toString('utf8')).toBe(buildAutodiscoverResponse(account));
    const reg = outlookSetupReg(account, context, true);
    expect(files.get('setup.reg')!.equals(buildReg(reg.setup))).toBe(true);
    expect(files.get('undo.reg')!.equals(buildReg(reg.undo))).toBe(true);
    expect(files.get('setup.reg')!.equals(FORMATS.reg.build(account, context))).toBe(true);
    const text = readme(files);
    expect(text).toContain('C:\\ProgramData\\Example IT\\mailsetup');
    expect(text).toContain('ivan.petrov@nstu.ru.prf');
    expect(text).toContain('undo.reg');
    expect(text).not.toMatch(/\{\w+\}/);
  });

  it('is the same bytes every time (golden), so packs can be compared and cached', () => {
    const { account, context } = fixture({ email: 'anna@mail.ru', type: 'pop', format: 'outlook-pack' });
    const first = buildOutlookPack(account, context);
    expect(buildOutlookPack(account, context).equals(first)).toBe(true);
    expectGolden('outlook/mailru-pop-pack.zip', first);
  });

  it.each([
    ['ru', 'Порядок действий'],
    ['sv', 'Steg'],
    ['en', 'Steps'],
  ] as const)("README in the person's language (%s)", async (language, heading) => {
    const { account, context } = fixture({ email: 'anna@mail.ru', language, format: 'outlook-pack' });
    expect(readme(await readZipEntries(buildOutlookPack(account, context)))).toContain(heading);
  });

  it('Exchange with Outlook 2016: no PRF, Autodiscover redirect and a README that says to add the account', async () => {
    const { account, context } = fixture({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange', format: 'outlook-pack' });
    const files = await readZipEntries(buildOutlookPack(account, context));
    expect([...files.keys()].filter((n) => n.endsWith('.prf') || n.includes('import-prf'))).toEqual([]);
    expect(files.get('autodiscover-customer.example.xml')!.toString('utf8')).toContain('<Action>redirectUrl</Action>');
    expect(files.get('setup.reg')!.subarray(2).toString('utf16le')).not.toContain('ImportPRF');
    expect(readme(files)).toContain('File > Add Account');
  });

  it('Exchange with Outlook 2013: the PRF is included and the .reg files use Office 15.0', async () => {
    const { account, context } = fixture({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange', outlook: '2013', format: 'outlook-pack' });
    const files = await readZipEntries(buildOutlookPack(account, context));
    expect(files.has('boss@customer.example.prf')).toBe(true);
    expect(files.get('setup.reg')!.subarray(2).toString('utf16le')).toContain('\\Office\\15.0\\Outlook\\Setup]');
  });

  it('the configured folder is the one the .reg files and README name', async () => {
    const { account, context } = fixture({ email: 'anna@mail.ru', format: 'outlook-pack' });
    const files = await readZipEntries(buildOutlookPack(account, { ...context, outlookFolder: 'D:\\Mail [IT]; setup' }));
    expect(files.get('setup.reg')!.subarray(2).toString('utf16le')).toContain('"ImportPRF"="D:\\\\Mail [IT]; setup\\\\anna@mail.ru.prf"');
    expect(readme(files)).toContain('D:\\Mail [IT]; setup');
  });

  it('hostile names: carried exactly into the PRF and the Autodiscover XML, or refused with no archive at all', async () => {
    const { account, context } = fixture({ email: 'anna@mail.ru', format: 'outlook-pack' });
    const name = 'Anna "A" \\ ] = ; # <&> Анна';
    const files = await readZipEntries(
      buildOutlookPack(
        tampered(account, (a) => void (a.displayName = name)),
        context,
      ),
    );
    const prf = files.get('anna@mail.ru.prf')!;
    expect([...prf.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(prf.subarray(2).toString('utf16le')).toContain(`\r\nDisplayName=${name}\r\n`);
    expect(files.get('autodiscover-mail.ru.xml')!.toString('utf8')).toContain('<DisplayName>Anna "A" \\ ] = ; # &lt;&amp;&gt; Анна</DisplayName>');
    expect(
      thrown(() =>
        buildOutlookPack(
          tampered(account, (a) => void (a.displayName = 'Anna\r\nX')),
          context,
        ),
      ),
    ).toMatchObject({ code: 'INVALID_INPUT', field: 'displayName' });
  });

  it('the ZIP writer: stored and deflated entries, empty files and UTF-8 names read back by both readers; unsafe paths refused', async () => {
    const random = randomBytes(4096);
    const entries = [
      { name: 'random.bin', data: random },
      { name: 'empty.txt', data: Buffer.alloc(0) },
      { name: 'папка/Иван.txt', data: Buffer.from('привет '.repeat(200), 'utf8') },
    ];
    const zip = buildZip(entries);
    const files = await readZipEntries(zip);
    expect(pythonZipCheck(zip)).toEqual(entries.map((e) => e.name));
    for (const entry of entries) expect(files.get(entry.name)!.equals(entry.data)).toBe(true);
    expect(zip.length).toBeLessThan(4096 + 2000);
    for (const name of ['../evil.txt', '/abs.txt', 'a\\b.txt', 'a//b', '']) expect(() => buildZip([{ name, data: Buffer.alloc(1) }])).toThrow(RangeError);
    expect(() => buildZip([entries[0]!, entries[0]!])).toThrow(/duplicate/);
  });

  describe('from the command line', () => {
    it('profile --format outlook-pack --outlook 2013 writes the zip', async () => {
      const result = await runCli(['profile', '--email', 'ivan.petrov@nstu.ru', '--format', 'outlook-pack', '--outlook', '2013', '--out', 'nstu.zip'], {
        cwd: tmp.path,
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const files = await readZipEntries(readFileSync(join(tmp.path, 'nstu.zip')));
      expect(files.get('setup.reg')!.subarray(2).toString('utf16le')).toContain('\\Office\\15.0\\');
    });

    it.each([
      ['prf', 'prf'],
      ['reg', 'reg'],
      ['autodiscover', 'xml'],
      ['autoconfig', 'xml'],
    ])('profile --format %s writes ./<address>.%s', async (format, extension) => {
      const dir = makeTempDir('mailsetup-pack-cli-');
      try {
        const result = await runCli(['profile', '--email', 'anna@mail.ru', '--format', format], { cwd: dir.path });
        expect(result.code).toBe(0);
        expect(readdirSync(dir.path)).toEqual([`anna@mail.ru.${extension}`]);
      } finally {
        dir.remove();
      }
    });

    it('an Exchange PRF for Outlook 2016 fails with a clear message and writes nothing', async () => {
      const dir = makeTempDir('mailsetup-pack-cli-');
      try {
        const result = await runCli(
          [
            'profile',
            '--email',
            'boss@customer.example',
            '--provider',
            'rackcorp',
            '--type',
            'exchange',
            '--format',
            'prf',
            '--outlook',
            '2016',
            '--out',
            'x.prf',
          ],
          { cwd: dir.path },
        );
        expect(result.code).toBe(4);
        expect(result.stderr).toMatch(/^mailsetup: error: outlook: .*Autodiscover/);
        expect(existsSync(join(dir.path, 'x.prf'))).toBe(false);
        expect(readdirSync(dir.path)).toEqual([]);
      } finally {
        dir.remove();
      }
    });

    it('an unknown Outlook version is refused as invalid input naming the option', async () => {
      const result = await runCli(['profile', '--email', 'anna@mail.ru', '--format', 'prf', '--outlook', '2007', '--out', '-'], { cwd: tmp.path });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/outlook: the Outlook version is 2010, 2013 or 2016/);
      expect(result.stdoutBytes.length).toBe(0);
    });
  });
});
