// The message each person receives: subject and body from templates/mail/<language>/ (editable
// text, `{name}` placeholders), install steps for their device, their files attached.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from '../i18n.js';
import type { Language } from '../model/provider.js';
import type { EmailParts } from '../model/rules.js';

const MAIL_TEMPLATES_DIR = join(TEMPLATES_DIR, 'mail');

export interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface MailMessage {
  to: { name: string; address: string };
  subject: string;
  text: string;
  attachments: Attachment[];
}

export interface MessageInput {
  email: EmailParts;
  name?: string | undefined;
  language: Language;
  device: string;
  organization: string;
  files: readonly { format: string; name: string; contentType: string; body: Buffer }[];
}

const cache = new Map<string, string | undefined>();

function template(language: Language, name: string, dir: string): string | undefined {
  const key = `${dir}\0${language}\0${name}`;
  if (!cache.has(key)) {
    const path = join(dir, language, name);
    const fallback = join(dir, 'en', name);
    cache.set(key, existsSync(path) ? readFileSync(path, 'utf8') : existsSync(fallback) ? readFileSync(fallback, 'utf8') : undefined);
  }
  return cache.get(key);
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (match, key: string) => values[key] ?? match);
}

/** Steps per file: Apple profiles by device, other formats by `steps-<format>.txt`, else a generic text. */
function stepsFor(input: MessageInput, dir: string): string {
  const names = new Set<string>();
  for (const file of input.files) {
    const specific = file.format === 'mobileconfig' ? `steps-${input.device}.txt` : `steps-${file.format}.txt`;
    names.add(template(input.language, specific, dir) !== undefined ? specific : 'steps-other.txt');
  }
  return [...names]
    .map((name) => (template(input.language, name, dir) ?? '').trim())
    .filter(Boolean)
    .join('\n\n');
}

export function composeMessage(input: MessageInput, dir = MAIL_TEMPLATES_DIR): MailMessage {
  const source = template(input.language, 'message.txt', dir);
  if (source === undefined) throw new Error(`mail template ${join(dir, input.language, 'message.txt')} is missing`);
  const { email } = input;
  const values = {
    email: email.address,
    name: input.name ?? email.local,
    organization: input.organization,
    files: input.files.map((f) => f.name).join(', '),
    steps: stepsFor(input, dir),
  };
  const [, subjectLine = '', body = ''] = /^Subject:[ \t]*(.*)\r?\n\r?\n?([\s\S]*)$/.exec(source) ?? [];
  return {
    // Header values never carry line breaks, whatever the template or the name holds.
    to: { name: (input.name ?? '').replace(/[\r\n]+/g, ' '), address: email.ascii },
    subject: fill(subjectLine, values)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
    text: fill(body, values).replace(/\n{3,}/g, '\n\n'),
    attachments: input.files.map((file) => ({ filename: file.name, contentType: file.contentType, content: file.body })),
  };
}
