// Journeys 9 and 10 of issue 15 in headless Chromium: an administrator publishing DNS records
// for a customer domain of a hosting provider (opened by IP address, on a desktop and a phone),
// and IT staff on the admin page in their language, with no mail server configured.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readZipEntries } from '../support/zip.js';
import { staffBuffer } from '../bulk/helpers.js';
import { axeProblems, box, desktop, downloadFrom, eachOf, eventually, phone, problemsOf, screenshot, startLab, type Lab } from './support.js';

const TOKEN = 'journey-admin-token-0123456789';
let lab: Lab;

beforeAll(async () => {
  // No public host and no mail server: the page is opened by IP, and mailing is not set up.
  lab = await startLab({ env: { MAILSETUP_ADMIN_TOKEN: TOKEN } });
});

afterAll(async () => {
  await lab.close();
});

describe('9. the DNS records page', () => {
  it('asks for the service host when it cannot tell, offers the hosting provider and region, and fits the records (desktop, en)', async () => {
    const page = await lab.person(desktop('en'));
    await page.goto(`${lab.base}/dns`);
    expect(await page.locator('label[for=host]').innerText()).toBe('Service host');
    expect(await page.locator('#host').getAttribute('required')).toBe('');
    expect(await page.locator('#host-hint').innerText()).toContain('opened by an IP address');
    expect(await page.locator('#host').getAttribute('placeholder')).toBeNull();
    await page.locator('#domain').fill('customer.example');
    await page.locator('#host').fill('mailsetup.example.org');
    await page.locator('#servers').selectOption('rackcorp/us');
    await Promise.all([page.waitForURL(/\/dns\?/), page.locator('.dns-form button[type=submit]').click()]);
    expect(await page.locator('#zone').innerText()).toMatch(/_imaps\._tcp\.customer\.example\.\s+3600\s+IN\s+SRV\s+\d+ \d+ 993 mail\.us\.rackcorp\.com\./);
    expect(await page.locator('#servers').inputValue()).toBe('rackcorp/us');
    // The table is not cut off: it fits inside its card, and the card inside the window.
    const [table, card] = await page.evaluate<[number[], number[]]>(
      `[document.querySelector('table.dns-records'), document.getElementById('dns-result')].map((e) => [e.getBoundingClientRect().right, e.scrollWidth, e.clientWidth])`,
    );
    expect(table[0]).toBeLessThanOrEqual(card[0]! - 16);
    expect(card[1]).toBeLessThanOrEqual(card[2]!);
    expect(card[0]).toBeLessThanOrEqual(1366);
    expect(await axeProblems(page)).toEqual([]);
    await screenshot(page, 'journey-9-dns-desktop-en');
    // The plain-text link keeps the chosen servers.
    const plain = await page.locator('a', { hasText: 'As plain text' }).getAttribute('href');
    expect(plain).toContain('provider=rackcorp');
    expect(plain).toContain('variant=us');
    expect(problemsOf(page)).toEqual([]);
  });

  it('a customer domain without a chosen provider is pointed at the choice; the phone layout passes axe (phone, ru)', async () => {
    const page = await lab.person(phone('ru'));
    await page.goto(`${lab.base}/dns?domain=customer.example&host=mailsetup.example.org`);
    expect(await page.locator('#servers-hint').innerText()).toContain('выберите его здесь');
    await page.locator('#servers').selectOption('rackcorp/mn');
    await Promise.all([page.waitForURL(/servers=rackcorp/), page.locator('.dns-form button[type=submit]').click()]);
    expect(await page.locator('#dns-result').innerText()).toContain('mail.mn.rackcorp.com');
    expect(await axeProblems(page)).toEqual([]);
    await screenshot(page, 'journey-9-dns-phone-ru');
    // The Exchange table on the phone, too.
    await page.goto(`${lab.base}/settings/rackcorp/mn`);
    expect(await axeProblems(page)).toEqual([]);
  });
});

describe('10. the admin page', () => {
  it('speaks Russian, says the token is wrong, offers the kinds of file, keeps the report over a reload and says mail is off before asking (desktop, ru)', async () => {
    const page = await lab.person(desktop('ru'));
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${lab.base}/admin?lang=ru`);
    expect(await page.locator('h1').innerText()).toBe('Массовая настройка');
    expect(await page.getAttribute('html', 'lang')).toBe('ru');
    // A wrong token: said so.
    await page.locator('#token').fill('not-the-token-at-all-000');
    await page.locator('#file').setInputFiles({ name: 'staff.csv', mimeType: 'text/csv', buffer: staffBuffer() });
    await page.locator('#upload button[type=submit]').click();
    await eventually(async () => expect(await page.locator('#message').innerText()).toBe('Неверный токен администратора: проверьте его в шаге 1.'));
    // The kinds of file are a list to tick.
    expect(await eachOf(page, '#formats input[type=checkbox]', 'value', 'checked')).toEqual(
      expect.arrayContaining([
        ['mobileconfig', ''],
        ['outlook-pack', null],
      ]),
    );
    await page.locator('#formats input[value=outlook-pack]').check();
    await page.locator('#token').fill(TOKEN);
    await page.locator('#upload button[type=submit]').click();
    await page.locator('#rows tbody tr').first().waitFor();
    expect(await page.locator('#counts').innerText()).toBe('Готово строк: 4, с ошибками: 5 (staff.csv).');
    // No mail server: the button is off and says why, and no question is asked.
    expect(await page.locator('#send').isDisabled()).toBe(true);
    expect(await page.locator('#send-off').innerText()).toContain('MAILSETUP_SMTP_URL');
    await page.locator('#send').click({ force: true });
    expect(dialogs).toEqual([]);
    await screenshot(page, 'journey-10-admin-ru');
    // Both kinds of file in the ZIP.
    const zip = await downloadFrom(page, lab.tmp, () => page.locator('#download').click());
    const names = [...(await readZipEntries(zip.body)).keys()];
    expect(names).toEqual(expect.arrayContaining(['ivan.petrov@nstu.ru.mobileconfig', 'ivan.petrov@nstu.ru.zip', 'manifest.csv']));
    // A reload keeps the report.
    await page.reload();
    await page.locator('#rows tbody tr').first().waitFor();
    expect(await page.locator('#rows tbody tr').count()).toBe(9);
    expect(await page.locator('#restored').isVisible()).toBe(true);
    expect(await page.evaluate('JSON.stringify(sessionStorage)')).not.toMatch(/password/i);
    expect(await axeProblems(page)).toEqual([]);
  });

  it('offers English and Swedish too (desktop, sv)', async () => {
    const page = await lab.person(desktop('sv'));
    await page.goto(`${lab.base}/admin`);
    expect(await page.locator('h1').innerText()).toBe('Massinställning');
    expect(await eachOf(page, '.langs a', 'href')).toEqual([['/admin?lang=en'], ['/admin?lang=ru'], ['/admin?lang=sv']]);
    expect((await box(page, '#token')).y).toBeLessThan(900);
  });
});
