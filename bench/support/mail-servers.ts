// Real mail servers on 127.0.0.1 ports chosen at run time, started and stopped by whoever needs
// them: Debian's dovecot (IMAP and POP3, implicit TLS and STARTTLS, a passwd-file user) and
// smtp-server submission (STARTTLS or implicit TLS, AUTH, SIZE). Shared by the discovery tests
// (test/support/mail-lab.ts) and `npm run bench -- discovery`, which is built on its own and
// cannot import test/.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

/** A certificate and its key, as PEM files. */
export interface CertificateFiles {
  key: string;
  cert: string;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until something accepts connections on the port (servers that start in the background). */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a program in the foreground; its output is kept for failure messages. */
export function run(command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

// ---------------------------------------------------------------------------------------------
// dovecot

export interface DovecotPorts {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
}

export interface Dovecot {
  ports: DovecotPorts;
  log(): string;
  stop(): Promise<void>;
}

export interface DovecotOptions {
  dir: string;
  /** The certificate every name gets unless `byName` has its own (SNI). */
  certificate: CertificateFiles;
  byName?: Record<string, CertificateFiles>;
  users: Record<string, string>;
}

export async function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  const dir = join(options.dir, 'dovecot');
  for (const sub of ['base', 'state', 'mail']) mkdirSync(join(dir, sub), { recursive: true });
  // Mail processes run as nobody and create the mailboxes.
  chmodSync(join(dir, 'mail'), 0o1777);
  chmodSync(options.dir, 0o755);
  writeFileSync(
    join(dir, 'passwd'),
    Object.entries(options.users)
      // nodelay: a wrong password is answered at once (tests try them on purpose), without dovecot's growing penalty.
      .map(([user, password]) => `${user}:{PLAIN}${password}:65534:65534::${join(dir, 'mail', user)}::nodelay`)
      .join('\n') + '\n',
  );
  const ports: DovecotPorts = { imap: await freePort(), imaps: await freePort(), pop3: await freePort(), pop3s: await freePort() };
  const sni = Object.entries(options.byName ?? {})
    .map(([name, issued]) => `local_name ${name} {\n  ssl_cert = <${issued.cert}\n  ssl_key = <${issued.key}\n}\n`)
    .join('');
  const config = `protocols = imap pop3
listen = 127.0.0.1
base_dir = ${dir}/base
state_dir = ${dir}/state
log_path = /dev/stderr
info_log_path = /dev/stderr
ssl = yes
ssl_cert = <${options.certificate.cert}
ssl_key = <${options.certificate.key}
${sni}auth_mechanisms = plain login
auth_failure_delay = 0
disable_plaintext_auth = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = ${dir}/passwd
}
mail_location = maildir:~/Maildir
# Login processes kept and reused (dovecot's "high-performance" mode), as busy servers run.
service imap-login {
  service_count = 0
  process_min_avail = 1
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  service_count = 0
  process_min_avail = 1
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
  writeFileSync(join(dir, 'dovecot.conf'), config);
  const process = run('dovecot', ['-c', join(dir, 'dovecot.conf'), '-F']);
  try {
    for (const port of [ports.imap, ports.imaps, ports.pop3, ports.pop3s]) await waitForPort(port);
  } catch (error) {
    await stopProcess(process.child);
    throw new Error(`dovecot did not start: ${(error as Error).message}\n${process.output()}`, { cause: error });
  }
  return { ports, log: process.output, stop: () => stopProcess(process.child) };
}

// ---------------------------------------------------------------------------------------------
// SMTP submission (smtp-server)

export interface Submission {
  port: number;
  /** Logins accepted so far (user names only). */
  logins: string[];
  connections: number;
  stop(): Promise<void>;
}

export interface SubmissionOptions {
  certificate: CertificateFiles;
  /** Implicit TLS (465) instead of STARTTLS (587). */
  implicitTls?: boolean;
  /** Leave STARTTLS out of EHLO (a server that cannot upgrade). */
  noStartTls?: boolean;
  users: Record<string, string>;
  authMethods?: string[];
  size?: number;
}

export async function startSubmission(options: SubmissionOptions): Promise<Submission> {
  const logins: string[] = [];
  let connections = 0;
  const server = new SMTPServer({
    secure: options.implicitTls ?? false,
    key: readFileSync(options.certificate.key),
    cert: readFileSync(options.certificate.cert),
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN'],
    size: options.size ?? 10 * 1024 * 1024,
    ...(options.noStartTls ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : {}),
    logger: false,
    // Stopping should not wait for clients that are still connected.
    closeTimeout: 100,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username && options.users[auth.username] === auth.password) {
        logins.push(auth.username);
        return callback(null, { user: auth.username });
      }
      return callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    logins,
    get connections() {
      return connections;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
