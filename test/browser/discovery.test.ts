// Headless Chromium: an address at a domain no provider serves, in English, Russian and Swedish.
// The iPhone user sees the servers being looked for, then what was found and checked, and
// downloads a signed profile made from it; the Thunderbird user gets the settings to type in.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, devices, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createDiscoveryService } from '../../src/discovery/service.js';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { createApp } from '../../src/http/app.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { opensslVerify, testConfig, testSigning, type TestSigning } from '../http/helpers.js';
import { startLab, type Lab } from '../support/discovery-lab.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { axeProblems, CHROMIUM, eventually, SCREENSHOTS } from './support.js';

const LANGUAGES = ['en', 'ru', 'sv'] as const;
const words = Object.fromEntries(
  LANGUAGES.map((lang) => [
    lang,
    JSON.parse(readFileSync(fileURLToPath(new URL(`../../templates/locales/${lang}.json`, import.meta.url)), 'utf8')) as Record<string, string>,
  ]),
);
const say = (lang: string, key: string, values: Record<string, string> = {}) =>
  words[lang]![key]!.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? '');

let lab: Lab;
let signing: TestSigning;
let server: Server;
let base: string;
let tmp: ReturnType<typeof makeTempDir>;
let chromiumBrowser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  tmp = makeTempDir('mailsetup-browser-discovery-');
  // One browser; each simulated person gets a fresh context (its own cookies and storage).
  [lab, signing, chromiumBrowser] = await Promise.all([startLab(), testSigning(), chromium.launch({ ...CHROMIUM })]);
  const catalog = ProviderCatalog.load();
  const config = testConfig({ ...lab.env, MAILSETUP_DISCOVERY_TIMEOUT: '3', MAILSETUP_DISCOVERY_RATE_LIMIT: '0' });
  const app = createApp({ config, catalog, signer: signing.signer, discovery: createDiscoveryService({ config, catalog, dialPort: lab.dialPort }) });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await chromiumBrowser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await lab?.stop();
  signing?.remove();
  tmp?.remove();
});

/** Discovery answers take a moment: these checks wait up to 10 s. */
const eventuallyLong = (check: () => Promise<void>) => eventually(check, 10_000);

async function browser(options: Parameters<Browser['newContext']>[0]): Promise<Page> {
  const context = await chromiumBrowser.newContext({ acceptDownloads: true, ...options });
  contexts.push(context);
  return context.newPage();
}

describe.each(LANGUAGES)('in %s', (lang) => {
  it('an iPhone user with an unknown domain sees the servers found and downloads a profile made from them', async () => {
    const page = await browser({ ...devices['iPhone 13'], locale: lang });
    await page.goto(`${base}/?lang=${lang}`);
    await page.getByLabel(say(lang, 'web.field.email')).fill('ivan@guess.test');
    // The preview says the servers are being looked for, then names what was found.
    await eventuallyLong(async () => expect(await page.locator('#preview').innerText()).toContain('imap.guess.test:993'));
    expect(await page.locator('#preview').innerText()).toContain(say(lang, 'web.start.found', { servers: '' }).trim());
    await page.getByRole('button', { name: say(lang, 'web.start.continue') }).click();
    await eventuallyLong(async () =>
      expect(await page.locator('.discovered').innerText()).toContain(say(lang, 'web.discovery.title', { domain: 'guess.test' })),
    );
    const table = await page.locator('.discovered').innerText();
    expect(table).toContain('imap.guess.test');
    expect(table).toContain('smtp.guess.test');
    expect(table).toContain(say(lang, 'web.discovery.source.guess'));
    expect(table).toContain(say(lang, 'web.discovery.verified'));
    await page.screenshot({ path: join(SCREENSHOTS, `discovery-iphone-${lang}.png`), fullPage: true });
    // The found servers' card passes axe like every other page.
    expect(await axeProblems(page)).toEqual([]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: say(lang, 'web.download.profile') }).click()]);
    const path = join(tmp.path, `${lang}-${download.suggestedFilename()}`);
    await download.saveAs(path);
    const plist = opensslVerify(readFileSync(path), signing.caFile, signing.dir);
    expect(validateProfileXml(plist, 'iOS')).toEqual([]);
    const profile = plistlibParse(plist) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({
      EmailAddress: 'ivan@guess.test',
      IncomingMailServerHostName: 'imap.guess.test',
      IncomingMailServerPortNumber: 993,
      IncomingMailServerUseSSL: true,
      OutgoingMailServerHostName: 'smtp.guess.test',
      OutgoingMailServerPortNumber: 465,
      OutgoingMailServerUseSSL: true,
    });
  });

  it('on a Windows computer for an iPhone, the QR code for the found servers comes first', async () => {
    const page = await browser({
      viewport: { width: 1366, height: 900 },
      locale: lang,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    });
    await page.goto(`${base}/setup?email=ivan@guess.test&device=ios&lang=${lang}`);
    await page.locator('.discovered').waitFor();
    const qr = await page.locator('svg.qr').boundingBox();
    // Above the fold, beside what was found, and the QR button is the main one.
    expect(qr!.y + qr!.height).toBeLessThan(900);
    expect(await page.locator('#qr-with-name').getAttribute('class')).toBe('primary');
    await page.screenshot({ path: join(SCREENSHOTS, `discovery-desktop-iphone-${lang}.png`), fullPage: true });
    expect(await axeProblems(page)).toEqual([]);
  });

  it('a Thunderbird user with an unknown domain gets the settings found, without JavaScript', async () => {
    const page = await browser({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false, locale: lang });
    await page.goto(`${base}/?lang=${lang}`);
    await page.getByLabel(say(lang, 'web.field.email')).fill('ivan@srv.test');
    await page.locator('input[name=device][value=thunderbird]').check();
    await page.getByRole('button', { name: say(lang, 'web.start.continue') }).click();
    await eventuallyLong(async () => expect(await page.locator('.discovered').innerText()).toContain(say(lang, 'web.discovery.source.srv')));
    const settings = await page.locator('main').innerText();
    expect(settings).toContain(say(lang, 'web.settings.incoming'));
    expect(settings).toMatch(/IMAP\s+imap\.srv\.test\s+993/);
    expect(settings).toMatch(/SMTP\s+smtp\.srv\.test\s+587\s+STARTTLS/);
    await page.screenshot({ path: join(SCREENSHOTS, `discovery-thunderbird-${lang}.png`), fullPage: true });
    // axe runs as a script: the same page, opened where scripts run.
    const checked = await browser({ viewport: { width: 1280, height: 900 }, locale: lang });
    await checked.goto(page.url());
    expect(await axeProblems(checked)).toEqual([]);
  });
});
