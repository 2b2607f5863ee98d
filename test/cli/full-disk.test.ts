// `profile` on a full disk: the IO error naming the path and its exit code, never a generic
// failure, and no file (whole or partial) left behind; for every kind of file it writes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/errors.js';
import { runCliProcess } from '../bulk/helpers.js';
import { fullDisk, type FullDisk } from '../support/full-disk.js';
import { makeTempDir } from '../support/tmp.js';

const tmp = makeTempDir('mailsetup-cli-full-');
let disk: FullDisk;

beforeAll(() => {
  disk = fullDisk(join(tmp.path, 'full'), 0);
});
afterAll(() => {
  disk.remove();
  tmp.remove();
});

describe('mailsetup profile on a full disk', () => {
  it.each([
    ['mobileconfig', 'p.mobileconfig'],
    ['outlook-pack', 'pack.zip'],
    ['autoconfig', 'config-v1.1.xml'],
  ])('%s: exits with the IO code, names the path and the cause, leaves no file', async (format, name) => {
    const out = join(disk.dir, name);
    const run = await runCliProcess(['profile', '--email', 'anna@mail.ru', '--format', format, '--unsigned', '--out', out], {
      cwd: tmp.path,
      env: disk.env,
    });
    expect(run.code).toBe(ERROR_CODES.IO.exitCode);
    expect(run.stderr).toBe(`mailsetup: error: out: cannot write ${out}: the disk is full (ENOSPC)\n`);
    expect(readdirSync(disk.dir).filter((f) => f !== 'filler')).toEqual([]);
  });
});
