// What a probe says to each kind of mail server: IMAP (RFC 9051: greeting, CAPABILITY, STARTTLS,
// AUTHENTICATE/LOGIN, LOGOUT), POP3 (RFC 1939/2449/2595/5034: greeting, CAPA, STLS, AUTH/USER,
// QUIT) and SMTP submission (RFC 5321/6409/3207/4954/1870: greeting, EHLO, STARTTLS, AUTH, SIZE, QUIT).
import type { AuthMethod } from '../model/account.js';
import type { MailProtocol } from '../model/defaults.js';
import type { Dialogue } from './mail-dialogue.js';
import { NetFailure } from './network.js';

export interface Capabilities {
  /** As the server listed them (IMAP capability atoms, POP3 CAPA lines, SMTP EHLO keywords). */
  raw: string[];
  starttls: boolean;
  /** SASL mechanisms offered, upper case. */
  mechanisms: string[];
  /** A login without SASL is possible: IMAP LOGIN (no LOGINDISABLED), POP3 USER/PASS. */
  plainLogin: boolean;
  /** SMTP: the largest message accepted, in bytes. */
  size: number | undefined;
}

export interface LoginAttempt {
  username: string;
  password: string;
}

export interface LoginResult {
  ok: boolean;
  /** The server's own words (its refusal, or its welcome). */
  message: string;
}

export interface ProtocolDialogue {
  greet(d: Dialogue): Promise<string>;
  /**
   * `hello`: the name SMTP's EHLO introduces the prober by; `greeting`: the greeting just read,
   * when the capabilities may be taken from it (IMAP's [CAPABILITY …] saves a round trip).
   */
  capabilities(d: Dialogue, hello: string, greeting?: string): Promise<Capabilities>;
  /** Asks to start TLS; resolves when the server agreed. */
  startTls(d: Dialogue): Promise<void>;
  login(d: Dialogue, capabilities: Capabilities, attempt: LoginAttempt): Promise<LoginResult>;
  /** Says goodbye without waiting for the answer: nothing in it matters any more. */
  quit(d: Dialogue): void;
}

/** SASL mechanisms (and plain logins) in the catalog's authentication words. */
export function authMethodsOf(capabilities: Capabilities, protocol: MailProtocol): AuthMethod[] {
  const methods = new Set<AuthMethod>();
  for (const mechanism of capabilities.mechanisms) {
    if (mechanism === 'PLAIN' || mechanism === 'LOGIN') methods.add('password-cleartext');
    else if (mechanism === 'CRAM-MD5' || mechanism === 'DIGEST-MD5' || mechanism.startsWith('SCRAM-')) methods.add('password-encrypted');
    else if (mechanism === 'NTLM') methods.add('NTLM');
    else if (mechanism === 'GSSAPI') methods.add('GSSAPI');
    else if (mechanism === 'XOAUTH2' || mechanism === 'OAUTHBEARER') methods.add('OAuth2');
  }
  if (capabilities.plainLogin) methods.add('password-cleartext');
  if (protocol === 'smtp' && capabilities.mechanisms.length === 0) methods.add('none');
  return [...methods];
}

const saslPlain = (attempt: LoginAttempt) => Buffer.from(`\u0000${attempt.username}\u0000${attempt.password}`, 'utf8').toString('base64');
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function checkCredentials(attempt: LoginAttempt): void {
  const breaks = (value: string) => /[\r\n]/.test(value) || value.includes('\u0000');
  if (breaks(attempt.username) || breaks(attempt.password)) {
    throw new NetFailure('protocol', 'the login or password holds a line break, which no mail protocol can carry');
  }
}

// ---------------------------------------------------------------------------------------------
// IMAP

let tagCounter = 0;
const nextTag = () => `m${(++tagCounter).toString(36)}`;

/** Sends a tagged command; returns the untagged lines and the tagged completion. */
async function imapCommand(d: Dialogue, command: string, secret?: string): Promise<{ untagged: string[]; status: string; text: string }> {
  const tag = nextTag();
  if (secret === undefined) d.send(`${tag} ${command}`);
  else d.sendSecret(`${tag} ${command}`, `${tag} ${secret}`);
  const untagged: string[] = [];
  for (;;) {
    const line = await d.line();
    if (line.startsWith(`${tag} `)) {
      const [status = '', ...rest] = line.slice(tag.length + 1).split(' ');
      return { untagged, status: status.toUpperCase(), text: rest.join(' ') };
    }
    untagged.push(line);
  }
}

function imapQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function imapCapabilities(raw: string[]): Capabilities {
  const upper = raw.map((c) => c.toUpperCase());
  return {
    raw,
    starttls: upper.includes('STARTTLS'),
    mechanisms: upper.filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5)),
    plainLogin: !upper.includes('LOGINDISABLED'),
    size: undefined,
  };
}

const imap: ProtocolDialogue = {
  async greet(d) {
    const line = await d.line();
    if (/^\* (OK|PREAUTH)\b/i.test(line)) return line;
    throw new NetFailure('protocol', `not an IMAP greeting: ${line.slice(0, 200)}`);
  },
  async capabilities(d, _hello, greeting) {
    const announced = greeting ? /^\* OK \[CAPABILITY ([^\]]*)\]/i.exec(greeting)?.[1] : undefined;
    if (announced !== undefined) return imapCapabilities(announced.split(' ').filter(Boolean));
    const reply = await imapCommand(d, 'CAPABILITY');
    if (reply.status !== 'OK') throw new NetFailure('protocol', `CAPABILITY refused: ${reply.text.slice(0, 200)}`);
    const line = reply.untagged.find((l) => /^\* CAPABILITY /i.test(l)) ?? '';
    return imapCapabilities(line.slice('* CAPABILITY '.length).split(' ').filter(Boolean));
  },
  async startTls(d) {
    const reply = await imapCommand(d, 'STARTTLS');
    if (reply.status !== 'OK') throw new NetFailure('protocol', `STARTTLS refused: ${reply.text.slice(0, 200)}`);
  },
  async login(d, capabilities, attempt) {
    checkCredentials(attempt);
    let reply;
    if (capabilities.mechanisms.includes('PLAIN') && capabilities.raw.some((c) => c.toUpperCase() === 'SASL-IR')) {
      reply = await imapCommand(d, `AUTHENTICATE PLAIN ${saslPlain(attempt)}`, 'AUTHENTICATE PLAIN (credentials)');
    } else if (capabilities.plainLogin) {
      reply = await imapCommand(d, `LOGIN ${imapQuote(attempt.username)} ${imapQuote(attempt.password)}`, 'LOGIN (credentials)');
    } else {
      return { ok: false, message: 'the server offers no password login (LOGINDISABLED, no AUTH=PLAIN)' };
    }
    return { ok: reply.status === 'OK', message: reply.text };
  },
  quit(d) {
    d.finish(`${nextTag()} LOGOUT`);
  },
};

// ---------------------------------------------------------------------------------------------
// POP3

async function popCommand(d: Dialogue, command: string, secret?: string): Promise<{ ok: boolean; text: string }> {
  if (secret === undefined) d.send(command);
  else d.sendSecret(command, secret);
  const line = await d.line();
  return { ok: /^\+OK\b/i.test(line), text: line.replace(/^[+-](OK|ERR)\s?/i, '') };
}

const pop3: ProtocolDialogue = {
  async greet(d) {
    const line = await d.line();
    if (/^\+OK\b/i.test(line)) return line;
    throw new NetFailure('protocol', `not a POP3 greeting: ${line.slice(0, 200)}`);
  },
  async capabilities(d) {
    const reply = await popCommand(d, 'CAPA');
    const raw: string[] = [];
    // Servers from before RFC 2449 answer -ERR: nothing is known about them then.
    if (reply.ok) {
      for (let line = await d.line(); line !== '.'; line = await d.line()) raw.push(line);
    }
    const upper = raw.map((l) => l.toUpperCase());
    const sasl = upper.find((l) => l.startsWith('SASL'));
    return {
      raw,
      starttls: upper.includes('STLS'),
      mechanisms: sasl ? sasl.split(/\s+/).slice(1) : [],
      plainLogin: upper.includes('USER'),
      size: undefined,
    };
  },
  async startTls(d) {
    const reply = await popCommand(d, 'STLS');
    if (!reply.ok) throw new NetFailure('protocol', `STLS refused: ${reply.text.slice(0, 200)}`);
  },
  async login(d, capabilities, attempt) {
    checkCredentials(attempt);
    if (capabilities.mechanisms.includes('PLAIN')) {
      const reply = await popCommand(d, `AUTH PLAIN ${saslPlain(attempt)}`, 'AUTH PLAIN (credentials)');
      return { ok: reply.ok, message: reply.text };
    }
    const user = await popCommand(d, `USER ${attempt.username}`, 'USER (login)');
    if (!user.ok) return { ok: false, message: user.text };
    const pass = await popCommand(d, `PASS ${attempt.password}`, 'PASS (password)');
    return { ok: pass.ok, message: pass.text };
  },
  quit(d) {
    d.finish('QUIT');
  },
};

// ---------------------------------------------------------------------------------------------
// SMTP

async function smtpReply(d: Dialogue): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  for (;;) {
    const line = await d.line();
    const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!match) throw new NetFailure('protocol', `not an SMTP reply: ${line.slice(0, 200)}`);
    lines.push(match[3]!);
    if (match[2] !== '-') return { code: Number(match[1]), lines };
  }
}

async function smtpCommand(d: Dialogue, command: string, secret?: string): Promise<{ code: number; lines: string[] }> {
  if (secret === undefined) d.send(command);
  else d.sendSecret(command, secret);
  return smtpReply(d);
}

const smtp: ProtocolDialogue = {
  async greet(d) {
    const reply = await smtpReply(d);
    if (reply.code === 220) return `220 ${reply.lines.join(' ')}`;
    throw new NetFailure('protocol', `the SMTP server does not accept sessions: ${reply.code} ${reply.lines.join(' ').slice(0, 200)}`);
  },
  async capabilities(d, hello) {
    const reply = await smtpCommand(d, `EHLO ${hello}`);
    if (reply.code !== 250) throw new NetFailure('protocol', `EHLO refused: ${reply.code} ${reply.lines.join(' ').slice(0, 200)}`);
    const raw = reply.lines.slice(1);
    const upper = raw.map((l) => l.toUpperCase());
    const auth = upper.find((l) => /^AUTH[ =]/.test(l));
    const size = upper.find((l) => /^SIZE\b/.test(l));
    const sizeValue = size ? Number(size.split(/\s+/)[1]) : undefined;
    return {
      raw,
      starttls: upper.includes('STARTTLS'),
      mechanisms: auth ? auth.slice(5).split(/\s+/).filter(Boolean) : [],
      plainLogin: false,
      size: sizeValue !== undefined && Number.isFinite(sizeValue) && sizeValue > 0 ? sizeValue : undefined,
    };
  },
  async startTls(d) {
    const reply = await smtpCommand(d, 'STARTTLS');
    if (reply.code !== 220) throw new NetFailure('protocol', `STARTTLS refused: ${reply.code} ${reply.lines.join(' ').slice(0, 200)}`);
  },
  async login(d, capabilities, attempt) {
    checkCredentials(attempt);
    let reply;
    if (capabilities.mechanisms.includes('PLAIN')) {
      reply = await smtpCommand(d, `AUTH PLAIN ${saslPlain(attempt)}`, 'AUTH PLAIN (credentials)');
    } else if (capabilities.mechanisms.includes('LOGIN')) {
      reply = await smtpCommand(d, 'AUTH LOGIN');
      if (reply.code === 334) reply = await smtpCommand(d, base64(attempt.username), '(login)');
      if (reply.code === 334) reply = await smtpCommand(d, base64(attempt.password), '(password)');
    } else {
      return { ok: false, message: 'the server offers no password login (no AUTH PLAIN or LOGIN)' };
    }
    return { ok: reply.code === 235, message: `${reply.code} ${reply.lines.join(' ')}` };
  },
  quit(d) {
    d.finish('QUIT');
  },
};

export const PROTOCOLS: Readonly<Record<MailProtocol, ProtocolDialogue>> = { imap, pop3, smtp };
