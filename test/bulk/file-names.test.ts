// One file name per person whatever the address holds: addresses that sanitise alike, or that
// share their first 120 characters, get distinct files that each hold their own person's profile,
// in ZIP and folder output, in mail attachments and inside the Outlook pack.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { safeFileName } from '../../src/formats/filename.js';
import { runCli } from '../support/cli.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { readZipEntries } from '../support/zip.js';
import { runCliProcess } from './helpers.js';

const tmp = makeTempDir('mailsetup-names-');
const LONG = `${'d'.repeat(63)}.${'e'.repeat(63)}`;
/** Pairs that the old names merged: `+` and `_` both became `_`; the long ones matched in their first 120 characters. */
const PEOPLE = ['anna+work@mail.ru', 'anna_work@mail.ru', 'anna/work@mail.ru', `kim@${LONG}.one.example`, `kim@${LONG}.two.example`];
const env = { MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' };

beforeAll(() => writeFileSync(join(tmp.path, 'staff.csv'), `email\r\n${PEOPLE.join('\r\n')}\r\n`));
afterAll(() => tmp.remove());

/** manifest.csv as email → file names. */
function filesByEmail(text: string): Map<string, string[]> {
  const rows = text.slice(1).trimEnd().split('\r\n').slice(1);
  return new Map(
    rows.map((line) => {
      const [, email, status, files] = line.split(',');
      expect(status).toBe('ok');
      return [email!, files!.split(' ')];
    }),
  );
}

/** No surrogate without its partner (String.prototype.isWellFormed is newer than our TypeScript target). */
const wellFormed = (text: string) => !/\p{Cs}/u.test(text);

function emailIn(profile: Buffer): string {
  return (plistlibParse(profile) as { PayloadContent: { EmailAddress: string }[] }).PayloadContent[0]!.EmailAddress;
}

describe('file names in bulk output', () => {
  it('ZIP: one entry per person, no duplicate names, each holding its own person', async () => {
    const run = await runCliProcess(['bulk', 'staff.csv', '--out', 'names.zip', '--unsigned', '--workers', '0'], { cwd: tmp.path, env });
    expect(run.stderr).not.toMatch(/warning|error/);
    expect(run.code).toBe(0);
    const zip = join(tmp.path, 'names.zip');
    // Python lists every central-directory entry, duplicates included.
    const listed = JSON.parse(
      execFileSync('python3', ['-c', 'import sys, zipfile, json; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))', zip], { encoding: 'utf8' }),
    ) as string[];
    expect(new Set(listed).size).toBe(PEOPLE.length + 1);
    const entries = await readZipEntries(zip);
    const byEmail = filesByEmail(entries.get('manifest.csv')!.toString('utf8'));
    expect([...byEmail.keys()]).toEqual(PEOPLE);
    for (const [email, [name]] of byEmail) expect(emailIn(entries.get(name!)!)).toBe(email);
    expect(byEmail.get('anna_work@mail.ru')).toEqual(['anna_work@mail.ru.mobileconfig']);
    expect(byEmail.get('anna+work@mail.ru')![0]).toMatch(/^anna_work@mail\.ru~[0-9a-f]{8}\.mobileconfig$/);
  });

  it('folder: distinct files, each holding its own person', async () => {
    const run = await runCliProcess(['bulk', 'staff.csv', '--out', 'names', '--unsigned', '--workers', '0'], { cwd: tmp.path, env });
    expect(run.code).toBe(0);
    const byEmail = filesByEmail(readFileSync(join(tmp.path, 'names', 'manifest.csv'), 'utf8'));
    const names = [...byEmail.values()].flat();
    expect(new Set(names).size).toBe(PEOPLE.length);
    for (const [email, [name]] of byEmail) expect(emailIn(readFileSync(join(tmp.path, 'names', name!)))).toBe(email);
  });

  it('mail: each person gets the attachment named as in the manifest', async () => {
    const run = await runCliProcess(['bulk', 'staff.csv', '--dry-run', '--from', 'it@example.org', '--out', 'mailed.zip', '--unsigned', '--workers', '0'], {
      cwd: tmp.path,
      env,
    });
    expect(run.code).toBe(0);
    const byEmail = filesByEmail((await readZipEntries(join(tmp.path, 'mailed.zip'))).get('manifest.csv')!.toString('utf8'));
    const attached = new Set<string>();
    for (const [email, [name]] of byEmail) {
      const line = run.stdout.split('\n').find((l) => l.startsWith(`would send to ${email}:`));
      expect(line).toContain(` with ${name} (`);
      attached.add(name!);
    }
    expect(attached.size).toBe(PEOPLE.length);
  });
});

/** Two addresses that sanitise alike and whose 8-digit hashes collide too: found by trying local parts made of specials. */
function collidingPair(): [string, string] {
  const specials = '!#$%&*+/=?^`{|}~';
  const seen = new Map<string, string>();
  for (let n = 1; ; n++) {
    for (let i = 0; i < specials.length ** n; i++) {
      const local = Array.from({ length: n }, (_, k) => specials[Math.floor(i / specials.length ** k) % specials.length]).join('');
      const email = `k${local}@mail.ru`;
      const name = safeFileName(email, 'mobileconfig');
      const earlier = seen.get(name);
      if (earlier) return [earlier, email];
      seen.set(name, email);
    }
  }
}

describe('a file name taken twice', () => {
  it('is refused for the second person, never written over the first', async () => {
    const [first, second] = collidingPair();
    expect(safeFileName(first, 'mobileconfig')).toBe(safeFileName(second, 'mobileconfig'));
    writeFileSync(join(tmp.path, 'collide.csv'), `email\r\n${first}\r\n${second}\r\n`);
    const run = await runCliProcess(['bulk', 'collide.csv', '--out', 'collide.zip', '--unsigned', '--workers', '0'], { cwd: tmp.path, env });
    expect(run.code).toBe(10);
    expect(run.stderr).toContain('line 3: email: its file name is already used for line 2 [file-name-taken]');
    const entries = await readZipEntries(join(tmp.path, 'collide.zip'));
    expect([...entries.keys()]).toEqual([safeFileName(first, 'mobileconfig'), 'manifest.csv']);
    expect(emailIn(entries.get(safeFileName(first, 'mobileconfig'))!)).toBe(first);
  });
});

describe('file names in the Outlook pack', () => {
  it('the PRF of each person has its own name, and setup.reg imports that one', async () => {
    const names: string[] = [];
    for (const email of ['anna+work@mail.ru', 'anna_work@mail.ru']) {
      const result = await runCli(['profile', '--email', email, '--format', 'outlook-pack', '--out', '-'], { cwd: tmp.path });
      expect(result.code).toBe(0);
      const entries = await readZipEntries(result.stdoutBytes);
      const prf = [...entries.keys()].find((name) => name.endsWith('.prf'))!;
      expect(entries.get(prf)!.toString('latin1')).toContain(`\r\nEmailAddress=${email}\r\n`);
      expect(entries.get('setup.reg')!.subarray(2).toString('utf16le')).toContain(`\\\\${prf}`);
      names.push(prf);
    }
    expect(names[0]).not.toBe(names[1]);
  });
});

describe('safeFileName', () => {
  it('keeps a name that needs no change, and marks one that was changed with a stable suffix', () => {
    expect(safeFileName('anna@mail.ru', 'mobileconfig')).toBe('anna@mail.ru.mobileconfig');
    expect(safeFileName('åsa.öberg@mail.ru', 'mobileconfig')).toBe('åsa.öberg@mail.ru.mobileconfig');
    const changed = safeFileName('anna+work@mail.ru', 'mobileconfig');
    expect(changed).toMatch(/^anna_work@mail\.ru~[0-9a-f]{8}\.mobileconfig$/);
    expect(safeFileName('anna+work@mail.ru', 'mobileconfig')).toBe(changed);
    expect(safeFileName('anna+work@mail.ru', 'prf')).toBe(changed.replace(/mobileconfig$/, 'prf'));
  });

  it('cuts long names by code points, never inside a surrogate pair, within 255 bytes on disk', () => {
    // U+20000 is a letter written as a surrogate pair; the first pair sits at UTF-16 units 119-120.
    const name = safeFileName(`${'a'.repeat(119)}\u{20000}\u{20000}@x.example`, 'mobileconfig');
    expect(wellFormed(name)).toBe(true);
    expect(name).toMatch(/^a{119}\u{20000}~[0-9a-f]{8}\.mobileconfig$/u);
    const wide = safeFileName('日'.repeat(200), 'mobileconfig');
    expect(wellFormed(wide)).toBe(true);
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(200);
  });

  it('any two different texts get different names, always well-formed and safe for every disk', () => {
    // A small alphabet of characters that sanitise alike makes near-collisions common.
    const alike = fc.constantFrom('a', '+', '_', '/', ' ', '.', '-', '\ud800', '\udfff', '\u{20000}', 'é', 'e\u0301', '😀', '\u202e');
    const text = fc.oneof(
      fc.string({ unit: alike, maxLength: 140 }),
      fc.string({ unit: 'binary', maxLength: 150 }),
      fc.string({ unit: 'grapheme', maxLength: 150 }),
    );
    fc.assert(
      fc.property(text, text, (a, b) => {
        const [x, y] = [safeFileName(a, 'xml'), safeFileName(b, 'xml')];
        for (const name of [x, y]) {
          expect(wellFormed(name)).toBe(true);
          expect(name).toMatch(/^[\p{L}\p{N}@][\p{L}\p{M}\p{N}@._~-]*\.xml$/u);
          expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
        }
        if (a !== b) expect(x).not.toBe(y);
      }),
      { numRuns: 3000 },
    );
  });
});
