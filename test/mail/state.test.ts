// The send state survives a crash: a torn last line is ignored, and opening rewrites it whole.
import { afterAll, describe, expect, it } from '@jest/globals';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { composeMessage } from '../../src/mail/message.js';
import { generateRequestSchema } from '../../src/model/request.js';
import { parseWith } from '../../src/model/validate.js';
import { SendState } from '../../src/mail/state.js';
import nodemailer from 'nodemailer';
import { redactSmtpUrl, transportOptions } from '../../src/mail/smtp.js';
import { makeTempDir } from '../support/tmp.js';

const tmp = makeTempDir('mailsetup-state-');
afterAll(() => tmp.remove());

describe('SendState', () => {
  it('keeps the last record per person, survives a torn line, and keeps its run id', () => {
    const path = join(tmp.path, 'state.jsonl');
    const state = SendState.open(path);
    const base = { messageId: '<x@example.org>', at: '2026-01-01T00:00:00.000Z' };
    state.record({ ...base, email: 'A@mail.ru', status: 'sending', attempts: 1 });
    state.record({ ...base, email: 'a@mail.ru', status: 'sent', attempts: 1 });
    state.record({ ...base, email: 'b@mail.ru', status: 'sending', attempts: 1 });
    state.close();
    appendFileSync(path, '{"email":"c@mail.ru","status":"se'); // a crash mid-write
    const reopened = SendState.open(path);
    expect(reopened.runId).toBe(state.runId);
    expect(reopened.isSent('a@mail.ru')).toBe(true);
    expect(reopened.isSent('b@mail.ru')).toBe(false);
    expect(reopened.get('c@mail.ru')).toBeUndefined();
    reopened.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3); // header + one line per person, rewritten on open
  });

  it('lets one run at a time use a state file, and takes over a lock left by a dead run', () => {
    const path = join(tmp.path, 'locked.jsonl');
    const first = SendState.open(path);
    expect(() => SendState.open(path)).toThrow(/another mailsetup run \(process \d+\) is sending/);
    first.close();
    SendState.open(path).close();
    writeFileSync(`${path}.lock`, '999999999\n'); // no such process
    const taken = SendState.open(path);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    taken.close();
  });

  it('refuses a file that is not a send state', () => {
    const path = join(tmp.path, 'other.jsonl');
    writeFileSync(path, '{"hello":1}\n');
    expect(() => SendState.open(path)).toThrow(/not a mailsetup send state file/);
  });
});

describe('messages', () => {
  it("fills the template in the person's language and keeps line breaks out of headers", () => {
    const message = composeMessage({
      email: parseWith(generateRequestSchema, { email: 'ivan@nstu.ru' }).email,
      name: 'Иван\r\nBcc: evil@example.org',
      language: 'ru',
      device: 'macos',
      organization: 'NSTU IT',
      files: [{ format: 'mobileconfig', name: 'ivan@nstu.ru.mobileconfig', contentType: 'application/x-apple-aspen-config', body: Buffer.from('x') }],
    });
    expect(message.subject).toBe('Настройки почты для ivan@nstu.ru');
    expect(message.to.name).toBe('Иван Bcc: evil@example.org');
    expect(message.text).toContain('На Mac:');
    expect(message.text).toContain('NSTU IT');
    expect(message.attachments[0]).toMatchObject({ filename: 'ivan@nstu.ru.mobileconfig', contentType: 'application/x-apple-aspen-config' });
  });

  it('requires STARTTLS for smtp:// except on this machine or when the URL opts out', () => {
    expect(transportOptions('smtp://u:p@smtp.example.org:587', 2)).toMatchObject({ requireTLS: true, pool: true, maxConnections: 2 });
    expect(transportOptions('smtps://u:p@smtp.example.org:465', 2).requireTLS).toBe(false);
    expect(transportOptions('smtp://127.0.0.1:25', 1).requireTLS).toBe(false);
    const created = nodemailer.createTransport(transportOptions('smtp://relay.example.org:25?requireTLS=false', 1));
    expect((created.transporter as unknown as { options: { requireTLS: boolean } }).options.requireTLS).toBe(false);
    created.close();
  });

  it('never shows the SMTP password', () => {
    expect(redactSmtpUrl('smtps://robot:p%40ss@smtp.example.org:465?debug=true')).toBe('smtps://robot:***@smtp.example.org:465');
  });
});
