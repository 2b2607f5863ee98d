// The DNS records page in headless Chromium (Debian's /usr/bin/chromium): the form leads to the
// records, the copy button (app.js, allowed by the strict CSP) puts exactly the text/plain answer
// on the clipboard, and the page raises no CSP violations.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { testApp } from '../http/helpers.js';
import { makeTempDir } from '../support/tmp.js';
import { CHROMIUM } from './support.js';

let server: Server;
let base: string;
let tmp: ReturnType<typeof makeTempDir>;
let context: BrowserContext;

beforeAll(async () => {
  tmp = makeTempDir('mailsetup-dns-browser-');
  const { app } = testApp({ env: { MAILSETUP_PUBLIC_HOST: 'mailsetup.example.org' } });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context = await chromium.launchPersistentContext(join(tmp.path, 'profile'), {
    ...CHROMIUM,
    locale: 'sv-SE',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
});

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => server.close(resolve));
  tmp.remove();
});

describe('DNS records page in Chromium', () => {
  it('form → records; Copy puts the plain-text snippet on the clipboard; no CSP violations', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    // Chromium asks for /favicon.ico by itself; we serve none.
    page.on('console', (message) => void (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico') && problems.push(message.text())));
    page.on('pageerror', (error) => void problems.push(error.message));
    await page.goto(`${base}/dns`);
    expect(await page.getAttribute('html', 'lang')).toBe('sv');
    await page.fill('#domain', 'nstu.ru');
    await Promise.all([page.waitForURL(/\/dns\?/), page.click('button[type=submit]')]);
    const zone = await page.textContent('#zone');
    const plain = await (await fetch(`${base}/dns/nstu.ru?lang=sv`)).text();
    expect(zone).toBe(plain);
    expect(zone).toMatch(/^_imaps\._tcp\.nstu\.ru\.\s+3600\s+IN\s+SRV\s+10 1 993 mail2\.nstu\.ru\.$/m);
    const copy = page.locator('#copy-zone');
    expect(await copy.isVisible()).toBe(true);
    await copy.click();
    await page.waitForFunction("document.getElementById('copy-zone').textContent === 'Kopierat'");
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(plain);
    expect(problems).toEqual([]);
  });
});
