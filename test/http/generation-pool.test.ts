// The web app's pool of generation workers: under load a worker posts the answers to waiting file
// jobs together (fewer wake-ups of the event loop), but a file's answer never waits for a batch
// of rows (the admin page's), which may take seconds.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startGenerationPool, type GenerationPool } from '../../src/http/generation.js';
import { parseGenerateRequest } from '../../src/service/generate.js';
import { signerFromConfig } from '../../src/signing/index.js';
import { makeTempDir } from '../support/tmp.js';

let tmp: ReturnType<typeof makeTempDir>;
let pool: GenerationPool;

beforeAll(async () => {
  tmp = makeTempDir('mailsetup-generation-pool-');
  const env = { MAILSETUP_CERTS_DIR: join(tmp.path, 'certs') };
  // The development identity, made once here as the server does before it starts its workers.
  await signerFromConfig(loadConfig(env), { cwd: tmp.path });
  pool = await startGenerationPool(env, { size: 1, cwd: tmp.path });
});
afterAll(async () => {
  await pool?.close();
  tmp?.remove();
});

const request = (email: string) => parseGenerateRequest({ email, format: 'mobileconfig' });

describe('the generation pool', () => {
  it('answers a file waiting in front of a batch of rows before the batch is done', async () => {
    // Warm: the first jobs of a worker are slower than a signature.
    for (let i = 0; i < 30; i++) await pool.generate(request('warm@nstu.ru'));
    const settled = new Map<string, number>();
    const rowsOf = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ line: i + 2, request: request(`row${i}@nstu.ru`), formats: ['mobileconfig'], unsigned: false }));
    // The worker is busy with a first batch while the two files and the second batch queue up.
    const busy = pool.rows.run(rowsOf(30));
    const first = pool.generate(request('first@nstu.ru')).then(() => settled.set('first', performance.now()));
    const waiting = pool.generate(request('waiting@nstu.ru')).then(() => settled.set('waiting', performance.now()));
    const batch = pool.rows.run(rowsOf(150)).then((outputs) => {
      settled.set('rows', performance.now());
      return outputs;
    });
    const [outputs] = await Promise.all([batch, first, waiting, busy]);
    expect(outputs).toHaveLength(150);
    expect(outputs.every((output) => output.files[0]?.signed === true)).toBe(true);
    expect([...settled.keys()]).toEqual(['first', 'waiting', 'rows']);
    // Answered before the worker began the rows (150 signatures), not posted with them at the end.
    expect(settled.get('rows')! - settled.get('waiting')!).toBeGreaterThan(20);
  });

  it('gives each of many waiting files its own signed profile', async () => {
    const emails = Array.from({ length: 40 }, (_, i) => `person${i}@nstu.ru`);
    const files = await Promise.all(emails.map((email) => pool.generate(request(email))));
    files.forEach((file, i) => {
      expect(file.signed).toBe(true);
      expect(file.body.includes(Buffer.from(emails[i]!))).toBe(true);
    });
  });
});
