// The bulk command end to end, through the built CLI: a staff file as Excel writes it becomes
// exactly the good people's signed profiles, and a manifest naming every broken row.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { opensslVerify } from '../signing/pki.js';
import { BROKEN_LINES, GOOD_EMAILS, runCliProcess, signingChain, staffBuffer } from './helpers.js';
import { readZipEntries } from '../support/zip.js';

const tmp = makeTempDir('mailsetup-bulk-');
let env: Record<string, string>;
let rootPem: string;

beforeAll(() => {
  ({ env, rootPem } = signingChain(join(tmp.path, 'pki')));
  writeFileSync(join(tmp.path, 'staff.csv'), staffBuffer());
});
afterAll(() => tmp.remove());

function manifestRows(text: string): string[][] {
  expect(text.startsWith('\uFEFF')).toBe(true);
  // The manifest has no quoted line breaks, so lines are rows; a tiny CSV split is enough here.
  return text
    .slice(1)
    .trim()
    .split('\r\n')
    .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1]!.replace(/^"|"$/g, '').replace(/""/g, '"')).slice(0, 5));
}

describe('mailsetup bulk', () => {
  it('writes exactly the good rows as verified, schema-valid profiles and a manifest of every broken row', async () => {
    const run = await runCliProcess(['bulk', 'staff.csv', '--out', 'out.zip', '--workers', '2'], { cwd: tmp.path, env });
    expect(run.code).toBe(10);
    expect(run.stdout).toContain('4 of 9 rows done');
    const entries = await readZipEntries(join(tmp.path, 'out.zip'));
    const names = [...entries.keys()];
    expect(names).toEqual([...GOOD_EMAILS.map((email) => `${email}.mobileconfig`), 'manifest.csv']);

    for (const email of GOOD_EMAILS) {
      const content = opensslVerify(entries.get(`${email}.mobileconfig`)!, rootPem, tmp.path);
      const plist = plistlibParse(content) as { PayloadContent: Record<string, unknown>[]; TargetDeviceType: number };
      const os = plist.TargetDeviceType === 5 ? 'macOS' : 'iOS';
      expect(validateProfileXml(content, os)).toEqual([]);
      expect(plist.PayloadContent[0]!.EmailAddress).toBe(email.normalize('NFC'));
    }
    const ivan = plistlibParse(opensslVerify(entries.get('ivan.petrov@nstu.ru.mobileconfig')!, rootPem, tmp.path)) as {
      PayloadDisplayName: string;
      PayloadContent: Record<string, unknown>[];
    };
    expect(ivan.PayloadContent[0]!.EmailAccountName).toBe('Иван Петров');
    expect(ivan.PayloadContent[0]!.IncomingMailServerUsername).toBe('ivan.petrov@corp.nstu.ru');
    const bjorn = plistlibParse(opensslVerify(entries.get('björn@yandex.ru.mobileconfig')!, rootPem, tmp.path)) as {
      PayloadContent: Record<string, unknown>[];
    };
    expect(bjorn.PayloadContent[0]!.EmailAccountName).toBe('Björn; Ström');
    const asa = plistlibParse(opensslVerify(entries.get('åsa.öberg@mail.ru.mobileconfig')!, rootPem, tmp.path)) as {
      TargetDeviceType: number;
      PayloadScope: string;
    };
    expect(asa).toMatchObject({ TargetDeviceType: 5, PayloadScope: 'User' });

    const rows = manifestRows(entries.get('manifest.csv')!.toString('utf8'));
    expect(rows[0]).toEqual(['line', 'email', 'status', 'files', 'error']);
    const byLine = new Map(rows.slice(1).map((row) => [Number(row[0]), row]));
    expect([...byLine.keys()]).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const [line, rule] of Object.entries(BROKEN_LINES)) {
      const row = byLine.get(Number(line))!;
      expect(row[2]).toBe('error');
      expect(row[4]).toContain(`[${rule}]`);
      expect(run.stderr).toContain(`line ${line}: `);
    }
    expect(byLine.get(6)![4]).toContain('already on line 2');
    expect(byLine.get(8)![4]).toMatch(/^device: /);
    expect(byLine.get(2)).toEqual(['2', 'ivan.petrov@nstu.ru', 'ok', 'ivan.petrov@nstu.ru.mobileconfig', '']);
    expect(run.stderr).toContain('ignoring column(s) "Notes"');
    expect(readdirSync(tmp.path).filter((name) => name.includes('.part'))).toEqual([]);
  });

  it('exits 0 when every row succeeds, writing a folder with any registered formats', async () => {
    const json = JSON.stringify([
      { Email: 'anna@mail.ru', Name: 'Anna Berg' },
      { email: 'petr@yandex.ru', name: 'Пётр', device: 'macos' },
    ]);
    writeFileSync(join(tmp.path, 'staff.json'), json);
    const run = await runCliProcess(['bulk', 'staff.json', '--out', 'folder', '--formats', 'mobileconfig,autoconfig', '--unsigned', '--workers', '1'], {
      cwd: tmp.path,
      env,
    });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const files = readdirSync(join(tmp.path, 'folder')).sort();
    expect(files).toEqual(['anna@mail.ru.mobileconfig', 'anna@mail.ru.xml', 'manifest.csv', 'petr@yandex.ru.mobileconfig', 'petr@yandex.ru.xml'].sort());
    const unsigned = readFileSync(join(tmp.path, 'folder', 'anna@mail.ru.mobileconfig'), 'utf8');
    expect(unsigned.startsWith('<?xml')).toBe(true);
    expect(readFileSync(join(tmp.path, 'folder', 'manifest.csv'), 'utf8')).toContain('anna@mail.ru,ok,anna@mail.ru.mobileconfig anna@mail.ru.xml,');
  });

  it('refuses a staff file with a password column and writes nothing', async () => {
    writeFileSync(join(tmp.path, 'secret.csv'), 'email,password\r\na@mail.ru,hunter2\r\n');
    const run = await runCliProcess(['bulk', 'secret.csv', '--out', 'secret.zip', '--unsigned'], { cwd: tmp.path, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('must not carry passwords');
    expect(readdirSync(tmp.path).filter((name) => name.startsWith('secret.zip'))).toEqual([]);
  });

  it('fails with exit code 6 and leaves nothing behind when the signing identity cannot be loaded', async () => {
    const run = await runCliProcess(['bulk', 'staff.csv', '--out', 'nosign.zip', '--workers', '2'], {
      cwd: tmp.path,
      env: { ...env, MAILSETUP_SIGNING_KEY: join(tmp.path, 'missing.key') },
    });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('missing.key');
    expect(readdirSync(tmp.path).filter((name) => name.startsWith('nosign') || name.includes('.part'))).toEqual([]);
  });

  it('rejects an unknown format by name, before reading anything', async () => {
    const run = await runCliProcess(['bulk', 'staff.csv', '--out', 'x.zip', '--formats', 'mobileconfig,floppy'], { cwd: tmp.path, env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--formats: "floppy" is not one of mobileconfig');
  });
});
