// Graceful shutdown of the real server process (node dist/server.js) over raw kept-alive
// connections: after SIGTERM a request in flight finishes and its response says Connection: close,
// idle kept-alive connections are closed by the server, and the process exits 0. And in memory: a
// request that arrives on a kept-alive connection while draining is answered, with Connection: close.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainOnClose } from '../../src/server.js';
import { makeTempDir } from '../support/tmp.js';
import { testApp } from './helpers.js';

const SERVER = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  tmp = makeTempDir('mailsetup-shutdown-');
});
afterAll(() => tmp.remove());

interface Running {
  child: ChildProcess;
  port: number;
  logs: { msg: string }[];
  /** Resolves once a log line with this message has been written. */
  logged(msg: string): Promise<void>;
  exited: Promise<number | null>;
}

async function startProcess(workers: string): Promise<Running> {
  const child = spawn(process.execPath, [SERVER], {
    cwd: tmp.path,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
      MAILSETUP_ORG_NAME: 'Shutdown Test',
      MAILSETUP_WEB_WORKERS: workers,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: { msg: string; url?: string }[] = [];
  const waiters: { msg: string; resolve(): void }[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = JSON.parse(pending.slice(0, end)) as { msg: string; url?: string };
      pending = pending.slice(end + 1);
      logs.push(line);
      for (const waiter of waiters.filter((w) => w.msg === line.msg)) waiter.resolve();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logged = (msg: string) => (logs.some((l) => l.msg === msg) ? Promise.resolve() : new Promise<void>((resolve) => void waiters.push({ msg, resolve })));
  await Promise.race([logged('listening'), exited.then((code) => Promise.reject(new Error(`the server exited with ${code}`)))]);
  const port = Number(new URL(logs.find((l) => l.msg === 'listening')!.url!).port);
  return { child, port, logs, logged, exited };
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A raw TCP connection that reads HTTP/1.1 responses one after the other (Content-Length bodies). */
function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let buffered = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let ended = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  socket.on('end', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', () => {});
  const more = () => new Promise<void>((resolve) => (wake = resolve));
  return {
    closed,
    write: (text: string) => void socket.write(text),
    async response(): Promise<HttpAnswer> {
      let end: number;
      while ((end = buffered.indexOf('\r\n\r\n')) < 0) {
        if (ended) throw new Error('the connection closed before a response');
        await more();
      }
      const [statusLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      while (buffered.length < end + 4 + length) {
        if (ended) throw new Error('the connection closed inside a response');
        await more();
      }
      const body = buffered.subarray(end + 4, end + 4 + length);
      buffered = buffered.subarray(end + 4 + length);
      return { status: Number(statusLine!.split(' ')[1]), headers, body };
    },
    destroy: () => socket.destroy(),
  };
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

describe('SIGTERM on the server process', () => {
  it.each(['0', '1'])('finishes the request in flight with Connection: close, closes idle kept-alive connections, exits 0 (workers: %s)', async (workers) => {
    const running = await startProcess(workers);
    const idle = rawConnection(running.port);
    const busy = rawConnection(running.port);
    try {
      // An idle kept-alive connection: one answered request, then silence.
      idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const first = await idle.response();
      expect(first.status).toBe(200);
      expect(first.headers.connection).toBe('keep-alive');

      // A request in flight: headers and half the body sent when the signal comes.
      const body = JSON.stringify({ email: 'ivan@nstu.ru', unsigned: true });
      busy.write(`POST /api/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      busy.write(body.slice(0, 10));
      await new Promise((resolve) => setTimeout(resolve, 100));
      running.child.kill('SIGTERM');
      await within(running.logged('stopping'), 5000, 'the server logs stopping');

      await within(idle.closed, 2000, 'the idle connection is closed by the server');

      busy.write(body.slice(10));
      const answer = await within(busy.response(), 5000, 'the request in flight is answered');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/x-apple-aspen-config');
      expect(answer.body.toString('utf8')).toContain('mail2.nstu.ru');
      // The client learns not to send more on this connection: none of its requests is dropped.
      expect(answer.headers.connection).toBe('close');
      await within(busy.closed, 2000, 'the server closes the connection after the response');

      expect(await within(running.exited, 5000, 'the process exits')).toBe(0);
      expect(running.logs.map((l) => l.msg)).toContain('stopped');
    } finally {
      idle.destroy();
      busy.destroy();
      running.child.kill('SIGKILL');
    }
  });
});

describe('drainOnClose', () => {
  it('answers a request that arrives on a kept-alive connection while draining, and closes that connection', async () => {
    const server = createServer(testApp().app);
    const drain = drainOnClose(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const connection = rawConnection((server.address() as AddressInfo).port);
    try {
      connection.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect((await connection.response()).headers.connection).toBe('keep-alive');
      drain();
      // A route answered at once: the header must be set before the app writes its response.
      connection.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const answer = await connection.response();
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close');
      await within(connection.closed, 2000, 'the server closes the connection after the response');
    } finally {
      connection.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
