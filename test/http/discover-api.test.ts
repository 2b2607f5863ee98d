// GET /api/discover and POST /api/test against the real lab servers, in memory (supertest).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createDiscoveryService } from '../../src/discovery/service.js';
import { createApp } from '../../src/http/app.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { LAB_PASSWORD, LAB_USER, startLab, type Lab } from '../support/discovery-lab.js';
import { captureLogger, testConfig } from './helpers.js';

/** The JSON the discovery API answers with (only what these tests read). */
interface DiscoverBody {
  checks: unknown[];
  sources: { source: string; target: string; outcome: string; detail?: string }[];
  error: Record<string, unknown>;
  ok: boolean;
  warnings: unknown[];
}

let lab: Lab;
const catalog = ProviderCatalog.load();

beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.stop();
});

function app(env: Record<string, string> = {}, logger = captureLogger()) {
  const config = testConfig({ ...lab.env, MAILSETUP_DISCOVERY_TIMEOUT: '3', ...env });
  return createApp({ config, catalog, logger: logger.logger, discovery: createDiscoveryService({ config, catalog, dialPort: lab.dialPort }) });
}

describe('GET /api/discover', () => {
  it('answers servers, sources, checks and warnings', async () => {
    const response = await request(app()).get('/api/discover?email=ivan@srv.test').expect(200).expect('Cache-Control', 'no-store');
    expect(response.body).toMatchObject({
      email: 'ivan@srv.test',
      found: true,
      source: 'srv',
      servers: [
        { protocol: 'imap', host: 'imap.srv.test', port: 993, socket: 'SSL', source: 'srv', origin: 'SRV _imaps._tcp.srv.test', verified: true },
        { protocol: 'smtp', host: 'smtp.srv.test', port: 587, socket: 'STARTTLS', source: 'srv', verified: true },
      ],
      warnings: [],
    });
    expect((response.body as DiscoverBody).checks).toHaveLength(2);
    expect((response.body as DiscoverBody).sources).toContainEqual({
      source: 'srv',
      target: 'SRV _imaps._tcp.srv.test',
      outcome: 'found',
      detail: 'imap.srv.test:993',
    });
  });

  it('a domain with no mail servers: 404 with what was tried', async () => {
    const response = await request(app()).get('/api/discover?email=ivan@nomail.test').expect(404);
    expect((response.body as DiscoverBody).error).toMatchObject({ code: 'NO_MAIL_SERVERS', field: 'email', rule: 'no-mail-servers' });
    expect((response.body as DiscoverBody).sources.length).toBeGreaterThan(5);
  });

  it('servers on a private network: 403, nothing contacted', async () => {
    const response = await request(app()).get('/api/discover?email=ivan@private.test').expect(403);
    expect((response.body as DiscoverBody).error.code).toBe('DISCOVERY_REFUSED');
    expect(lab.watchers.every((w) => w.connections === 0)).toBe(true);
  });

  it('a bad address names the field and the rule', async () => {
    const response = await request(app()).get('/api/discover?email=ivan').expect(400);
    expect((response.body as DiscoverBody).error).toMatchObject({ code: 'INVALID_INPUT', field: 'email', rule: 'email-format' });
  });

  it('is rate limited per client', async () => {
    const limited = app({ MAILSETUP_DISCOVERY_RATE_LIMIT: '2' });
    await request(limited).get('/api/discover?email=ivan@srv.test&probe=false').expect(200);
    await request(limited).get('/api/discover?email=ivan@srv.test&probe=false').expect(200);
    const response = await request(limited).get('/api/discover?email=ivan@srv.test&probe=false').expect(429);
    expect((response.body as DiscoverBody).error).toMatchObject({ code: 'RATE_LIMITED', rule: 'discovery-rate-limit' });
  });

  it('is forbidden when discovery is off', async () => {
    const config = testConfig({ MAILSETUP_DISCOVERY: 'false' });
    const off = createApp({ config, catalog, discovery: createDiscoveryService({ config, catalog }) });
    const response = await request(off).get('/api/discover?email=ivan@srv.test').expect(403);
    expect((response.body as DiscoverBody).error).toMatchObject({ code: 'FORBIDDEN', rule: 'discovery-off' });
  });
});

describe('POST /api/test', () => {
  it('tests typed settings, with a login when the body has a password, and never logs it', async () => {
    const logger = captureLogger();
    const response = await request(app({}, logger))
      .post('/api/test')
      .send({
        email: LAB_USER,
        incoming: { host: 'imap.guess.test', socket: 'SSL' },
        outgoing: { host: 'smtp.guess.test', port: 587, socket: 'STARTTLS' },
        password: LAB_PASSWORD,
      })
      .expect(200);
    expect(response.body).toMatchObject({
      ok: true,
      checks: [
        { host: 'imap.guess.test', port: 993, ok: true, login: { ok: true } },
        { port: 587, ok: true, login: { ok: true } },
      ],
    });
    expect(JSON.stringify(response.body)).not.toContain(LAB_PASSWORD);
    expect(logger.text()).not.toContain(LAB_PASSWORD);
  });

  it('reports a wrong-name certificate for typed settings', async () => {
    const response = await request(app())
      .post('/api/test')
      .send({ email: 'ivan@wrongname.test', incoming: { host: 'imap.wrongname.test' }, outgoing: { host: 'smtp.guess.test', port: 465 } })
      .expect(200);
    expect((response.body as DiscoverBody).ok).toBe(false);
    expect((response.body as DiscoverBody).warnings).toContainEqual(expect.objectContaining({ code: 'certificate', server: 'imap.wrongname.test:993' }));
  });

  it('names the field a typed value breaks', async () => {
    const response = await request(app())
      .post('/api/test')
      .send({ email: 'ivan@x.test', incoming: { host: 'bad host' }, outgoing: { host: 'smtp.x.test', port: 99999 } })
      .expect(400);
    expect((response.body as DiscoverBody).error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'incoming.host', rule: 'hostname' }), expect.objectContaining({ field: 'outgoing.port' })]),
    );
  });
});
