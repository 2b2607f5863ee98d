// axe-core on every page, light and dark, on the phone and on the desktop each page is for: no
// serious or critical finding. Screenshots of the dark pages in test-output/screenshots/axe-*.png.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { ANDROID_UA, MAC_UA, axeProblems, desktop, phone, screenshot, startLab, type Lab } from './support.js';

const TOKEN = 'axe-admin-token-0123456789abcdef';
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ env: { MAILSETUP_ADMIN_TOKEN: TOKEN, MAILSETUP_PUBLIC_HOST: '127.0.0.1.nip.example' } });
});

afterAll(async () => {
  await lab.close();
});

type Visit = [name: string, open: (page: Page) => Promise<unknown>];

/** Dark pages kept as pictures to look at (every page is checked; pictures cost time). */
const SCREENSHOT = new Set(['setup-ios', 'setup-unknown-errors', 'setup-iphone-handoff', 'setup-outlook', 'dns-records', 'admin']);

const go =
  (path: string): Visit[1] =>
  (page) =>
    page.goto(`${lab.base}${path}`);

const PHONE_PAGES: Visit[] = [
  ['start', go('/')],
  ['start-error', go('/setup?email=ivan%40nstu&device=ios')],
  ['setup-ios', go('/setup?email=ivan.petrov@nstu.ru&device=ios')],
  ['setup-exchange', go('/setup?email=boss@example.com&provider=rackcorp&type=exchange&device=ios')],
  ['setup-unknown', go('/setup?email=anna@example.se&device=ios')],
  [
    'setup-unknown-errors',
    async (page) => {
      await page.goto(`${lab.base}/setup?email=anna@example.se&device=ios`);
      await page.locator('#download').click();
      await page.locator('#error-summary').waitFor();
    },
  ],
  ['setup-other-programs', go('/setup?email=ivan.petrov@nstu.ru&device=thunderbird')],
  ['instructions-ios', go('/instructions/ios')],
  ['instructions-thunderbird', go('/instructions/thunderbird')],
  ['providers', go('/settings')],
  ['settings-rackcorp', go('/settings/rackcorp/mn')],
  ['dns', go('/dns?domain=nstu.ru')],
  ['not-found', go('/no/such/page')],
];

const DESKTOP_PAGES: Visit[] = [
  ['start', go('/')],
  ['setup-iphone-handoff', go('/setup?email=ivan.petrov@nstu.ru&device=ios')],
  [
    'qr',
    async (page) => {
      await page.goto(`${lab.base}/setup?email=ivan.petrov@nstu.ru&device=ios`);
      await page.locator('#qr-with-name').click();
      await page.locator('svg.qr').waitFor();
    },
  ],
  [
    'link',
    async (page) => {
      await page.goto(`${lab.base}/setup?email=ivan.petrov@nstu.ru&device=ios`);
      await page.goto((await page.locator('.qr-card a').first().getAttribute('href'))!.replace(/^https:\/\/[^/]+/, lab.base));
    },
  ],
  ['setup-outlook', go('/setup?email=olga@mail.ru&device=outlook')],
  ['setup-mac', go('/setup?email=boss@example.com&provider=rackcorp&device=macos')],
  ['instructions-outlook', go('/instructions/outlook')],
  ['instructions-macos', go('/instructions/macos')],
  ['settings-mailru', go('/settings/mailru')],
  ['dns-records', go('/dns?domain=customer.example&servers=rackcorp/us')],
  ['admin', go('/admin')],
];

describe.each([
  ['phone', 'light', PHONE_PAGES],
  ['phone', 'dark', PHONE_PAGES],
  ['desktop', 'light', DESKTOP_PAGES],
  ['desktop', 'dark', DESKTOP_PAGES],
] as const)('axe on the %s, %s', (device, scheme, pages) => {
  it('finds nothing serious on any page', async () => {
    const base = device === 'phone' ? phone('en') : desktop('en');
    const page = await lab.person({ ...base, colorScheme: scheme });
    const found: Record<string, string[]> = {};
    for (const [name, open] of pages) {
      // The page for Android is seen with an Android browser, the Mac one with Safari on a Mac.
      await page.setExtraHTTPHeaders({
        'Accept-Language': 'en-GB,en;q=0.9',
        'User-Agent': name === 'setup-other-programs' ? ANDROID_UA : name === 'setup-mac' ? MAC_UA : (base.userAgent ?? ''),
      });
      await open(page);
      const problems = await axeProblems(page);
      if (problems.length) found[name] = problems;
      if (scheme === 'dark' && SCREENSHOT.has(name)) await screenshot(page, `axe-${device}-dark-${name}`);
    }
    expect(found).toEqual({});
  });
});

describe('the check itself', () => {
  it('finds a serious problem when there is one', async () => {
    const page = await lab.person(phone('en'));
    await page.goto(`${lab.base}/no/such/page`);
    // An image without a text alternative and a field without a label.
    await page.evaluate(`document.querySelector('main').insertAdjacentHTML('beforeend', '<img src="/assets/icon.svg"><input type="text">')`);
    const problems = await axeProblems(page);
    expect(problems.some((p) => p.startsWith('image-alt'))).toBe(true);
    expect(problems.some((p) => p.startsWith('label'))).toBe(true);
  });
});
