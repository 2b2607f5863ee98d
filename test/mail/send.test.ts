// Mailing profiles through a real SMTP server on 127.0.0.1: every message parsed back and its
// profile verified; a crashed run resumed without a duplicate; refused recipients reported and
// sent on the next run; temporary failures retried.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/tmp.js';
import { opensslVerify } from '../signing/pki.js';
import { plistlibParse } from '../support/python.js';
import { runCliProcess, signingChain, spawnCli } from '../bulk/helpers.js';
import { startSmtp, type Received } from './smtp-fixture.js';

const tmp = makeTempDir('mailsetup-mail-');
let env: Record<string, string>;
let rootPem: string;

const STAFF = [
  'email;name;language;device',
  'ivan@nstu.ru;Иван Петров;ru;ios',
  'anna@mail.ru;Anna Berg;sv;macos',
  'olga@mail.ru;Ольга Смирнова;ru;',
  'broken;Nobody;;',
  'petr@yandex.ru;Пётр;;',
  'erik@yandex.ru;Erik Ek;en;',
].join('\r\n');
const PEOPLE = ['ivan@nstu.ru', 'anna@mail.ru', 'olga@mail.ru', 'petr@yandex.ru', 'erik@yandex.ru'];

beforeAll(() => {
  ({ env, rootPem } = signingChain(join(tmp.path, 'pki')));
  writeFileSync(join(tmp.path, 'staff.csv'), `\uFEFF${STAFF}\r\n`);
});
afterAll(() => tmp.remove());

function sendArgs(url: string, state: string, extra: string[] = []): string[] {
  return [
    'bulk',
    'staff.csv',
    '--send',
    '--smtp-url',
    url,
    '--from',
    'IT Desk <it@example.org>',
    '--state',
    state,
    '--retry-delay',
    '0',
    '--workers',
    '1',
    ...extra,
  ];
}

function recipients(messages: Received[]): string[] {
  return messages.flatMap((m) => m.envelopeTo).sort();
}

describe('bulk --send', () => {
  it('mails each person a verifying profile, in their language, with install steps for their device', async () => {
    const smtp = await startSmtp();
    try {
      const run = await runCliProcess(sendArgs(smtp.url, 'first.jsonl', ['--out', 'first.zip']), { cwd: tmp.path, env });
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 10 }); // the broken row
      expect(run.stdout).toContain('mail: 5 sent, 0 already sent earlier, 0 failed');
      expect(`${run.stdout}${run.stderr}`).not.toContain('s3cret-pass');
      expect(run.stderr).toContain('smtp://bulk:***@127.0.0.1');
      expect(recipients(smtp.received)).toEqual([...PEOPLE].sort());

      for (const message of smtp.received) {
        const to = message.envelopeTo[0]!;
        expect(message.email.from?.address).toBe('it@example.org');
        expect(message.email.messageId).toMatch(/^<[0-9a-f-]{36}@example\.org>$/);
        expect(message.email.attachments).toHaveLength(1);
        const attachment = message.email.attachments[0]!;
        expect(attachment.mimeType).toBe('application/x-apple-aspen-config');
        expect(attachment.filename).toBe(`${to}.mobileconfig`);
        const profile = plistlibParse(opensslVerify(Buffer.from(attachment.content as ArrayBuffer), rootPem, tmp.path)) as {
          PayloadContent: { EmailAddress: string }[];
        };
        expect(profile.PayloadContent[0]!.EmailAddress).toBe(to);
      }
      const byTo = new Map(smtp.received.map((m) => [m.envelopeTo[0], m.email]));
      expect(byTo.get('ivan@nstu.ru')!.subject).toBe('Настройки почты для ivan@nstu.ru');
      expect(byTo.get('ivan@nstu.ru')!.text).toContain('Здравствуйте, Иван Петров!');
      expect(byTo.get('ivan@nstu.ru')!.text).toContain('На iPhone или iPad');
      expect(byTo.get('anna@mail.ru')!.subject).toBe('Dina e-postinställningar för anna@mail.ru');
      expect(byTo.get('anna@mail.ru')!.text).toContain('På din Mac');
      expect(byTo.get('petr@yandex.ru')!.subject).toBe('Your mail settings for petr@yandex.ru');
      expect(byTo.get('ivan@nstu.ru')!.to?.[0]?.name).toBe('Иван Петров');

      // The same command again mails nobody.
      const again = await runCliProcess(sendArgs(smtp.url, 'first.jsonl'), { cwd: tmp.path, env });
      expect(again.stdout).toContain('mail: 0 sent, 5 already sent earlier, 0 failed');
      expect(smtp.received).toHaveLength(5);
    } finally {
      await smtp.close();
    }
  });

  it('after a crash mid-run, a re-run delivers every message exactly once', async () => {
    const first = await startSmtp({ beforeAccept: (count) => count < 3 });
    let crashed: ReturnType<typeof spawnCli> | undefined;
    // The process is killed (SIGKILL: no clean-up runs) while its third message is being sent.
    const killing = await startSmtp({
      beforeAccept: (count) => {
        if (count < 3) return true;
        crashed!.child.kill('SIGKILL');
        return false;
      },
    });
    await first.close();
    try {
      crashed = spawnCli(sendArgs(killing.url, 'crash.jsonl', ['--connections', '1']), { cwd: tmp.path, env });
      const result = await crashed.done;
      expect(result.signal).toBe('SIGKILL');
      expect(killing.received).toHaveLength(2);
      const journal = readFileSync(join(tmp.path, 'crash.jsonl'), 'utf8');
      expect(journal).toContain('"status":"sending"');
    } finally {
      await killing.close();
    }
    const resumed = await startSmtp();
    try {
      const run = await runCliProcess(sendArgs(resumed.url, 'crash.jsonl'), { cwd: tmp.path, env });
      expect(run.stdout).toContain('mail: 3 sent, 2 already sent earlier, 0 failed');
      expect(recipients([...killing.received, ...resumed.received])).toEqual([...PEOPLE].sort());
    } finally {
      await resumed.close();
    }
  });

  it('reports refused recipients, retries temporary failures, and sends the refused ones on the next run', async () => {
    const refusing = await startSmtp({ refuse: (to) => to === 'olga@mail.ru' || to === 'erik@yandex.ru', temporaryFailures: { 'anna@mail.ru': 2 } });
    try {
      const run = await runCliProcess(sendArgs(refusing.url, 'refuse.jsonl', ['--out', 'refuse.zip']), { cwd: tmp.path, env });
      expect(run.code).toBe(10);
      expect(run.stdout).toContain('mail: 3 sent, 0 already sent earlier, 2 failed');
      expect(run.stderr).toMatch(/not sent to olga@mail\.ru \(line 4, 1 attempt\(s\)\): 550/);
      expect(run.stderr).toMatch(/not sent to erik@yandex\.ru \(line 7, 1 attempt\(s\)\): 550/);
      expect(recipients(refusing.received)).toEqual(['anna@mail.ru', 'ivan@nstu.ru', 'petr@yandex.ru']);
      const report = readFileSync(join(tmp.path, 'refuse.send-report.csv'), 'utf8');
      expect(report).toContain('3,anna@mail.ru,sent,3,');
      expect(report).toMatch(/4,olga@mail\.ru,failed,1,.*550/);
    } finally {
      await refusing.close();
    }
    const accepting = await startSmtp();
    try {
      const run = await runCliProcess(sendArgs(accepting.url, 'refuse.jsonl', ['--out', 'refuse.zip']), { cwd: tmp.path, env });
      expect(run.stdout).toContain('mail: 2 sent, 3 already sent earlier, 0 failed');
      expect(recipients(accepting.received)).toEqual(['erik@yandex.ru', 'olga@mail.ru']);
    } finally {
      await accepting.close();
    }
  });

  it('--dry-run shows what would be sent and sends nothing', async () => {
    const run = await runCliProcess(['bulk', 'staff.csv', '--dry-run', '--from', 'it@example.org', '--unsigned', '--workers', '0'], { cwd: tmp.path, env });
    expect(run.stdout).toContain(
      'would send to Иван Петров <ivan@nstu.ru>: "Настройки почты для ivan@nstu.ru" with ivan@nstu.ru.mobileconfig (application/x-apple-aspen-config',
    );
    expect(run.stdout).toContain('dry run: 5 message(s) would be sent');
  });

  it('stops when the SMTP server cannot be reached, and a later run sends everything', async () => {
    const gone = await startSmtp();
    const url = gone.url;
    await gone.close();
    const run = await runCliProcess(sendArgs(url, 'down.jsonl', ['--retries', '1']), { cwd: tmp.path, env });
    expect(run.code).toBe(11);
    expect(run.stderr).toContain('the SMTP server cannot be reached');
    const back = await startSmtp();
    try {
      const again = await runCliProcess(sendArgs(back.url, 'down.jsonl'), { cwd: tmp.path, env });
      expect(again.stdout).toContain('mail: 5 sent, 0 already sent earlier, 0 failed');
    } finally {
      await back.close();
    }
  });

  it('stops with a clear error when the SMTP login is refused, leaving everyone retriable', async () => {
    const smtp = await startSmtp({ pass: 'other' });
    try {
      const run = await runCliProcess(sendArgs(smtp.url.replace(':other@', ':wrong@'), 'auth.jsonl'), { cwd: tmp.path, env });
      expect(run.code).toBe(11);
      expect(run.stderr).toContain('the SMTP server refused the login');
      expect(run.stderr).not.toContain('wrong');
      expect(smtp.received).toHaveLength(0);
    } finally {
      await smtp.close();
    }
  });
});
