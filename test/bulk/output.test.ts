// Every write checked, through the write call the sinks and journals take: short writes are
// finished, a write that fails (or makes no progress) is an IO error naming the file, and what is
// left is whole: no archive, no torn manifest or journal line.
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeAll, type WriteFn } from '../../src/files.js';
import { ManifestWriter } from '../../src/bulk/manifest.js';
import { openSink } from '../../src/bulk/output.js';
import { SendState } from '../../src/mail/state.js';
import { makeTempDir } from '../support/tmp.js';

const tmp = makeTempDir('mailsetup-output-');
afterAll(() => tmp.remove());

/** Writes at most `step` bytes per call, as a disk under pressure may. */
const short =
  (step: number): WriteFn =>
  (fd, buffer, offset, length) =>
    writeSync(fd, buffer, offset, Math.min(step, length));

/** A disk with `room` bytes left: a short write up to it, then ENOSPC. */
function filling(room: number): WriteFn {
  let left = room;
  return (fd, buffer, offset, length) => {
    if (left === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const written = writeSync(fd, buffer, offset, Math.min(left, length));
    left -= written;
    return written;
  };
}

const body = (i: number) => Buffer.from(`file ${i} `.repeat(400));

describe('checked writes', () => {
  it('finishes short writes: the archive is whole', async () => {
    const path = join(tmp.path, 'short.zip');
    const sink = openSink(path, { write: short(777) });
    for (let i = 0; i < 400; i++) await sink.add(`person-${i}.txt`, body(i));
    await sink.finish();
    const check = execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), len(z.namelist()))', path], {
      encoding: 'utf8',
    });
    expect(check.trim()).toBe('None 400');
  });

  it('a full disk: an IO error naming the archive, no archive, no temporary file', async () => {
    const dir = join(tmp.path, 'full-zip');
    const path = join(dir, 'out.zip');
    const sink = openSink(path, { write: filling(100_000) });
    const run = async () => {
      for (let i = 0; i < 400; i++) await sink.add(`person-${i}.txt`, body(i));
      await sink.finish();
    };
    await expect(run()).rejects.toMatchObject({ code: 'IO', field: 'out', message: `out: cannot write ${path}: the disk is full (ENOSPC)` });
    await sink.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a write that makes no progress counts as a full disk', () => {
    expect(() => writeAll(1, 'x', () => 0)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
  });

  it('a folder keeps whole files only', async () => {
    const dir = join(tmp.path, 'full-dir');
    const sink = openSink(dir, { write: filling(10_000) });
    const written: string[] = [];
    let failure: unknown;
    try {
      for (let i = 0; i < 10; i++) {
        await sink.add(`person-${i}.txt`, body(i));
        written.push(`person-${i}.txt`);
      }
    } catch (error) {
      failure = error;
    }
    expect(written.length).toBeGreaterThan(0);
    expect(failure).toMatchObject({ code: 'IO', message: `out: cannot write ${join(dir, `person-${written.length}.txt`)}: the disk is full (ENOSPC)` });
    expect(readdirSync(dir).sort()).toEqual(written.sort());
    for (const [i, name] of written.entries()) expect(readFileSync(join(dir, name)).equals(body(i))).toBe(true);
  });

  it('the manifest is cut back to its last whole line when a line cannot be written', () => {
    const path = join(tmp.path, 'manifest.part');
    const manifest = new ManifestWriter({ path, label: '/out/manifest.csv', eachLine: true, write: filling(100) });
    manifest.add({ line: 2, email: 'a@mail.ru', status: 'ok', files: ['a@mail.ru.mobileconfig'] });
    expect(() => manifest.add({ line: 3, email: 'b@mail.ru', status: 'ok', files: ['b@mail.ru.mobileconfig'] })).toThrow(
      'out: cannot write /out/manifest.csv: the disk is full (ENOSPC)',
    );
    manifest.close();
    expect(readFileSync(path, 'utf8')).toBe('\uFEFFline,email,status,files,error\r\n2,a@mail.ru,ok,a@mail.ru.mobileconfig,\r\n');
  });

  it('the send state keeps whole lines and stays usable after a failed append', () => {
    const path = join(tmp.path, 'state.jsonl');
    const base = { messageId: '<x@example.org>', at: '2026-01-01T00:00:00.000Z', attempts: 1 };
    const state = SendState.open(path, { write: filling(300) });
    state.record({ ...base, email: 'a@mail.ru', status: 'sent' });
    expect(() => state.record({ ...base, email: 'b@mail.ru', status: 'sending' })).toThrow(`state: cannot write ${path}: the disk is full (ENOSPC)`);
    expect(state.get('b@mail.ru')).toBeUndefined();
    state.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as { email?: string }).map((r) => r.email)).toEqual([undefined, 'a@mail.ru']);
    const reopened = SendState.open(path);
    expect(reopened.isSent('a@mail.ru')).toBe(true);
    reopened.close();
  });
});

describe('leftovers of earlier runs', () => {
  it('removes the temporary files of dead runs only, and never files that merely look alike', () => {
    const dir = join(tmp.path, 'leftovers');
    const out = join(dir, 'out');
    mkdirSync(out, { recursive: true });
    const dead = spawnSync('true').pid; // a process that has ended
    const names = {
      deadZip: `out.zip.${dead}.1.part`,
      deadManifest: `.out.${dead}.manifest.part`,
      liveZip: `out.zip.${process.ppid}.1.part`,
      otherZip: `other.zip.${dead}.1.part`,
    };
    for (const name of Object.values(names)) writeFileSync(join(dir, name), 'x');
    const inside = { dead: `anna@mail.ru.mobileconfig.${dead}.3.part`, download: 'report.2024.part', person: 'anna@mail.ru.mobileconfig' };
    for (const name of Object.values(inside)) writeFileSync(join(out, name), 'x');
    const told: string[] = [];
    void openSink(join(dir, 'out.zip'), { warn: (text) => told.push(text) }).abort();
    openSink(out, { warn: (text) => told.push(text) });
    expect(readdirSync(dir).sort()).toEqual([names.liveZip, names.otherZip, 'out'].sort());
    expect(readdirSync(out).sort()).toEqual([inside.download, inside.person].sort());
    expect(told).toEqual([
      `removed 1 temporary file(s) left by an interrupted run (process ${dead})`,
      `${out} was left without manifest.csv by an interrupted run (process ${dead}); removed its 2 temporary file(s); this run writes manifest.csv for the rows it does`,
    ]);
  });
});
