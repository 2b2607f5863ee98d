// A bulk run killed with SIGKILL (no clean-up runs) leaves its temporary files; the next run into
// the same place removes them, says that the earlier run was interrupted, and leaves whole output.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSmtp } from '../mail/smtp-fixture.js';
import { makeTempDir } from '../support/tmp.js';
import { runCliProcess, spawnCli, type Run } from './helpers.js';

const tmp = makeTempDir('mailsetup-killed-');
const PEOPLE = Array.from({ length: 20 }, (_, i) => `person${i}@mail.ru`);

beforeAll(() => writeFileSync(join(tmp.path, 'staff.csv'), `email\r\n${PEOPLE.join('\r\n')}\r\n`));
afterAll(() => tmp.remove());

/** Runs `bulk --send --out OUT` and kills it with SIGKILL while its third message is being sent. */
async function killedRun(out: string): Promise<Run> {
  let run: ReturnType<typeof spawnCli> | undefined;
  const smtp = await startSmtp({
    beforeAccept: (count) => {
      if (count >= 3) run!.child.kill('SIGKILL');
      return count < 3;
    },
  });
  try {
    const args = ['bulk', 'staff.csv', '--out', out, '--send', '--smtp-url', smtp.url, '--from', 'it@example.org', '--state', `${out}.state.jsonl`];
    run = spawnCli([...args, '--unsigned', '--workers', '0', '--connections', '1'], { cwd: tmp.path, env: {} });
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    return result;
  } finally {
    await smtp.close();
  }
}

const parts = (names: string[]) => names.filter((name) => name.endsWith('.part'));

describe('after a killed bulk run', () => {
  it('ZIP: the next run removes the dead run’s .part files and writes a whole archive', async () => {
    await killedRun('k.zip');
    const left = parts(readdirSync(tmp.path)).filter((name) => name.includes('k.zip'));
    expect(left.some((name) => /^k\.zip\.\d+(\.\d+)?\.part$/.test(name))).toBe(true);
    expect(left.some((name) => /^\.k\.zip\.\d+\.manifest\.part$/.test(name))).toBe(true);
    expect(existsSync(join(tmp.path, 'k.zip'))).toBe(false);

    const next = await runCliProcess(['bulk', 'staff.csv', '--out', 'k.zip', '--unsigned', '--workers', '0'], { cwd: tmp.path, env: {} });
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/removed \d+ temporary file\(s\) left by an interrupted run \(process \d+\)/);
    expect(parts(readdirSync(tmp.path))).toEqual([]);
    const check = execFileSync(
      'python3',
      ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), len(z.namelist()))', join(tmp.path, 'k.zip')],
      {
        encoding: 'utf8',
      },
    );
    expect(check.trim()).toBe(`None ${PEOPLE.length + 1}`);
  });

  it('folder: the next run removes what the dead run left half-done and writes the missing manifest', async () => {
    await killedRun('kdir');
    const files = readdirSync(join(tmp.path, 'kdir'));
    expect(files.filter((name) => name.endsWith('.mobileconfig')).length).toBeGreaterThanOrEqual(2);
    expect(files).not.toContain('manifest.csv');
    expect(parts(readdirSync(tmp.path)).some((name) => /^\.kdir\.\d+\.manifest\.part$/.test(name))).toBe(true);

    const next = await runCliProcess(['bulk', 'staff.csv', '--out', 'kdir', '--unsigned', '--workers', '0'], { cwd: tmp.path, env: {} });
    expect(next.code).toBe(0);
    expect(next.stderr).toContain('was left without manifest.csv by an interrupted run');
    expect(parts(readdirSync(tmp.path))).toEqual([]);
    expect(parts(readdirSync(join(tmp.path, 'kdir')))).toEqual([]);
    const manifest = readFileSync(join(tmp.path, 'kdir', 'manifest.csv'), 'utf8');
    for (const person of PEOPLE) expect(manifest).toContain(`${person},ok,${person}.mobileconfig`);
  });
});
