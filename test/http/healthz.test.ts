// /healthz tells a load balancer the truth about the signing workers: 200 while they run, 503
// naming the cause while none can start (here a real worker thread whose key file went missing),
// and 200 again once the pool has healed by itself.
import { afterAll, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/http/app.js';
import { healthAnswer } from '../../src/http/health.js';
import { MailsetupError } from '../../src/errors.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { startWorkerPool } from '../../src/service/worker-pool.js';
import { makeTempDir } from '../support/tmp.js';
import { testConfig } from './helpers.js';
import { until } from '../support/until.js';

const tmp = makeTempDir('mailsetup-healthz-');
afterAll(() => tmp.remove());

describe('GET /healthz', () => {
  it('answers 503 naming the cause while no worker can start, and 200 once the pool heals', async () => {
    const keyFile = join(tmp.path, 'key.pem');
    writeFileSync(keyFile, 'key');
    const entry = new URL('../fixtures/worker-pool/worker.mjs', import.meta.url);
    const pool = await startWorkerPool<{ n: number; kind?: string }, unknown>(
      entry,
      { name: 'healthz', requireFile: keyFile },
      { size: 1, restartOnExit: true, restartBackoff: { initialMs: 20, maxMs: 50 } },
    );
    try {
      const config = testConfig();
      const app = createApp({ config, catalog: ProviderCatalog.load({ defaultProvider: config.defaultProvider }), health: () => pool.health() });
      const healthy = await request(app).get('/healthz').expect(200);
      expect(healthy.body).toEqual({ status: 'ok', workers: { running: 1, size: 1 } });
      expect(healthy.headers['cache-control']).toBe('no-store');

      rmSync(keyFile);
      await pool.run({ n: 1, kind: 'exit' }).catch(() => undefined);
      await until(() => pool.health().cause !== undefined, 'the replacement failed to start');
      const down = await request(app).get('/healthz').expect(503);
      expect(down.body).toEqual({
        status: 'unavailable',
        workers: { running: 0, size: 1 },
        cause: { code: 'INVALID_INPUT', field: 'fixture.file', rule: 'file-readable', message: `fixture.file: ${keyFile} does not exist` },
      });

      writeFileSync(keyFile, 'key');
      await until(() => pool.health().running === 1, 'the worker starts again');
      expect((await request(app).get('/healthz').expect(200)).body).toEqual({ status: 'ok', workers: { running: 1, size: 1 } });
    } finally {
      await pool.close();
    }
  });

  it('says ok without a pool, and degraded (still 200) while some workers are missing', () => {
    expect(healthAnswer(undefined)).toEqual({ status: 200, body: { status: 'ok' } });
    const cause = new MailsetupError('SIGNING_FAILED', 'the key file /k.pem does not exist', { field: 'MAILSETUP_SIGNING_KEY', rule: 'file-readable' });
    expect(healthAnswer({ size: 2, running: 1, cause })).toEqual({
      status: 200,
      body: {
        status: 'degraded',
        workers: { running: 1, size: 2 },
        cause: {
          code: 'SIGNING_FAILED',
          field: 'MAILSETUP_SIGNING_KEY',
          rule: 'file-readable',
          message: 'MAILSETUP_SIGNING_KEY: the key file /k.pem does not exist',
        },
      },
    });
    expect(healthAnswer({ size: 2, running: 0 }).status).toBe(503);
  });
});
