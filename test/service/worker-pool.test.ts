// The shared worker-thread pool against a tiny real worker (test/fixtures/worker-pool/worker.mjs,
// importing the built dist/ helper): dispatch, error transport, start-up failure and dying workers.
import { expect } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MailsetupError } from '../../src/errors.js';
import { asBuffer, startWorkerPool, workerScript, type WorkerPool, type WorkerPoolOptions } from '../../src/service/worker-pool.js';
import { makeTempDir } from '../support/tmp.js';
import { until } from '../support/until.js';

type Job = { n: number; kind?: 'fail' | 'exit' | 'exit-once' | 'slow'; ms?: number; marker?: string };
type Result = { n: number; thread: number; body: Uint8Array; tag: string };

const entry = new URL('../fixtures/worker-pool/worker.mjs', import.meta.url);
const open: WorkerPool<Job, Result>[] = [];

async function start(
  size: number,
  options: { restartOnExit?: boolean; logs?: string[]; data?: object } & Pick<WorkerPoolOptions, 'onRestartFailed' | 'restartBackoff'> = {},
) {
  const { logs, data, ...rest } = options;
  const pool = await startWorkerPool<Job, Result>(entry, { name: 'fixture', ...data }, { size, ...rest, onLog: (message) => logs?.push(message) });
  open.push(pool);
  return pool;
}

const tmp = makeTempDir('mailsetup-pool-');
afterEach(async () => {
  await Promise.all(open.splice(0).map((pool) => pool.close()));
});
afterAll(() => tmp.remove());

describe('startWorkerPool', () => {
  it('spreads jobs over the workers and answers each job with its own result', async () => {
    const logs: string[] = [];
    const pool = await start(2, { logs });
    expect(logs).toEqual(['ready fixture', 'ready fixture']);
    const results = await Promise.all(Array.from({ length: 8 }, (_, n) => pool.run({ n, ms: 30 })));
    expect(results.map((r) => r.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(results.map((r) => r.thread)).size).toBe(2);
    // Bytes come back as a Uint8Array; asBuffer is a view over the same memory.
    const body = results[5]!.body;
    const view = asBuffer(body);
    expect(Buffer.isBuffer(view) && view.buffer === body.buffer && view[0] === 5).toBe(true);
  });

  it('delivers a job error as a MailsetupError with code, field and rule, and keeps working', async () => {
    const pool = await start(1);
    const error = await pool.run({ n: 7, kind: 'fail' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailsetupError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'email', rule: 'email-format', message: 'email: job 7 is refused' });
    expect((error as MailsetupError).details).toEqual([{ field: 'email', rule: 'email-format', message: 'job 7 is refused' }]);
    await expect(pool.run({ n: 8 })).resolves.toMatchObject({ n: 8 });
  });

  it('rejects start-up when a worker cannot load what it needs', async () => {
    const failed = startWorkerPool(entry, { failInit: true }, { size: 2 });
    await expect(failed).rejects.toBeInstanceOf(MailsetupError);
    await expect(failed).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'fixture.setting', rule: 'fixture-rule' });
  });

  it('with restartOnExit, fails only the dead worker’s job and replaces the worker', async () => {
    const pool = await start(1, { restartOnExit: true });
    const first = await pool.run({ n: 1 });
    await expect(pool.run({ n: 2, kind: 'exit' })).rejects.toMatchObject({ code: 'INTERNAL', message: 'a worker thread stopped (exit code 3)' });
    const later = await Promise.all([pool.run({ n: 3 }), pool.run({ n: 4 })]);
    expect(later.map((r) => r.n)).toEqual([3, 4]);
    expect(later[0].thread).not.toBe(first.thread);
  });

  it('retries a job once on another worker when its worker stops under it', async () => {
    const logs: string[] = [];
    const pool = await start(2, { restartOnExit: true, logs });
    const marker = join(tmp.path, 'exit-once');
    writeFileSync(marker, '');
    const result = await pool.run({ n: 9, kind: 'exit-once', marker });
    expect(result.n).toBe(9);
    // A job that stops every worker it meets fails after its second try, and both are replaced.
    await expect(pool.run({ n: 10, kind: 'exit' })).rejects.toMatchObject({ code: 'INTERNAL', message: 'a worker thread stopped (exit code 3)' });
    await until(() => pool.health().running === 2, 'both workers are replaced');
    expect(logs.filter((line) => line === 'ready fixture')).toHaveLength(2 + 3);
    await expect(pool.run({ n: 11 })).resolves.toMatchObject({ n: 11 });
  });

  it('retries a replacement that cannot start, with growing pauses, says why meanwhile, and heals', async () => {
    const keyFile = join(tmp.path, 'key.pem');
    writeFileSync(keyFile, 'key');
    const failures: number[] = [];
    const pool = await start(1, {
      restartOnExit: true,
      data: { requireFile: keyFile },
      restartBackoff: { initialMs: 40, maxMs: 160 },
      onRestartFailed: () => void failures.push(Date.now()),
    });
    expect(pool.health()).toEqual({ size: 1, running: 1 });

    // The key file goes missing, then the only worker stops: its job cannot be retried anywhere.
    rmSync(keyFile);
    const lost = await pool.run({ n: 1, kind: 'exit' }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(MailsetupError);
    expect(lost).toMatchObject({ code: 'UNAVAILABLE' });
    expect((lost as Error).message).toContain(`${keyFile} does not exist`);
    await until(() => failures.length >= 4, 'four attempts failed');
    const health = pool.health();
    expect(health).toMatchObject({ size: 1, running: 0, cause: { code: 'INVALID_INPUT', field: 'fixture.file', rule: 'file-readable' } });
    expect(health.cause?.message).toContain(`${keyFile} does not exist`);
    // Jobs meanwhile fail at once, naming the cause, instead of waiting or answering a bare 500.
    await expect(pool.run({ n: 2 })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('does not exist') });
    // Pauses double (40, 80, 160 ms), then stay at the ceiling: never a hot loop.
    const gaps = failures.slice(1).map((at, i) => at - failures[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);

    writeFileSync(keyFile, 'key');
    await until(() => pool.health().running === 1, 'the worker starts again');
    expect(pool.health()).toEqual({ size: 1, running: 1 });
    await expect(pool.run({ n: 3 })).resolves.toMatchObject({ n: 3 });
  });

  it('counts a pool short of some workers as running, and names why the others are missing', async () => {
    const keyFile = join(tmp.path, 'key-two.pem');
    writeFileSync(keyFile, 'key');
    const pool = await start(2, { restartOnExit: true, data: { requireFile: keyFile }, restartBackoff: { initialMs: 20, maxMs: 40 } });
    rmSync(keyFile);
    const marker = join(tmp.path, 'exit-once-two');
    writeFileSync(marker, '');
    // One worker stops; its job is done by the other.
    await expect(pool.run({ n: 1, kind: 'exit-once', marker })).resolves.toMatchObject({ n: 1 });
    await until(() => pool.health().cause !== undefined, 'the replacement failed');
    expect(pool.health()).toMatchObject({ size: 2, running: 1, cause: { rule: 'file-readable' } });
    await expect(pool.run({ n: 2 })).resolves.toMatchObject({ n: 2 });
    writeFileSync(keyFile, 'key');
    await until(() => pool.health().running === 2, 'the pool is whole again');
    expect(pool.health().cause).toBeUndefined();
  });

  it('broadcasts to every worker after the jobs already sent: a running job finishes as it began, later ones see the message', async () => {
    const logs: string[] = [];
    const pool = await start(2, { logs });
    const running = [pool.run({ n: 1, ms: 200 }), pool.run({ n: 2, ms: 200 })];
    pool.broadcast('renewed');
    const later = await Promise.all([pool.run({ n: 3 }), pool.run({ n: 4 }), pool.run({ n: 5 }), pool.run({ n: 6 })]);
    expect((await Promise.all(running)).map((r) => r.tag)).toEqual(['initial', 'initial']);
    expect(later.map((r) => r.tag)).toEqual(['renewed', 'renewed', 'renewed', 'renewed']);
    expect(new Set(later.map((r) => r.thread)).size).toBe(2);
    // A message the worker cannot take is reported, and the worker keeps working.
    pool.broadcast('throw');
    await expect(pool.run({ n: 7 })).resolves.toMatchObject({ tag: 'renewed' });
    expect(logs).toContain('control: control refused');
  });

  it('tries again a job whose answer was held for a group when its worker stopped', async () => {
    const pool = await start(1, { restartOnExit: true });
    const marker = join(tmp.path, 'exit-after-held');
    writeFileSync(marker, '');
    const busy = pool.run({ n: 1, ms: 100 });
    // Both wait; the worker answers 2, holds the answer, and stops on 3 before posting it.
    const held = pool.run({ n: 2 });
    const stopping = pool.run({ n: 3, kind: 'exit-once', marker });
    const first = await busy;
    const [answered, retried] = await Promise.all([held, stopping]);
    expect([answered.n, retried.n]).toEqual([2, 3]);
    // Answered by the replacement: the stopped worker's held answer never arrived.
    expect(answered.thread).not.toBe(first.thread);
  });

  it('without restartOnExit, a dying worker fails every pending and later job', async () => {
    const pool = await start(2);
    const slow = pool.run({ n: 1, ms: 500 });
    const dying = pool.run({ n: 2, kind: 'exit' });
    await expect(dying).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(slow).rejects.toMatchObject({ code: 'INTERNAL', message: 'a worker thread stopped (exit code 3)' });
    await expect(pool.run({ n: 3 })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

/** Runs `use` with the fixture worker spoken to in the pool's own protocol, every message it posts recorded. */
async function withRawWorker(use: (raw: { worker: Worker; posted: unknown[] }) => Promise<void>): Promise<void> {
  const worker = new Worker(entry, { workerData: { name: 'raw' } });
  const posted: unknown[] = [];
  const ready = new Promise<void>((resolve) =>
    worker.on('message', (message: Record<string, unknown>) => {
      if ('ready' in message) resolve();
      else if (!('log' in message)) posted.push(message);
    }),
  );
  try {
    await ready;
    await use({ worker, posted });
  } finally {
    await worker.terminate();
  }
}

/** The job ids of each message a worker posted: a lone answer is [id], answers posted together [id, id, …]. */
function postedIds(posted: unknown[]): number[][] {
  return posted.map((message) => {
    const replies = (message as { replies?: { id: number }[] }).replies;
    return replies ? replies.map((reply) => reply.id) : [(message as { id: number }).id];
  });
}

describe('serveWorkerJobs', () => {
  it('answers a job that finds the worker idle at once, alone', () =>
    withRawWorker(async (raw) => {
      raw.worker.postMessage({ id: 1, job: { n: 1 } });
      await until(() => raw.posted.length === 1, 'the answer');
      raw.worker.postMessage({ id: 2, job: { n: 2 } });
      await until(() => raw.posted.length === 2, 'the second answer');
      expect(raw.posted).toEqual([
        { id: 1, result: expect.objectContaining({ n: 1 }) },
        { id: 2, result: expect.objectContaining({ n: 2 }) },
      ]);
    }));

  it('posts the answers to jobs that waited for it together, in order, at most eight at a time, errors and messages in their place', () =>
    withRawWorker(async (raw) => {
      // The worker is busy for 100 ms; 20 short jobs wait meanwhile, a message among them.
      raw.worker.postMessage({ id: 1, job: { n: 1, ms: 100 } });
      for (let id = 2; id <= 21; id++) {
        if (id === 12) raw.worker.postMessage({ control: 'renewed' });
        raw.worker.postMessage({ id, job: id === 5 ? { n: id, kind: 'fail' } : { n: id } });
      }
      await until(() => postedIds(raw.posted).flat().length === 21, 'every answer');
      const batches = postedIds(raw.posted);
      // The long job was answered alone (another one as long would not fit the hold), the rest in groups.
      expect(batches[0]).toEqual([1]);
      expect(batches.flat()).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
      expect(Math.max(...batches.map((batch) => batch.length))).toBe(8);
      const replies = raw.posted.flatMap((message) => (message as { replies?: unknown[] }).replies ?? [message]) as {
        id: number;
        result?: { tag: string };
        error?: { rule?: string };
      }[];
      expect(replies.find((reply) => reply.id === 5)).toMatchObject({ error: { rule: 'email-format' } });
      expect(replies.filter((reply) => reply.result?.tag === 'renewed').map((reply) => reply.id)).toEqual(Array.from({ length: 10 }, (_, i) => i + 12));
    }));

  it('takes more jobs for a held answer only within its hold (50 ms here): after a job of 100 ms it posts what it has', () =>
    withRawWorker(async (raw) => {
      raw.worker.postMessage({ id: 1, job: { n: 1, ms: 100 } });
      raw.worker.postMessage({ id: 2, job: { n: 2 } });
      for (let id = 3; id <= 5; id++) raw.worker.postMessage({ id, job: { n: id, ms: 100 } });
      await until(() => postedIds(raw.posted).flat().length === 5, 'every answer');
      // A short job's answer may wait for one more job, but never for a second long one.
      expect(postedIds(raw.posted)).toEqual([[1], [2, 3], [4], [5]]);
    }));

  it('posts what it holds before a job the worker says no answer waits for', () =>
    withRawWorker(async (raw) => {
      raw.worker.postMessage({ id: 1, job: { n: 1, ms: 100 } });
      raw.worker.postMessage({ id: 2, job: { n: 2 } });
      raw.worker.postMessage({ id: 3, job: { n: 3, kind: 'slow', ms: 100 } });
      raw.worker.postMessage({ id: 4, job: { n: 4 } });
      await until(() => postedIds(raw.posted).flat().length === 4, 'every answer');
      // 2 is posted before the slow job starts (and 4, after 100 ms of it, alone).
      expect(postedIds(raw.posted)).toEqual([[1], [2], [3], [4]]);
    }));
});

describe('workerScript', () => {
  it('finds the built worker entries in dist/ when loaded from the sources', () => {
    expect(workerScript('bulk/worker.js').pathname).toMatch(/\/dist\/bulk\/worker\.js$/);
    expect(workerScript('http/generation-worker.js').pathname).toMatch(/\/dist\/http\/generation-worker\.js$/);
    expect(() => workerScript('nowhere/missing.js')).toThrow(MailsetupError);
  });
});
