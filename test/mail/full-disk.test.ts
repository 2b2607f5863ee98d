// `bulk --send --state` when the disk holding the send state fills up: the run stops with the IO
// error naming the state file (no stack trace), the journal has no torn line, the lock is released,
// and nobody is mailed without a journal entry, so a re-run resumes cleanly.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/errors.js';
import { runCliProcess } from '../bulk/helpers.js';
import { fullDisk, type FullDisk } from '../support/full-disk.js';
import { makeTempDir } from '../support/tmp.js';
import { startSmtp } from './smtp-fixture.js';

const tmp = makeTempDir('mailsetup-mail-full-');
const PEOPLE = Array.from({ length: 60 }, (_, i) => `person${i}@mail.ru`);
let disk: FullDisk;

beforeAll(() => {
  writeFileSync(join(tmp.path, 'staff.csv'), `email\r\n${PEOPLE.join('\r\n')}\r\n`);
  // Room for the lock and the compacted journal, and a few records after them.
  disk = fullDisk(join(tmp.path, 'full'), 2 * 4096);
});
afterAll(() => {
  disk.remove();
  tmp.remove();
});

describe('bulk --send with the send state on a full disk', () => {
  it('stops with the IO error, keeps the journal whole, releases the lock, and mails nobody unrecorded', async () => {
    const smtp = await startSmtp();
    const state = join(disk.dir, 'state.jsonl');
    try {
      const args = ['bulk', 'staff.csv', '--send', '--smtp-url', smtp.url, '--from', 'it@example.org', '--state', state];
      const run = await runCliProcess([...args, '--unsigned', '--workers', '0', '--connections', '1', '--retry-delay', '0'], {
        cwd: tmp.path,
        env: disk.env,
      });
      expect(run.code).toBe(ERROR_CODES.IO.exitCode);
      expect(run.stderr).toContain(`mailsetup: error: state: cannot write ${state}: the disk is full (ENOSPC)`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(`${state}.lock`)).toBe(false);

      const text = readFileSync(state, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      const records = text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { email?: string; status?: string });
      const journaled = new Set(records.filter((r) => r.email).map((r) => r.email));
      expect(journaled.size).toBeGreaterThan(0);
      expect(journaled.size).toBeLessThan(PEOPLE.length);
      // Every message sent had its "sending" entry on disk first.
      for (const message of smtp.received) expect(journaled.has(message.envelopeTo[0])).toBe(true);
      expect(smtp.received.length).toBeLessThan(PEOPLE.length);
    } finally {
      await smtp.close();
    }
  });
});
