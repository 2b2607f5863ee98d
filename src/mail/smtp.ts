// SMTP delivery through nodemailer: `smtp://` (STARTTLS when offered) or `smtps://` (implicit TLS).
// The URL may carry a password, so only its redacted form is ever shown.
import nodemailer from 'nodemailer';
import { MailsetupError } from '../errors.js';
import type { MailMessage } from './message.js';

export interface OutgoingMessage extends MailMessage {
  from: string;
  messageId: string;
}

export interface MailTransport {
  send(message: OutgoingMessage): Promise<{ accepted: string[]; rejected: string[]; response: string }>;
  close(): void;
}

/** smtp://user:pass@host:587 → smtp://user:***@host:587 */
export function redactSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return 'an invalid SMTP address';
  }
}

export function checkSmtpUrl(url: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MailsetupError('INVALID_INPUT', 'not a URL; use smtp://user:pass@host:587 or smtps://user:pass@host:465', { field, rule: 'smtp-url' });
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new MailsetupError('INVALID_INPUT', `${redactSmtpUrl(url)} must start with smtp:// or smtps://`, { field, rule: 'smtp-url' });
  }
  if (!parsed.hostname) throw new MailsetupError('INVALID_INPUT', 'the SMTP address names no host', { field, rule: 'smtp-url' });
  return url;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Transport settings for a URL. With `smtp://` the login would go in clear if the server did not
 * offer STARTTLS, so STARTTLS is required unless the server is on this machine or the URL says
 * `?requireTLS=false`; `smtps://` is TLS from the first byte. Settings in the URL win.
 */
export function transportOptions(url: string, connections: number) {
  const parsed = new URL(url);
  const requireTLS = parsed.protocol === 'smtp:' && !LOOPBACK.has(parsed.hostname.toLowerCase());
  return { url, pool: true, maxConnections: connections, maxMessages: 100, requireTLS };
}

export function smtpTransport(url: string, connections: number): MailTransport {
  const transporter = nodemailer.createTransport(transportOptions(url, connections));
  return {
    async send(message) {
      const info = await transporter.sendMail({
        from: message.from,
        to: message.to.name ? { name: message.to.name, address: message.to.address } : message.to.address,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
        headers: { 'Auto-Submitted': 'auto-generated' },
        attachments: message.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      });
      const list = (value: unknown) => (Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : (v as { address: string }).address)) : []);
      return { accepted: list(info.accepted), rejected: list(info.rejected), response: String(info.response ?? '') };
    },
    close() {
      transporter.close();
    },
  };
}
