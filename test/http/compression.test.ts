// Text answers are compressed (brotli, else gzip); files people download never are; assets and the
// favicon come from memory with validators.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, get as httpGet, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { preferredEncoding } from '../../src/http/compression.js';
import { binaryParser, opensslVerify, testApp, testSigning, type TestSigning } from './helpers.js';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
let signing: TestSigning;
let app: ReturnType<typeof testApp>['app'];
let server: Server;

beforeAll(async () => {
  signing = await testSigning();
  ({ app } = testApp({ signer: signing.signer }));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  signing.remove();
});

const raw = (req: request.Test) => req.buffer(true).parse(binaryParser);

/** The bytes as sent (supertest would decompress them), through Node's own client. */
function fetchRaw(path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('compression', () => {
  it('chooses brotli, then gzip, and honours q=0', () => {
    expect(preferredEncoding('gzip, deflate, br')).toBe('br');
    expect(preferredEncoding('gzip')).toBe('gzip');
    expect(preferredEncoding('br;q=0, gzip')).toBe('gzip');
    expect(preferredEncoding('identity')).toBeUndefined();
    expect(preferredEncoding('*')).toBe('br');
    expect(preferredEncoding(undefined)).toBeUndefined();
  });

  it.each([
    ['br', brotliDecompressSync],
    ['gzip', gunzipSync],
  ] as const)('compresses pages with %s, saying so and varying on Accept-Encoding', async (encoding, decode) => {
    const plain = await request(app).get('/setup?email=ivan@nstu.ru&device=ios').set('User-Agent', IPHONE).set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const packed = await fetchRaw('/setup?email=ivan@nstu.ru&device=ios', { 'User-Agent': IPHONE, 'Accept-Encoding': encoding });
    expect(packed.status).toBe(200);
    expect(packed.headers['content-encoding']).toBe(encoding);
    expect(packed.headers.vary).toMatch(/Accept-Encoding/i);
    const body = decode(packed.body).toString('utf8');
    // The same page (a phone's: no QR link that differs per request), in far fewer bytes.
    expect(body).toBe(plain.text);
    expect(packed.body.length).toBeLessThan(body.length / 2.5);
  });

  it('compresses JSON answers', async () => {
    const res = await fetchRaw('/api/providers', { 'Accept-Encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.body).toString('utf8'))).toHaveProperty('providers');
  });

  it('never compresses a signed profile or a setup pack', async () => {
    const profile = await raw(
      request(app).post('/download').set('Accept-Encoding', 'br, gzip').type('form').send({ email: 'ivan@nstu.ru', device: 'ios', language: 'en' }),
    ).expect(200);
    expect(profile.headers['content-encoding']).toBeUndefined();
    expect(profile.headers['content-type']).toBe('application/x-apple-aspen-config');
    opensslVerify(profile.body as Buffer, signing.caFile, signing.dir);
    const pack = await raw(
      request(app).post('/download').set('Accept-Encoding', 'gzip').type('form').send({ email: 'ivan@nstu.ru', device: 'outlook' }),
    ).expect(200);
    expect(pack.headers['content-encoding']).toBeUndefined();
    const api = await raw(request(app).post('/api/profile').set('Accept-Encoding', 'gzip').send({ email: 'ivan@nstu.ru' })).expect(200);
    expect(api.headers['content-encoding']).toBeUndefined();
  });
});

describe('assets and the favicon', () => {
  it('serves /favicon.ico as an icon, and the stylesheet compressed with a validator', async () => {
    const icon = await raw(request(app).get('/favicon.ico')).expect(200);
    expect(icon.headers['content-type']).toBe('image/x-icon');
    expect((icon.body as Buffer).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
    const css = await fetchRaw('/assets/app.css', { 'Accept-Encoding': 'br' });
    expect(css.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(css.body).toString('utf8')).toContain('.card');
    await request(app).get('/assets/app.css').set('If-None-Match', css.headers.etag!).expect(304);
    expect((await request(app).head('/assets/app.js')).status).toBe(200);
  });
});
