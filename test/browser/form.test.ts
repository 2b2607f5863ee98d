// The real form in headless Chromium (Debian's /usr/bin/chromium): an iPhone user on Safari with an
// @nstu.ru address, the same without JavaScript, a desktop user scanning the QR code, and a
// desktop Outlook user. Each downloads the file and the file is checked with independent tools.
// Screenshots are kept in test-output/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, devices, type BrowserContext, type Page } from 'playwright-core';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { opensslVerify, testApp, testSigning, type TestSigning } from '../http/helpers.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { readZipEntries } from '../support/zip.js';
import { CHROMIUM, SCREENSHOTS, eventually } from './support.js';

const WINDOWS_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

let signing: TestSigning;
let server: Server;
let base: string;
let tmp: ReturnType<typeof makeTempDir>;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  tmp = makeTempDir('mailsetup-browser-');
  signing = await testSigning();
  const { app } = testApp({ signer: signing.signer });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await new Promise((resolve) => server.close(resolve));
  signing.remove();
  tmp.remove();
});

/** A fresh browser profile (its own --user-data-dir) per simulated person. */
async function browser(options: Parameters<typeof chromium.launchPersistentContext>[1]): Promise<Page> {
  const context = await chromium.launchPersistentContext(join(tmp.path, `profile-${contexts.length}`), {
    ...CHROMIUM,
    acceptDownloads: true,
    ...options,
  });
  contexts.push(context);
  return context.pages()[0] ?? (await context.newPage());
}

async function downloadFrom(page: Page, click: () => Promise<void>): Promise<{ name: string; body: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(tmp.path, `download-${Date.now()}-${download.suggestedFilename()}`);
  await download.saveAs(path);
  return { name: download.suggestedFilename(), body: readFileSync(path) };
}

function checkNstuProfile(body: Buffer, name: string) {
  const plist = opensslVerify(body, signing.caFile, signing.dir);
  expect(validateProfileXml(plist, 'iOS')).toEqual([]);
  const profile = plistlibParse(plist) as { TargetDeviceType: number; PayloadContent: Record<string, unknown>[] };
  expect(profile.TargetDeviceType).toBe(1);
  expect(profile.PayloadContent[0]).toMatchObject({
    EmailAddress: 'ivan.petrov@nstu.ru',
    EmailAccountName: name,
    IncomingMailServerHostName: 'mail2.nstu.ru',
    IncomingMailServerPortNumber: 993,
    IncomingMailServerUseSSL: true,
    IncomingMailServerUsername: 'ivan.petrov@corp.nstu.ru',
    OutgoingMailServerHostName: 'mail2.nstu.ru',
    OutgoingMailServerPortNumber: 587,
  });
  expect(profile.PayloadContent[0]).not.toHaveProperty('IncomingPassword');
}

describe('an iPhone user with Safari', () => {
  it('types an @nstu.ru address, sees what they get, and downloads a signed profile', async () => {
    const page = await browser({ ...devices['iPhone 13'], locale: 'en-GB' });
    await page.goto(`${base}/`);
    expect(await page.locator('input[name=device][value=ios]').isChecked()).toBe(true);
    await page.getByLabel('Email address').fill('ivan.petrov@nstu.ru');
    // The page looks the provider up while the address is typed.
    await eventually(async () => expect(await page.locator('#preview').innerText()).toContain('NSTU'));
    await eventually(async () => expect(await page.locator('#preview').innerText()).toContain('mail2.nstu.ru:993'));
    await page.screenshot({ path: join(SCREENSHOTS, 'iphone-1-start.png'), fullPage: true });
    await page.getByRole('button', { name: 'Continue' }).click();
    await eventually(async () => expect((await page.locator('h1').innerText()).trim()).toBe('Set up ivan.petrov@nstu.ru'));
    await eventually(async () => expect(await page.locator('.summary').innerText()).toContain('ivan.petrov@corp.nstu.ru'));
    await page.getByLabel('Your name (optional)').fill('Иван Петров');
    await page.screenshot({ path: join(SCREENSHOTS, 'iphone-2-setup.png'), fullPage: true });
    const file = await downloadFrom(page, () => page.getByRole('button', { name: 'Download the profile' }).click());
    expect(file.name).toBe('ivan.petrov@nstu.ru.mobileconfig');
    checkNstuProfile(file.body, 'Иван Петров');
    // The next steps are pointed out after the download starts.
    await eventually(async () => expect(await page.locator('#next-steps').getAttribute('class')).toMatch(/highlight/));
    await eventually(async () => expect(await page.locator('#next-steps').innerText()).toContain('Profile Downloaded'));
    await page.screenshot({ path: join(SCREENSHOTS, 'iphone-3-after-download.png') });
    // Switch to Russian on the page: the choices stay.
    await page.getByRole('link', { name: 'Русский' }).click();
    await eventually(async () => expect((await page.locator('h1').innerText()).trim()).toBe('Настройка ivan.petrov@nstu.ru'));
    await page.screenshot({ path: join(SCREENSHOTS, 'iphone-4-russian.png'), fullPage: true });
  });

  it('gets the same profile without JavaScript', async () => {
    const page = await browser({
      ...devices['iPhone 13'],
      javaScriptEnabled: false,
      locale: 'sv-SE',
      extraHTTPHeaders: { 'Accept-Language': 'sv-SE,sv;q=0.9' },
    });
    await page.goto(`${base}/`);
    await eventually(async () => expect((await page.locator('h1').innerText()).trim()).toBe('Ställ in din e-post'));
    await page.getByLabel('E-postadress').fill('ivan.petrov@nstu.ru');
    await page.getByRole('button', { name: 'Fortsätt' }).click();
    await page.getByLabel('Kontotyp').selectOption('imap');
    await page.getByRole('button', { name: 'Visa' }).click();
    await page.getByLabel('Ditt namn (frivilligt)').fill('Ivan Petrov');
    const file = await downloadFrom(page, () => page.getByRole('button', { name: 'Hämta profilen' }).click());
    checkNstuProfile(file.body, 'Ivan Petrov');
    const profile = plistlibParse(opensslVerify(file.body, signing.caFile, signing.dir)) as { PayloadDisplayName: string };
    expect(profile.PayloadDisplayName).toBe('E-post: ivan.petrov@nstu.ru');
  });

  it('sees errors next to the field', async () => {
    const page = await browser({ ...devices['iPhone 13'] });
    await page.goto(`${base}/`);
    await page.getByLabel('Email address').fill('ivan.petrov@nstu');
    await page.getByRole('button', { name: 'Continue' }).click();
    await eventually(async () => expect((await page.locator('#email-error').innerText()).trim()).toBe('The part after @ is not a valid mail domain.'));
    await eventually(async () => expect(await page.getByLabel('Email address').getAttribute('aria-invalid')).toBe('true'));
    await page.screenshot({ path: join(SCREENSHOTS, 'iphone-5-error.png') });
  });
});

describe('a desktop user', () => {
  it('scans the QR code with the phone, which opens the same profile', async () => {
    const desktop = await browser({ viewport: { width: 1280, height: 900 }, userAgent: WINDOWS_UA });
    await desktop.goto(`${base}/`);
    await desktop.getByLabel('Email address').fill('ivan.petrov@nstu.ru');
    await desktop.getByLabel(/iPhone or iPad/).check();
    await desktop.getByRole('button', { name: 'Continue' }).click();
    await desktop.locator('svg.qr').waitFor({ state: 'visible' });
    await desktop.screenshot({ path: join(SCREENSHOTS, 'desktop-qr.png'), fullPage: true });
    const link = await desktop.getByRole('link', { name: 'Open the link on this device' }).getAttribute('href');
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/l\/[\w-]+\.[\w-]+$/);
    expect(link).not.toContain('password');
    const phone = await browser({ ...devices['iPhone 13'] });
    await phone.goto(link!);
    await eventually(async () => expect(await phone.locator('.summary').innerText()).toContain('mail2.nstu.ru'));
    const file = await downloadFrom(phone, () => phone.getByRole('link', { name: 'Download the profile' }).click());
    expect(validateProfileXml(opensslVerify(file.body, signing.caFile, signing.dir), 'iOS')).toEqual([]);
  });

  it('sets up classic Outlook with the setup pack', async () => {
    const page = await browser({ viewport: { width: 1280, height: 900 }, userAgent: WINDOWS_UA });
    await page.goto(`${base}/`);
    expect(await page.locator('input[name=device][value=outlook]').isChecked()).toBe(true);
    await page.getByLabel('Email address').fill('olga.ivanova@mail.ru');
    await page.getByRole('button', { name: 'Continue' }).click();
    await eventually(async () => expect(await page.locator('.summary').innerText()).toContain('imap.mail.ru'));
    await page.getByLabel('Outlook version').selectOption('2013');
    await page.getByLabel('Your name (optional)').fill('Olga Ivanova');
    await page.screenshot({ path: join(SCREENSHOTS, 'desktop-outlook.png'), fullPage: true });
    const file = await downloadFrom(page, () => page.getByRole('button', { name: 'Download the Outlook setup pack' }).click());
    expect(file.name).toBe('olga.ivanova@mail.ru.zip');
    const entries = await readZipEntries(file.body);
    expect([...entries.keys()]).toEqual(expect.arrayContaining(['README.txt', 'setup.reg', 'undo.reg']));
    const prfName = [...entries.keys()].find((name) => name.endsWith('.prf'))!;
    const prf = entries.get(prfName)!.toString('latin1');
    expect(prf).toContain('IMAPServer=imap.mail.ru');
    expect(prf).toContain('IMAPPort=993');
    expect(prf).toContain('SMTPServer=smtp.mail.ru');
    // Outlook 2013 writes its registry keys under 15.0.
    expect(entries.get('setup.reg')!.toString('utf16le')).toContain('\\Office\\15.0\\Outlook');
    await eventually(async () => expect(await page.locator('#next-steps').innerText()).toContain('setup.reg'));
  });
});
