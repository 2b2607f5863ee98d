// A real SMTP server on 127.0.0.1 (smtp-server) for delivery tests: requires a login, can refuse
// chosen recipients or fail them temporarily, and parses what it accepts with postal-mime.
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import PostalMime, { type Email } from 'postal-mime';
import type { AddressInfo } from 'node:net';

export interface Received {
  envelopeTo: string[];
  raw: Buffer;
  email: Email;
}

export interface SmtpFixtureOptions {
  user?: string;
  pass?: string;
  /** 550 for these recipients. */
  refuse?: (address: string) => boolean;
  /** 451 for these recipients, the given number of times each. */
  temporaryFailures?: Record<string, number>;
  /** Called when a message's data has arrived, before the server answers; return false to refuse it. */
  beforeAccept?: (count: number) => boolean;
}

export interface SmtpFixture {
  port: number;
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export async function startSmtp(options: SmtpFixtureOptions = {}): Promise<SmtpFixture> {
  const user = options.user ?? 'bulk';
  const pass = options.pass ?? 's3cret-pass';
  const received: Received[] = [];
  const failuresLeft = { ...options.temporaryFailures };
  let dataCount = 0;
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) return callback(null, { user });
      return callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }));
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const to = address.address.toLowerCase();
      if (options.refuse?.(to)) return callback(Object.assign(new Error(`No such user ${to}`), { responseCode: 550 }));
      if ((failuresLeft[to] ?? 0) > 0) {
        failuresLeft[to]!--;
        return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        dataCount++;
        if (options.beforeAccept && !options.beforeAccept(dataCount)) {
          return callback(Object.assign(new Error('Service shutting down'), { responseCode: 421 }));
        }
        const raw = Buffer.concat(chunks);
        PostalMime.parse(raw)
          .then((email) => {
            received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), raw, email });
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://${user}:${pass}@127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
