// HTTP throughput of signed profile downloads: the web app on 127.0.0.1 (an ephemeral port) loaded
// by wrk (a separate process) through the form's POST /download, the QR link's GET and the URL
// Apple devices fetch (GET /email.mobileconfig), with the event-loop delay measured in the
// server process meanwhile. Run with files built and signed on the event loop itself, and on the
// worker-thread pool `npm start` uses. The yardstick is what the machine signs at all in the same
// run: `openssl speed -multi <cores> rsa2048` (the development identity signs with RSA-2048);
// target: signed downloads at 0.6 of it or more.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { loadConfig, type Config } from '../dist/config.js';
import { createApp } from '../dist/http/app.js';
import { startGenerationPool, type GenerationPool } from '../dist/http/generation.js';
import { ProviderCatalog } from '../dist/providers/catalog.js';
import { generate, parseGenerateRequest } from '../dist/service/generate.js';
import { signerFromConfig, type Signer } from '../dist/signing/index.js';
import { microsPerOp, round, type BenchSection, type Figures } from './section.js';

const run = promisify(execFile);

interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failures: number;
}

/** wrk prints latencies as 812.00us, 1.20ms or 1.02s. */
function milliseconds(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 'ms' ? value : match[2] === 's' ? value * 1000 : value * 60_000;
}

export function parseWrk(output: string): WrkResult {
  const percentile = (p: string) => milliseconds(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(output)?.[1] ?? '');
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: Number(/(\d+) requests in/.exec(output)?.[1] ?? Number.NaN),
    failures: non2xx + (errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  };
}

interface Shape {
  seconds: number;
  connections: number;
  threads: number;
}

async function wrk(url: string, script: string | undefined, shape: Shape): Promise<WrkResult> {
  const args = ['-t', String(shape.threads), '-c', String(shape.connections), '-d', `${shape.seconds}s`, '--latency', ...(script ? ['-s', script] : []), url];
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  return parseWrk(stdout);
}

const FORM = 'email=ivan.petrov%40nstu.ru&device=ios&name=%D0%98%D0%B2%D0%B0%D0%BD&language=ru&variant=default&type=imap';

/** RSA-2048 signatures per second on all cores, as `openssl speed -multi <cores> rsa2048` reports them. */
async function opensslSignsPerSecond(cores: number, seconds: number): Promise<number> {
  const { stdout } = await run('openssl', ['speed', '-seconds', String(seconds), '-multi', String(cores), 'rsa2048'], { maxBuffer: 1 << 20 });
  // rsa 2048 bits 0.000271s 0.000031s   3693.5  32221.0
  const match = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+[\d.]+\s*$/m.exec(stdout);
  if (!match) throw new Error(`openssl speed printed no rsa 2048 line:\n${stdout}`);
  return Number(match[1]);
}

// One thread signing in a loop with node:crypto, started by nodeSignsPerSecond: a key of its own,
// a few warm-up signatures, then signatures until the time is up, counted.
const SIGNING_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { generateKeyPairSync, sign } = require('node:crypto');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const data = Buffer.alloc(100, 1);
for (let i = 0; i < 50; i++) sign('sha256', data, privateKey);
parentPort.once('message', () => {
  const end = performance.now() + workerData.ms;
  let n = 0;
  while (performance.now() < end) { sign('sha256', data, privateKey); n++; }
  parentPort.postMessage(n);
});
parentPort.postMessage('ready');
`;

/**
 * RSA-2048 signatures per second through node:crypto on `threads` threads at once: what Node
 * itself signs on this machine, so the most signed files any server in Node can make here.
 */
async function nodeSignsPerSecond(threads: number, seconds: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(SIGNING_THREAD, { eval: true, workerData: { ms: seconds * 1000 } }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))));
    const counts = await Promise.all(
      workers.map((w) => {
        const counted = new Promise<number>((resolve, reject) => w.once('message', resolve).once('error', reject));
        w.postMessage('go');
        return counted;
      }),
    );
    return counts.reduce((sum, n) => sum + n, 0) / seconds;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * A server that does nothing but the file: the query read, the profile asked of the same pool, the
 * bytes sent (no express, no security headers, no log, no limits). Not a product route: it shows
 * what HTTP in Node costs on these cores by itself, apart from the web app's middleware.
 */
function bareFileServer(pool: GenerationPool) {
  return createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    const input = { email: query.get('email') ?? '', format: 'mobileconfig', name: query.get('name') ?? undefined, language: query.get('lang') ?? undefined };
    Promise.resolve()
      .then(() => pool.generate(parseGenerateRequest(input)))
      .then(
        (file) => {
          res.writeHead(200, {
            'Content-Type': file.contentType,
            'Content-Length': file.body.length,
            'Cache-Control': 'no-store',
            'X-Mailsetup-Signed': String(file.signed),
          });
          res.end(file.body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
  });
}

/** Profiles per second from the worker pool asked directly, 32 at a time: no HTTP at all. */
async function poolAlone(pool: GenerationPool, seconds: number): Promise<number> {
  const request = parseGenerateRequest({ email: 'ivan.petrov@nstu.ru', name: 'Иван', language: 'ru', format: 'mobileconfig' });
  for (let i = 0; i < 200; i++) await pool.generate(request);
  const started = performance.now();
  const end = started + seconds * 1000;
  let made = 0;
  const one = async () => {
    while (performance.now() < end) {
      await pool.generate(request);
      made++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, one));
  return made / ((performance.now() - started) / 1000);
}

async function wrkBare(pool: GenerationPool, path: string, shape: Shape): Promise<WrkResult> {
  const server = bareFileServer(pool);
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
    const check = await fetch(url);
    if (check.status !== 200 || check.headers.get('x-mailsetup-signed') !== 'true') throw new Error(`the bare file server answered ${check.status}`);
    return await wrk(url, undefined, shape);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

interface Measured {
  post: WrkResult;
  /** GET /email.mobileconfig?email=…, as an iPhone asks. */
  apple: WrkResult;
  link: WrkResult;
  /** GET /healthz through the same middleware: the most this server answers at all. */
  ceiling: WrkResult;
  loopP99Ms: number;
  loopMaxMs: number;
  /** Profiles per second from the same pool with no HTTP (undefined inline). */
  poolAlone: number | undefined;
  /** GET /email.mobileconfig from bareFileServer on the same pool (undefined inline). */
  bare: WrkResult | undefined;
}

/** One server (inline or with a pool of `workers` threads), loaded by wrk. */
async function measure(
  env: Record<string, string>,
  config: Readonly<Config>,
  signer: Signer,
  workers: number,
  dir: string,
  shape: Shape,
  log: (line: string) => void,
): Promise<Measured> {
  const catalog = ProviderCatalog.load({});
  const pool = workers > 0 ? await startGenerationPool(env, { size: workers, cwd: dir }) : undefined;
  const app = createApp({ config, catalog, signer, ...(pool ? { generate: pool.generate } : {}) });
  const server = createServer(app);
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const script = join(dir, 'post.lua');
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = "${FORM}"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n`);
    const check = await fetch(`${base}/download`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: FORM });
    if (check.status !== 200 || check.headers.get('x-mailsetup-signed') !== 'true') throw new Error(`POST /download answered ${check.status}`);
    const appleUrl = `${base}/email.mobileconfig?email=ivan.petrov%40nstu.ru&name=%D0%98%D0%B2%D0%B0%D0%BD&lang=ru`;
    const appleCheck = await fetch(appleUrl);
    if (appleCheck.status !== 200 || appleCheck.headers.get('x-mailsetup-signed') !== 'true')
      throw new Error(`GET /email.mobileconfig answered ${appleCheck.status}`);
    const page = await fetch(`${base}/setup?email=ivan.petrov%40nstu.ru&device=ios`, { headers: { 'user-agent': 'Windows NT 10.0' } }).then((r) => r.text());
    const token = /\/l\/([\w-]+\.[\w-]+)/.exec(page)?.[1];
    if (!token) throw new Error('no QR link on the setup page');

    await wrk(`${base}/download`, script, { ...shape, seconds: Math.min(2, shape.seconds) });
    const delay = monitorEventLoopDelay({ resolution: 5 });
    log(`${workers ? `${workers} worker threads` : 'inline'}: wrk POST /download for ${shape.seconds}s, ${shape.connections} connections`);
    delay.enable();
    const post = await wrk(`${base}/download`, script, shape);
    delay.disable();
    const apple = await wrk(appleUrl, undefined, shape);
    const link = await wrk(`${base}/l/${token}/profile`, undefined, shape);
    const ceiling = await wrk(`${base}/healthz`, undefined, { ...shape, seconds: Math.min(3, shape.seconds) });
    const alone = pool ? await poolAlone(pool, Math.min(4, shape.seconds)) : undefined;
    const bare = pool ? await wrkBare(pool, appleUrl.slice(base.length), shape) : undefined;
    return { post, apple, link, ceiling, loopP99Ms: delay.percentile(99) / 1e6, loopMaxMs: delay.max / 1e6, poolAlone: alone, bare };
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await pool?.close();
  }
}

export const httpBench: BenchSection = {
  name: 'http',
  summary: 'signed .mobileconfig downloads over HTTP on 127.0.0.1 (wrk), inline and on worker threads; event-loop delay meanwhile',
  async run({ quick, log }) {
    const dir = mkdtempSync(join(tmpdir(), 'mailsetup-bench-http-'));
    try {
      const env = { MAILSETUP_CERTS_DIR: join(dir, 'certs'), MAILSETUP_RATE_LIMIT: '0', MAILSETUP_LINK_SECRET: 'b'.repeat(32) };
      const config = loadConfig(env);
      const signer = await signerFromConfig(config, { cwd: dir });
      const request = parseGenerateRequest({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров', language: 'ru' });
      const catalog = ProviderCatalog.load({});
      const generateMicros = microsPerOp(() => generate(request, { config, catalog, signer }), quick ? 200 : 1000);
      const signMicros = microsPerOp(() => signer.sign(Buffer.alloc(4000, 0x41)), quick ? 200 : 1000);

      const shape: Shape = { seconds: quick ? 3 : 8, connections: 32, threads: 1 };
      const cores = availableParallelism();
      const modes = [...new Set([0, Math.max(1, cores - 1), cores])];
      log(`openssl speed -multi ${cores} rsa2048`);
      const opensslBefore = await opensslSignsPerSecond(cores, quick ? 2 : 4);
      const measured = new Map<number, Measured>();
      for (const workers of modes) measured.set(workers, await measure(env, config, signer, workers, dir, shape, log));
      // Measured before and after the servers, so a change in the machine's load shows.
      const opensslAfter = await opensslSignsPerSecond(cores, quick ? 2 : 4);
      log(`node:crypto RSA-2048 signatures on ${cores} threads`);
      const nodeSigns = await nodeSignsPerSecond(cores, quick ? 2 : 4);
      const openssl = (opensslBefore + opensslAfter) / 2;
      const share = (rate: number) => round(rate / openssl);

      const figures: Figures = {
        [`openssl speed -multi ${cores} rsa2048`]: {
          value: round(openssl),
          unit: 'sign/s',
          note: `mean of ${round(opensslBefore)} before and ${round(opensslAfter)} after the servers; the ceiling for signed downloads`,
        },
        [`node:crypto sign on ${cores} threads`]: {
          value: round(nodeSigns),
          unit: 'sign/s',
          note: `${share(nodeSigns)} of openssl: the most signed files a server in Node makes here, before any other work`,
        },
        'generate + sign, one profile': {
          value: round(generateMicros),
          unit: 'µs',
          note: `of which signing ${round(signMicros)} µs; no HTTP; ${round(1e6 / generateMicros)}/s per core`,
        },
      };
      for (const workers of modes) {
        const m = measured.get(workers)!;
        const label = workers === 0 ? 'inline' : `${workers} worker${workers > 1 ? 's' : ''}`;
        for (const [route, result] of [
          ['GET /email.mobileconfig', m.apple],
          ['POST /download', m.post],
        ] as const) {
          figures[`${label}: ${route}`] = {
            value: round(result.requestsPerSecond),
            unit: '/s',
            note: `${share(result.requestsPerSecond)} of openssl (target ≥ 0.6); p99 ${round(result.p99Ms)} ms; ${result.requests} signed, ${result.failures} failed`,
          };
        }
        figures[`${label}: GET QR-link profile`] = {
          value: round(m.link.requestsPerSecond),
          unit: '/s',
          note: `${share(m.link.requestsPerSecond)} of openssl; p99 ${round(m.link.p99Ms)} ms, ${m.link.failures} failed`,
        };
        if (m.poolAlone !== undefined) {
          figures[`${label}: pool alone, no HTTP`] = {
            value: round(m.poolAlone),
            unit: '/s',
            note: `${share(m.poolAlone)} of openssl, ${round(m.poolAlone / nodeSigns)} of node:crypto: profiles from the pool asked directly`,
          };
        }
        if (m.bare !== undefined) {
          figures[`${label}: bare node:http file server`] = {
            value: round(m.bare.requestsPerSecond),
            unit: '/s',
            note: `${share(m.bare.requestsPerSecond)} of openssl; GET /email.mobileconfig with nothing but the file (no express, headers, log): HTTP's own cost here`,
          };
        }
        figures[`${label}: event-loop delay p99`] = { value: round(m.loopP99Ms), unit: 'ms', note: `max ${round(m.loopMaxMs)} ms, during the POST run` };
        figures[`${label}: GET /healthz ceiling`] = {
          value: round(m.ceiling.requestsPerSecond),
          unit: '/s',
          note: `downloads reach ${round(m.post.requestsPerSecond / m.ceiling.requestsPerSecond)} of it`,
        };
      }
      const best = (pick: (m: Measured) => WrkResult) => Math.max(...modes.filter((w) => w > 0).map((w) => pick(measured.get(w)!).requestsPerSecond));
      figures['best pool: GET /email.mobileconfig ÷ openssl'] = { value: share(best((m) => m.apple)), unit: 'x', note: 'target ≥ 0.6' };
      figures['best pool: POST /download ÷ openssl'] = { value: share(best((m) => m.post)), unit: 'x', note: 'target ≥ 0.6' };
      figures['best / inline'] = { value: round(best((m) => m.post) / measured.get(0)!.post.requestsPerSecond), unit: 'x', note: 'POST /download' };
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
