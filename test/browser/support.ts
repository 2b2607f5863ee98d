// What the journey tests share: the app on a loopback port, one Debian Chromium per test file,
// a phone and a desktop as people use them, downloads read back from disk, axe-core run inside
// the page, and screenshots kept in test-output/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import type { Env } from '../../src/config.js';
import { testApp } from '../http/helpers.js';
import type { Signer } from '../../src/signing/signer.js';
import { makeTempDir } from '../support/tmp.js';

/** Debian's Chromium, headless, with nothing that reaches out to the internet by itself (updates, sync, QUIC). */
export const CHROMIUM = Object.freeze({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));
const AXE = readFileSync(fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');

export const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
export const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
export const WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

export type Language = 'en' | 'ru' | 'sv';
const ACCEPT: Record<Language, string> = { en: 'en-GB,en;q=0.9', ru: 'ru-RU,ru;q=0.9,en;q=0.5', sv: 'sv-SE,sv;q=0.9' };

/** The phone people hold (390×844) and the desktops they sit at (1366×900). */
export function phone(language: Language, userAgent = IPHONE_UA): BrowserContextOptions {
  return {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent,
    locale: language,
    extraHTTPHeaders: { 'Accept-Language': ACCEPT[language] },
    acceptDownloads: true,
  };
}

export function desktop(language: Language, userAgent = WINDOWS_UA): BrowserContextOptions {
  return {
    viewport: { width: 1366, height: 900 },
    userAgent,
    locale: language,
    extraHTTPHeaders: { 'Accept-Language': ACCEPT[language] },
    acceptDownloads: true,
  };
}

export interface Lab {
  base: string;
  browser: Browser;
  tmp: string;
  /** Another app (other settings) on its own port, sharing this browser; closed by close(). */
  serve(env: Env): Promise<string>;
  /** A fresh person: own cookies, own downloads. Closed by close(). */
  person(options: BrowserContextOptions): Promise<Page>;
  close(): Promise<void>;
}

/** Starts the app (createApp with the test config) on 127.0.0.1 and one headless Chromium. */
export async function startLab(options: { env?: Env; signer?: Signer } = {}): Promise<Lab> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const tmp = makeTempDir('mailsetup-journeys-');
  const servers: Server[] = [];
  const serve = async (env: Env | undefined): Promise<string> => {
    const { app } = testApp({ env, signer: options.signer });
    const server = createServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const base = await serve(options.env);
  const browser = await chromium.launch(CHROMIUM);
  const contexts: BrowserContext[] = [];
  return {
    base,
    browser,
    tmp: tmp.path,
    serve,
    async person(contextOptions) {
      const context = await browser.newContext(contextOptions);
      contexts.push(context);
      const page = await context.newPage();
      watchProblems(page);
      return page;
    },
    async close() {
      for (const context of contexts) await context.close();
      await browser.close();
      for (const server of servers) await new Promise((resolve) => server.close(resolve));
      tmp.remove();
    },
  };
}

const problems = new WeakMap<Page, string[]>();

/** Console errors, page errors and failed requests: a journey must end with none. */
function watchProblems(page: Page): void {
  const list: string[] = [];
  problems.set(page, list);
  page.on('console', (message) => void (message.type() === 'error' && list.push(`console: ${message.text()}`)));
  page.on('pageerror', (error) => void list.push(`page: ${error.message}`));
  page.on('response', (response) => void (response.status() >= 400 && list.push(`${response.status()} ${response.url()}`)));
}

export function problemsOf(page: Page): string[] {
  return problems.get(page) ?? [];
}

/** Retries an assertion until it passes or the time is up (pages update after scripts run). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function downloadFrom(page: Page, tmp: string, click: () => Promise<void>) {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(tmp, `download-${Date.now()}-${download.suggestedFilename()}`);
  await download.saveAs(path);
  return { name: download.suggestedFilename(), body: readFileSync(path), url: download.url() };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings on the page as it is now (the script is evaluated, so the page's CSP does not apply). */
export async function axeProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string, run in the page: the tests are type-checked without the DOM library.
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The focused element's id (or tag), to say where keyboard focus is. */
export async function focusedId(page: Page): Promise<string> {
  return page.evaluate<string>(`document.activeElement ? document.activeElement.id || document.activeElement.tagName.toLowerCase() : ''`);
}

/** An element's box relative to the viewport: is it on screen without scrolling? */
export async function box(page: Page, selector: string) {
  const found = await page.locator(selector).first().boundingBox();
  if (!found) throw new Error(`${selector} is not on the page`);
  return found;
}

/** An attribute (or the text, for "text") of every element a selector finds, in page order. */
export async function eachOf(page: Page, selector: string, ...names: string[]): Promise<(string | null)[][]> {
  const found = page.locator(selector);
  const rows: (string | null)[][] = [];
  for (let i = 0; i < (await found.count()); i++) {
    const element = found.nth(i);
    rows.push(await Promise.all(names.map((name) => (name === 'text' ? element.textContent() : element.getAttribute(name)))));
  }
  return rows;
}
