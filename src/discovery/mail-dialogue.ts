// A line-based conversation with a mail server (IMAP, POP3 and SMTP all speak CRLF lines), over
// a plain socket that can be upgraded to TLS in place (STARTTLS) or TLS from the start. The
// server's answers are capped in size and every wait ends with the probe's deadline.
import type { Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import { NetFailure } from './network.js';

export interface DialogueOptions {
  /** Everything the server may send during the probe. */
  maxBytes: number;
  signal: AbortSignal;
  /** Names the server in messages: `imap.example.org:993`. */
  what: string;
}

export interface TlsOptions {
  servername: string;
  /** The trusted roots (Network.trusted). */
  secureContext: SecureContext;
}

export class Dialogue {
  private socket: Socket;
  private buffer = '';
  private received = 0;
  private failure: NetFailure | undefined;
  private finished = false;
  private waiting: { resolve: (line: string) => void; reject: (error: NetFailure) => void } | undefined;
  /** Lines written, for tests of what was sent; never holds a password (see sendSecret). */
  readonly sent: string[] = [];

  constructor(
    socket: Socket,
    private readonly options: DialogueOptions,
  ) {
    this.socket = socket;
    this.listen(socket);
    const onAbort = () => this.fail(new NetFailure('timeout', `${options.what}: no answer in time`));
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => options.signal.removeEventListener('abort', onAbort));
  }

  private listen(socket: Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private unlisten(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private readonly onData = (chunk: string) => {
    this.received += chunk.length;
    if (this.received > this.options.maxBytes) {
      this.fail(new NetFailure('too-large', `${this.options.what}: the server sent more than ${this.options.maxBytes} bytes`));
      return;
    }
    this.buffer += chunk;
    this.deliver();
  };

  private readonly onError = (error: Error) => {
    const code = (error as NodeJS.ErrnoException).code;
    this.fail(new NetFailure('closed', `${this.options.what}: the connection failed (${code ?? error.message})`));
  };

  private readonly onClose = () => this.fail(new NetFailure('closed', `${this.options.what}: the server closed the connection`));

  private fail(failure: NetFailure): void {
    this.failure ??= failure;
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(this.failure);
    }
    this.socket.destroy();
  }

  private deliver(): void {
    if (!this.waiting) return;
    const end = this.buffer.indexOf('\n');
    if (end < 0) return;
    const line = this.buffer.slice(0, end).replace(/\r$/, '');
    this.buffer = this.buffer.slice(end + 1);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(line);
  }

  /** The next line the server sends, without its line break. */
  line(): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.waiting) throw new Error('one read at a time');
      this.waiting = { resolve, reject };
      this.deliver();
      if (this.waiting && this.failure) {
        this.waiting = undefined;
        reject(this.failure);
      }
    });
  }

  send(line: string): void {
    if (/[\r\n]/.test(line)) throw new Error('a command is one line');
    this.sent.push(line);
    this.socket.write(`${line}\r\n`);
  }

  /** Sends a line holding a secret; what is kept for inspection says only that one was sent. */
  sendSecret(line: string, shown: string): void {
    if (/[\r\n]/.test(line)) throw new Error('a command is one line');
    this.sent.push(shown);
    this.socket.write(`${line}\r\n`);
  }

  /** TLS on the current connection: from the start (implicit TLS) or after STARTTLS was accepted. */
  async startTls(options: TlsOptions): Promise<TLSSocket> {
    // Anything the server sent before the handshake would be read as if it came over TLS
    // (the STARTTLS command-injection flaw): refuse instead.
    if (this.buffer !== '') throw new NetFailure('protocol', `${this.options.what}: the server sent data before the TLS handshake`);
    const plain = this.socket;
    this.unlisten(plain);
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      // The certificate is judged afterwards (certificate.ts), so that the report can say why it is not valid.
      const socket = tlsConnect({ socket: plain, servername: options.servername, secureContext: options.secureContext, rejectUnauthorized: false });
      const onAbort = () => socket.destroy(new NetFailure('timeout', `${this.options.what}: the TLS handshake did not finish in time`));
      this.options.signal.addEventListener('abort', onAbort, { once: true });
      socket.once('secureConnect', () => {
        this.options.signal.removeEventListener('abort', onAbort);
        resolve(socket);
      });
      socket.once('error', (error) => {
        this.options.signal.removeEventListener('abort', onAbort);
        const code = (error as NodeJS.ErrnoException).code;
        reject(
          error instanceof NetFailure ? error : new NetFailure('tls', `${this.options.what}: the TLS handshake failed (${code ?? (error as Error).message})`),
        );
      });
    });
    this.socket = secure;
    this.listen(secure);
    return secure;
  }

  /** The last line: written, then the connection is closed (at the latest a second later). */
  finish(line: string): void {
    if (this.failure || this.finished) return;
    this.finished = true;
    this.sent.push(line);
    const socket = this.socket;
    socket.end(`${line}\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  close(): void {
    if (!this.finished) this.socket.destroy();
  }
}
