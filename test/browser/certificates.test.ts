// The NSTU setup page with an organisation file that ships a private root (made at test time): in
// headless Chromium the page shows the certificate and downloads it, byte for byte the CA's DER;
// the HTTP answers (DER .cer, PEM .crt, unknown ones) and the settings page are checked in memory.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import request from 'supertest';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { binaryParser, testApp } from '../http/helpers.js';
import { TestPki } from '../signing/pki.js';
import { makeTempDir } from '../support/tmp.js';
import { CHROMIUM } from './support.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));
const tmp = makeTempDir('mailsetup-certificates-');
let server: Server;
let base: string;
let context: BrowserContext | undefined;
let rootDer: Buffer;
let rootPem: string;
let app: ReturnType<typeof testApp>['app'];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const pki = new TestPki(join(tmp.path, 'pki'));
  const root = pki.root('NSTU Test Root CA', 'rsa');
  rootPem = readFileSync(root.cert, 'utf8');
  rootDer = Buffer.from(rootPem.replace(/-----[^-]+-----|\s+/g, ''), 'base64');
  writeFileSync(join(tmp.path, 'root.pem'), rootPem);
  const nstu = readFileSync(fileURLToPath(new URL('../../providers/nstu.yaml', import.meta.url)), 'utf8');
  writeFileSync(join(tmp.path, 'nstu.yaml'), `${nstu}trust: [root.pem]\n`);
  ({ app } = testApp({ catalog: ProviderCatalog.load({ paths: [join(tmp.path, 'nstu.yaml')] }) }));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => server.close(resolve));
  tmp.remove();
});

describe('certificate downloads', () => {
  it('Chromium: the NSTU setup page shows the root certificate and downloads it', async () => {
    context = await chromium.launchPersistentContext(join(tmp.path, 'profile'), {
      ...CHROMIUM,
      acceptDownloads: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${base}/setup?email=ivan.petrov%40nstu.ru&device=macos&lang=en`);
    const section = page.getByRole('region', { name: 'Certificates to trust' });
    await expect(section.isVisible()).resolves.toBe(true);
    await expect(section.getByText('NSTU-Test-Root-CA').isVisible()).resolves.toBe(true);
    await expect(section.getByText('certutil -user -addstore Root').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'nstu-certificates.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), section.getByRole('link', { name: 'Download .cer (DER)' }).click()]);
    expect(download.suggestedFilename()).toBe('NSTU-Test-Root-CA.cer');
    const saved = join(tmp.path, 'downloaded.cer');
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(rootDer)).toBe(true);
  });

  it('.cer is DER, .crt is PEM, an unknown certificate is 404; the settings page links them too', async () => {
    const page = await request(app).get('/setup?email=ivan.petrov%40nstu.ru&device=ios').expect(200);
    const href = /href="(\/certificates\/nstu\/default\/[0-9a-f]{16})\.cer"/.exec(page.text)?.[1];
    expect(href).toBeDefined();
    const cer = await request(app).get(`${href}.cer`).buffer(true).parse(binaryParser).expect(200);
    expect(cer.headers['content-type']).toBe('application/pkix-cert');
    expect((cer.body as Buffer).equals(rootDer)).toBe(true);
    const crt = await request(app).get(`${href}.crt`).expect(200);
    expect(crt.headers['content-type']).toMatch(/^application\/x-pem-file/);
    expect(crt.text.replace(/\s+/g, '')).toBe(rootPem.replace(/\s+/g, ''));
    await request(app).get('/certificates/nstu/default/0000000000000000.cer').expect(404);
    const settings = await request(app).get('/settings/nstu/default').expect(200);
    expect(settings.text).toContain(`${href}.cer`);
    // A provider without trust: no such section.
    expect((await request(app).get('/settings/mailru/default').expect(200)).text).not.toContain('/certificates/');
  });
});
