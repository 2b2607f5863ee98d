// Bodies that cannot be decompressed (gzip sent as deflate or br, a cut or damaged gzip stream)
// are the client's mistake: 400 with the error JSON on the API, autodiscovery and admin, and the
// error page on the form; never a 404 as if the address did not exist.
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { gzipSync } from 'node:zlib';
import { apiError, testApp } from './helpers.js';

const TOKEN = 'body-decoding-admin-token-0123';
const { app } = testApp({ env: { MAILSETUP_ADMIN_TOKEN: TOKEN } });

const json = gzipSync(JSON.stringify({ email: 'ivan@nstu.ru', unsigned: true }));
const form = gzipSync('email=ivan%40nstu.ru&device=ios');
const xml = gzipSync(
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>ivan@nstu.ru</EMailAddress>' +
    '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>',
);
const csv = gzipSync('email\nivan@nstu.ru\n');

/** The ways a compressed body goes wrong, each against the same valid gzip bytes. */
const damaged = (gzip: Buffer): [string, string, Buffer][] => [
  ['gzip labelled deflate', 'deflate', gzip],
  ['gzip labelled br', 'br', gzip],
  ['a gzip stream cut short', 'gzip', gzip.subarray(0, gzip.length - 12)],
  ['a gzip stream with damaged bytes', 'gzip', Buffer.concat([gzip.subarray(0, 10), Buffer.alloc(gzip.length - 10, 0xa5)])],
];

const routes = [
  { route: 'POST /api/profile', path: '/api/profile', type: 'application/json', body: json, ok: 200 },
  { route: 'POST /autodiscover/autodiscover.xml', path: '/autodiscover/autodiscover.xml', type: 'text/xml', body: xml, ok: 200 },
  { route: 'POST /admin/api/jobs', path: '/admin/api/jobs', type: 'text/csv', body: csv, ok: 201 },
];

// The bytes as they are: superagent would otherwise serialise a Buffer sent as JSON or a form.
const post = (path: string, type: string, encoding: string, body: Buffer) =>
  request(app)
    .post(path)
    .set('Authorization', `Bearer ${TOKEN}`)
    .set('Content-Type', type)
    .set('Content-Encoding', encoding)
    .serialize((bytes: unknown) => bytes as string)
    .send(body);

describe('bodies that cannot be decompressed', () => {
  describe.each(routes)('$route', ({ path, type, body, ok }) => {
    it('takes a good gzip body', async () => {
      expect((await post(path, type, 'gzip', body)).status).toBe(ok);
    });

    it.each(damaged(body))('answers 400 JSON for %s', async (_what, encoding, bytes) => {
      const res = await post(path, type, encoding, bytes);
      expect(res.status).toBe(400);
      expect(apiError(res)).toMatchObject({ code: 'INVALID_INPUT', field: 'body', rule: 'body-compression' });
      expect(apiError(res).message).toContain('Content-Encoding');
    });
  });

  describe('POST /download (the form)', () => {
    it('takes a good gzip body', async () => {
      expect((await post('/download', 'application/x-www-form-urlencoded', 'gzip', form)).status).toBe(200);
    });

    it.each(damaged(form))('answers the 400 error page for %s', async (_what, encoding, bytes) => {
      const res = await post('/download', 'application/x-www-form-urlencoded', encoding, bytes);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('Content-Encoding');
    });
  });

  it('still answers 404 for a missing static file', async () => {
    expect((await request(app).get('/assets/nothing-here.css')).status).toBe(404);
    expect((await request(app).get('/assets/%E0%A4%A')).status).toBe(404);
  });
});
