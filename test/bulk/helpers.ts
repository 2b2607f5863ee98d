// Shared by the bulk and mail tests: the built CLI in a child process (workers run compiled
// JavaScript), a signing chain made with openssl, and the staff fixture.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestPki } from '../signing/pki.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}/dist/cli/bin.js`;

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], options: { cwd: string; env: Record<string, string> }): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCliProcess(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<Run> {
  return spawnCli(args, options).done;
}

/** root → intermediate → signer (RSA), and the environment that makes mailsetup sign with it. */
export function signingChain(dir: string): { env: Record<string, string>; rootPem: string } {
  const pki = new TestPki(dir);
  const { root, intermediate, leaf } = pki.chain('Bulk', 'rsa');
  return {
    rootPem: root.cert,
    env: { MAILSETUP_SIGNING_KEY: leaf.key, MAILSETUP_SIGNING_CERT: leaf.cert, MAILSETUP_SIGNING_CHAIN: intermediate.cert },
  };
}

/**
 * A staff list as Excel saves it in a Swedish or Russian locale: UTF-8 with BOM, `;` separators,
 * CRLF, headers in mixed case, a quoted name holding the separator, and broken rows.
 */
export const STAFF_CSV = [
  'E-mail;Full Name;Device;LANGUAGE;Notes',
  'ivan.petrov@nstu.ru;Иван Петров;ios;ru;staff',
  'åsa.öberg@mail.ru;Åsa Öberg;macos;sv;',
  'not-an-address;Nobody;;;',
  'björn@yandex.ru;"Björn; Ström";ios;sv;',
  'ivan.petrov@nstu.ru;Иван Дубль;;;duplicate',
  'someone@nowhere-provider.example;Someone;;;',
  'olga@mail.ru;Ольга Смирнова;tablet;ru;',
  'erik@yandex.ru;Erik Ek;ios;en;;;extra fields',
  'maria@nstu.ru;Мария Иванова;;ru;',
].join('\r\n');

export const GOOD_EMAILS = ['ivan.petrov@nstu.ru', 'åsa.öberg@mail.ru', 'björn@yandex.ru', 'maria@nstu.ru'];
/** Line number → the field and rule each broken row must be reported with. */
export const BROKEN_LINES: Record<number, string> = {
  4: 'email-format',
  6: 'duplicate',
  7: 'known-domain',
  8: 'allowed-values',
  9: 'column-count',
};

export function staffBuffer(): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${STAFF_CSV}\r\n`, 'utf8')]);
}
