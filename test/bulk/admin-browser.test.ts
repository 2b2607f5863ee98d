// The admin page in headless Chromium (Debian's /usr/bin/chromium): an IT person pastes the token,
// uploads an Excel-style staff list, reads the row-by-row check, downloads the ZIP and mails
// everyone through a real SMTP server on 127.0.0.1. Enter in the token field never puts the token
// in a URL; failed rows stand out; the encoding chosen reaches the server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { opensslVerify, testApp, testSigning, type TestSigning } from '../http/helpers.js';
import { makeTempDir } from '../support/tmp.js';
import { startSmtp, type SmtpFixture } from '../mail/smtp-fixture.js';
import { GOOD_EMAILS, staffBuffer } from './helpers.js';
import { readZipEntries } from '../support/zip.js';
import { CHROMIUM } from '../browser/support.js';

const TOKEN = 'browser-admin-token-0123456789';

/** The DOM the page callbacks below touch: tests compile without the DOM library, so it is named here. */
interface PageElement {
  id: string;
  textContent: string | null;
  classList: { contains(name: string): boolean };
  ownerDocument: { defaultView: { getComputedStyle(element: PageElement): { backgroundColor: string } } | null };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
let signing: TestSigning;
let smtp: SmtpFixture;
let server: Server;
let base: string;
let context: BrowserContext;
const tmp = makeTempDir('mailsetup-admin-browser-');

beforeAll(async () => {
  signing = await testSigning();
  smtp = await startSmtp();
  const { app } = testApp({
    env: { MAILSETUP_ADMIN_TOKEN: TOKEN, MAILSETUP_SMTP_URL: smtp.url, MAILSETUP_MAIL_FROM: 'it@example.org' },
    signer: signing.signer,
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context = await chromium.launchPersistentContext(join(tmp.path, 'profile'), {
    ...CHROMIUM,
    acceptDownloads: true,
  });
});

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => server.close(resolve));
  await smtp.close();
  signing.remove();
  tmp.remove();
});

/** Polls the page (the CSP forbids evaluating strings in it). */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the page');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('admin page in a browser', () => {
  it('checks an uploaded list, downloads the ZIP and mails everyone', async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on(
      'response',
      (response) => response.status() >= 400 && !response.url().endsWith('/favicon.ico') && problems.push(`${response.status()} ${response.url()}`),
    );
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${base}/admin`);
    await page.fill('#token', TOKEN);
    await page.setInputFiles('#file', { name: 'staff.csv', mimeType: 'text/csv', buffer: staffBuffer() });
    await page.click('#upload button[type=submit]');
    await page.waitForSelector('#rows tbody tr');
    expect(await page.textContent('#counts')).toContain('4 row(s) ready, 5 with problems');
    const cells = await page.$$eval('#rows tbody tr', (rows: PageElement[]) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)));
    expect(cells).toHaveLength(9);
    // The name column shows what the staff file says, so a garbled file is seen at once.
    expect(cells[0]).toEqual(['2', 'ivan.petrov@nstu.ru', 'Иван Петров', 'ok', 'ivan.petrov@nstu.ru.mobileconfig']);
    expect(cells[2]![4]).toContain('is not an email address');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const path = join(tmp.path, 'download.zip');
    await download.saveAs(path);
    const entries = await readZipEntries(path);
    expect([...entries.keys()]).toEqual([...GOOD_EMAILS.map((e) => `${e}.mobileconfig`), 'manifest.csv']);
    opensslVerify(entries.get('ivan.petrov@nstu.ru.mobileconfig')!, signing.caFile, signing.dir);

    await page.click('#send');
    await until(async () => (await page.textContent('#progress'))?.includes('(done)') === true, 20000);
    expect(await page.textContent('#progress')).toContain('Mail: 4 sent, 0 already sent, 0 failed, of 4 (done).');
    expect(smtp.received.flatMap((m) => m.envelopeTo).sort()).toEqual([...GOOD_EMAILS].sort());
    expect(problems).toEqual([]);
  });

  it("shows the server's reason when the token is wrong", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/admin`);
    await page.fill('#token', 'not-the-token-at-all-000');
    await page.setInputFiles('#file', { name: 'staff.csv', mimeType: 'text/csv', buffer: staffBuffer() });
    await page.click('#upload button[type=submit]');
    await until(async () => ((await page.textContent('#message')) ?? '') !== '', 5000);
    expect(await page.textContent('#message')).toContain('admin token');
    expect(await page.isHidden('#result')).toBe(true);
  });

  it('keeps the token out of every URL when Enter is pressed in the token field', async () => {
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (req) => void urls.push(req.url()));
    await page.goto(`${base}/admin`);
    await page.fill('#token', TOKEN);
    await page.press('#token', 'Enter');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(page.url()).toBe(`${base}/admin`);
    expect(await page.$eval(':focus', (element: PageElement) => element.id)).toBe('file');
    // The token still works from the tab: uploading after Enter succeeds.
    await page.setInputFiles('#file', { name: 'staff.csv', mimeType: 'text/csv', buffer: staffBuffer() });
    await page.click('#upload button[type=submit]');
    await page.waitForSelector('#rows tbody tr');
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).not.toContain(TOKEN);
    expect(urls.some((url) => url.includes('token'))).toBe(false);
    await page.close();
  });

  it('highlights failed rows and sends the encoding chosen', async () => {
    const page = await context.newPage();
    const uploads: string[] = [];
    page.on('request', (req) => void (req.method() === 'POST' && req.url().includes('/admin/api/jobs') && uploads.push(req.url())));
    await page.goto(`${base}/admin`);
    await page.fill('#token', TOKEN);
    await page.selectOption('#encoding', 'windows-1252');
    await page.setInputFiles('#file', { name: 'staff.csv', mimeType: 'text/csv', buffer: Buffer.from('email,name\r\nivan@nstu.ru,Ivan\r\nbroken,Nobody\r\n') });
    await page.click('#upload button[type=submit]');
    await page.waitForSelector('#rows tbody tr');
    expect(new URL(uploads[0]!).searchParams.get('encoding')).toBe('windows-1252');
    expect(await page.textContent('#counts')).toContain('read as windows-1252');
    const looks = await page.$$eval('#rows tbody tr', (rows: PageElement[]) =>
      rows.map((row) => ({
        failed: row.classList.contains('failed'),
        background: row.ownerDocument.defaultView!.getComputedStyle(row.querySelector('td')!).backgroundColor,
      })),
    );
    expect(looks.map((l) => l.failed)).toEqual([false, true]);
    expect(looks[1]!.background).not.toBe(looks[0]!.background);
    expect(looks[1]!.background).not.toMatch(/rgba\(0, 0, 0, 0\)|transparent/);
    await page.close();
  });
});
