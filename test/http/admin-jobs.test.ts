// The admin page as data: the summary of an upload (never the staff file itself), expiry that keeps
// an upload while it is being mailed, and the choices the page offers, named in every language.
import { describe, expect, it } from '@jest/globals';
import { ADMIN_LIMITS, expireJobs, jobSummary, parseEncoding, parseFormats, type Job } from '../../src/http/admin/jobs.js';
import { encodingChoices, formatChoices } from '../../src/http/admin/page.js';
import { FORMAT_IDS } from '../../src/formats/registry.js';
import { MemoryLedger } from '../../src/mail/state.js';
import { LANGUAGES } from '../../src/model/provider.js';

function job(id: string, createdAt: number, extra: Partial<Job> = {}): Job {
  return {
    id,
    name: 'staff.csv',
    staff: Buffer.from('email\nivan@nstu.ru\nbroken\n'),
    encoding: undefined,
    formats: ['mobileconfig'],
    unsigned: false,
    createdAt,
    rows: [
      { line: 2, email: 'ivan@nstu.ru', status: 'ok', files: ['ivan@nstu.ru.mobileconfig'], error: '', warnings: '' },
      { line: 3, email: 'broken', status: 'error', files: [], error: 'email: "broken" is not an email address', warnings: '' },
    ],
    ok: 1,
    ledger: new MemoryLedger(),
    ...extra,
  } as Job;
}

describe('admin jobs', () => {
  it('summarises an upload by its counts and rows, without the staff file', () => {
    const summary = jobSummary(job('a', 0, { encoding: 'windows-1251' }));
    expect(summary).toMatchObject({ id: 'a', name: 'staff.csv', encoding: 'windows-1251', ok: 1, failed: 1, formats: ['mobileconfig'] });
    expect(summary.rows).toHaveLength(2);
    expect(JSON.stringify(summary)).not.toContain('ivan@nstu.ru\\nbroken');
    expect(jobSummary(job('a', 0), false)).not.toHaveProperty('rows');
  });

  it('forgets old uploads but keeps one that is still being mailed', () => {
    const now = ADMIN_LIMITS.jobTtlMs + 10;
    const sending = { state: 'sending', startedAt: 0, total: 1 } as unknown as NonNullable<Job['sending']>;
    const jobs = new Map([
      ['old', job('old', 0)],
      ['mailing', job('mailing', 0, { sending })],
      ['new', job('new', now)],
    ]);
    expireJobs(jobs, now);
    expect([...jobs.keys()]).toEqual(['mailing', 'new']);
  });

  it('reads the choices of the upload request', () => {
    expect(parseFormats(undefined)).toEqual(['mobileconfig']);
    expect(parseFormats('prf, reg')).toEqual(['prf', 'reg']);
    expect(parseEncoding('cp1251')).toBe('windows-1251');
    expect(parseEncoding('')).toBeUndefined();
    expect(() => parseEncoding('klingon')).toThrow(expect.objectContaining({ field: 'encoding', rule: 'known-encoding' }));
  });
});

describe('admin page choices', () => {
  it('names every kind of file in every language, never by its bare id', () => {
    for (const language of LANGUAGES) {
      const choices = formatChoices(language);
      expect(choices.map((c) => c.id)).toEqual([...FORMAT_IDS]);
      for (const choice of choices) expect(choice.label).not.toBe(choice.id);
    }
  });

  it('offers every text encoding with its words in every language', () => {
    for (const language of LANGUAGES) for (const choice of encodingChoices(language)) expect(choice.label).not.toMatch(/^admin\./);
  });
});
