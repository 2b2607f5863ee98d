// `bulk` when the disk fills up mid-run: the IO error naming the path, the IO exit code, no
// final ZIP (whole or nothing), and a folder that holds only whole files, each listed in its
// manifest, with nothing half-written beside them.
import { afterEach, beforeAll, afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/errors.js';
import { plistlibParseMany } from '../support/python.js';
import { fullDisk, type FullDisk } from '../support/full-disk.js';
import { makeTempDir } from '../support/tmp.js';
import { runCliProcess } from './helpers.js';

const tmp = makeTempDir('mailsetup-bulk-full-');
const PEOPLE = Array.from({ length: 100 }, (_, i) => `person${i}@mail.ru`);
let disk: FullDisk | undefined;

beforeAll(() => writeFileSync(join(tmp.path, 'staff.csv'), `email,name\r\n${PEOPLE.map((p, i) => `${p},Person ${i}`).join('\r\n')}\r\n`));
afterEach(() => disk?.remove());
afterAll(() => tmp.remove());

/** Manifest rows as [line, email, status, files, error] (no quoted commas in these lists). */
function manifest(path: string): string[][] {
  const text = readFileSync(path, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  expect(text.endsWith('\r\n')).toBe(true); // no torn last line
  return text
    .slice(1)
    .trimEnd()
    .split('\r\n')
    .slice(1)
    .map((line) => line.split(','));
}

describe('mailsetup bulk on a full disk', () => {
  it('ZIP: exits with the IO code naming the archive, and leaves no archive and no temporary file', async () => {
    disk = fullDisk(join(tmp.path, 'zip-disk'), 64 * 1024);
    const out = join(disk.dir, 'out.zip');
    const run = await runCliProcess(['bulk', 'staff.csv', '--out', out, '--unsigned', '--workers', '0'], { cwd: tmp.path, env: disk.env });
    expect(run.code).toBe(ERROR_CODES.IO.exitCode);
    expect(run.stderr).toContain(`mailsetup: error: out: cannot write ${out}: the disk is full (ENOSPC)`);
    expect(run.stdout).not.toContain('rows done');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(disk.dir).filter((f) => f !== 'filler')).toEqual([]);
  });

  it('folder: exits with the IO code; keeps only whole files, each listed in manifest.csv with its person', async () => {
    disk = fullDisk(join(tmp.path, 'dir-disk'), 64 * 1024);
    const out = join(disk.dir, 'out');
    const run = await runCliProcess(['bulk', 'staff.csv', '--out', out, '--unsigned', '--workers', '0'], { cwd: tmp.path, env: disk.env });
    expect(run.code).toBe(ERROR_CODES.IO.exitCode);
    expect(run.stderr).toMatch(new RegExp(`mailsetup: error: out: cannot write ${out}/\\S+: the disk is full \\(ENOSPC\\)`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(disk.dir).filter((f) => f !== 'filler')).toEqual(['out']);

    const rows = manifest(join(out, 'manifest.csv'));
    const ok = rows.filter((row) => row[2] === 'ok');
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThan(PEOPLE.length);
    // What the folder holds is exactly what the manifest says was done, in whole files.
    const listed = ok.map((row) => row[3]!);
    const files = readdirSync(out).filter((f) => f !== 'manifest.csv');
    expect(files.sort()).toEqual([...listed].sort());
    const profiles = plistlibParseMany(listed.map((name) => readFileSync(join(out, name)))) as { PayloadContent: { EmailAddress: string }[] }[];
    profiles.forEach((profile, i) => expect(profile.PayloadContent[0]!.EmailAddress).toBe(ok[i]![1]));
    // The row the disk gave out on says so; rows after it are not claimed.
    const stopped = rows.find((row) => row[2] === 'error');
    if (stopped) expect(stopped[4]).toContain('the disk is full');
    expect(rows.length).toBeLessThan(PEOPLE.length);
    expect(existsSync(join(out, 'manifest.csv'))).toBe(true);
  });
});
