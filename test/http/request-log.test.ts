// What request log lines may say about a person: a QR link's token never appears (it is as good as
// the link itself), and with MAILSETUP_LOG_ADDRESSES=false no address appears in any form, not
// even one typed into a path.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { captureLogger, testApp } from './helpers.js';

const WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

async function visitLinks(logAddresses: 'true' | 'false') {
  const log = captureLogger();
  const { app } = testApp({ env: { MAILSETUP_LOG_ADDRESSES: logAddresses }, logger: log.logger });
  const qr = await request(app)
    .post('/qr')
    .set('User-Agent', WINDOWS)
    .type('form')
    .send({ email: 'ivan.petrov@nstu.ru', device: 'ios', name: 'Ivan Petrov', language: 'en' })
    .expect(200);
  const token = /\/l\/([\w-]+\.[\w-]+)/.exec(qr.text)![1]!;
  await request(app).get(`/l/${token}`).expect(200);
  await request(app).get(`/l/${token}/profile`).expect(200);
  await request(app).get(`/l/${token}x`).expect(404);
  // Routes match without regard to case: so does the redaction.
  await request(app).get(`/L/${token}`);
  return { log, token, paths: log.lines.filter((l) => l.message === 'request').map((l) => l.fields.path) };
}

describe('request log lines', () => {
  it.each(['true', 'false'] as const)('never carry a QR link token (MAILSETUP_LOG_ADDRESSES=%s)', async (setting) => {
    const { log, token, paths } = await visitLinks(setting);
    const text = log.text();
    expect(text).not.toContain(token);
    for (const part of token.split('.')) expect(text).not.toContain(part.slice(0, 12));
    expect(paths).toEqual(['/qr', '/l/[token]', '/l/[token]/profile', '/l/[token]', '/L/[token]']);
    // Still useful: the status of each link visit.
    expect(log.lines.filter((l) => l.message === 'request').map((l) => l.fields.status)).toEqual([200, 200, 200, 404, 200]);
  });

  it('with MAILSETUP_LOG_ADDRESSES=false, carry no address, even one put in the path', async () => {
    const log = captureLogger();
    const { app } = testApp({ env: { MAILSETUP_LOG_ADDRESSES: 'false' }, logger: log.logger });
    await request(app).get('/ivan.petrov@nstu.ru');
    await request(app).get('/settings/ivan.petrov%40nstu.ru');
    await request(app).get('/settings/nstu/ivan.petrov%2540nstu.ru');
    await request(app).get('/dns/ivan.petrov@nstu.ru');
    await request(app).get('/api/lookup/ivan.petrov＠nstu.ru');
    const paths = log.lines.filter((l) => l.message === 'request').map((l) => l.fields.path as string);
    expect(paths).toHaveLength(5);
    expect(log.text().toLowerCase()).not.toContain('ivan.petrov');
    // The shape of the path stays, so operators still see what was asked for.
    expect(paths[0]).toMatch(/^\/\[address [0-9a-f]{16}\]$/);
    expect(paths[1]).toMatch(/^\/settings\/\[address [0-9a-f]{16}\]$/);
    expect(paths[0]!.slice(1)).toBe(paths[1]!.slice('/settings/'.length));
  });

  it('with MAILSETUP_LOG_ADDRESSES=true, keep other paths as they were', async () => {
    const log = captureLogger();
    const { app } = testApp({ env: { MAILSETUP_LOG_ADDRESSES: 'true' }, logger: log.logger });
    await request(app).get('/settings/rackcorp/mn?email=ivan@nstu.ru').expect(200);
    await request(app).get('/ivan.petrov@nstu.ru').expect(404);
    const paths = log.lines.filter((l) => l.message === 'request').map((l) => l.fields.path);
    expect(paths).toEqual(['/settings/rackcorp/mn', '/ivan.petrov@nstu.ru']);
  });
});
