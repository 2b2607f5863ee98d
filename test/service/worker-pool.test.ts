// The shared worker-thread pool against a tiny real worker (test/fixtures/worker-pool/worker.mjs,
// importing the built dist/ helper): dispatch, error transport, start-up failure and dying workers.
import { MailsetupError } from '../../src/errors.js';
import { asBuffer, startWorkerPool, workerScript, type WorkerPool } from '../../src/service/worker-pool.js';

type Job = { n: number; kind?: 'fail' | 'exit'; ms?: number };
type Result = { n: number; thread: number; body: Uint8Array; tag: string };

const entry = new URL('../fixtures/worker-pool/worker.mjs', import.meta.url);
const open: WorkerPool<Job, Result>[] = [];

async function start(size: number, options: { restartOnExit?: boolean; logs?: string[] } = {}) {
  const pool = await startWorkerPool<Job, Result>(
    entry,
    { name: 'fixture' },
    { size, restartOnExit: options.restartOnExit, onLog: (message) => options.logs?.push(message) },
  );
  open.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((pool) => pool.close()));
});

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
    expect(later[0]!.thread).not.toBe(first.thread);
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

  it('without restartOnExit, a dying worker fails every pending and later job', async () => {
    const pool = await start(2);
    const slow = pool.run({ n: 1, ms: 500 });
    const dying = pool.run({ n: 2, kind: 'exit' });
    await expect(dying).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(slow).rejects.toMatchObject({ code: 'INTERNAL', message: 'a worker thread stopped (exit code 3)' });
    await expect(pool.run({ n: 3 })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('workerScript', () => {
  it('finds the built worker entries in dist/ when loaded from the sources', () => {
    expect(workerScript('bulk/worker.js').pathname).toMatch(/\/dist\/bulk\/worker\.js$/);
    expect(workerScript('http/generation-worker.js').pathname).toMatch(/\/dist\/http\/generation-worker\.js$/);
    expect(() => workerScript('nowhere/missing.js')).toThrow(MailsetupError);
  });
});
