// One generation path: every route that builds or signs a file hands the request to the app's
// `generate` (the worker pool in production) and never builds or signs on the event loop. The
// app gets a recording `generate` and a signer that fails the test if anything signs with it.
import request from 'supertest';
import { createApp } from '../../src/http/app.js';
import type { Generate, WebFile } from '../../src/http/generation.js';
import type { GenerateRequest } from '../../src/model/request.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import type { Signer } from '../../src/signing/signer.js';
import { binaryParser, testConfig } from './helpers.js';

const config = testConfig();
const catalog = ProviderCatalog.load({ defaultProvider: config.defaultProvider });

const BODY = Buffer.from('built by the pool');

function recordingApp() {
  const requests: GenerateRequest[] = [];
  const generate: Generate = (job) => {
    requests.push(job);
    const file: WebFile = {
      format: 'mobileconfig',
      fileName: 'x.mobileconfig',
      contentType: 'application/x-apple-aspen-config',
      body: BODY,
      signed: true,
      warnings: [],
    };
    return Promise.resolve(file);
  };
  const signer: Signer = {
    sign() {
      throw new Error('signed on the event loop instead of through generate');
    },
  };
  return { app: createApp({ config, catalog, signer, generate }), requests };
}

describe('every route that builds or signs a file goes through the one generation path', () => {
  it('GET /email.mobileconfig (Apple devices asking by themselves)', async () => {
    const { app, requests } = recordingApp();
    const res = await request(app).get('/email.mobileconfig?email=ivan.petrov%40nstu.ru&name=Ivan').buffer(true).parse(binaryParser).expect(200);
    expect(res.body).toEqual(BODY);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ format: 'mobileconfig', name: 'Ivan', email: { ascii: 'ivan.petrov@nstu.ru' } });
  });

  it('its refusals still come before the pool is asked', async () => {
    const { app, requests } = recordingApp();
    await request(app).get('/email.mobileconfig?email=ivan.petrov%40nstu.ru&password=x').expect(400);
    await request(app).get('/email.mobileconfig').expect(400);
    expect(requests).toHaveLength(0);
  });

  it('POST /download (the form) and POST /api/profile', async () => {
    const { app, requests } = recordingApp();
    const form = { email: 'ivan.petrov@nstu.ru', device: 'ios', language: 'en', variant: 'default', type: 'imap' };
    const download = await request(app).post('/download').type('form').send(form).buffer(true).parse(binaryParser).expect(200);
    expect(download.body).toEqual(BODY);
    const api = await request(app).post('/api/profile').send({ email: 'ivan.petrov@nstu.ru' }).buffer(true).parse(binaryParser).expect(200);
    expect(api.body).toEqual(BODY);
    expect(requests).toHaveLength(2);
  });
});
