// Every web journey of issue 15, walked in headless Chromium as people do it: on an iPhone-sized
// phone (390×844) and on 1366×900 desktops, in English and Russian or Swedish, asserting what the
// person sees and gets (the file and its type, the focused element, where links lead). One browser
// for the file; screenshots in test-output/screenshots/journey-*.png.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { opensslVerify, testSigning, type TestSigning } from '../http/helpers.js';
import { plistlibParse } from '../support/python.js';
import { readZipEntries } from '../support/zip.js';
import { ANDROID_UA, MAC_UA, box, desktop, downloadFrom, eachOf, eventually, focusedId, phone, problemsOf, screenshot, startLab, type Lab } from './support.js';

let signing: TestSigning;
let lab: Lab;

beforeAll(async () => {
  signing = await testSigning();
  lab = await startLab({ signer: signing.signer });
});

afterAll(async () => {
  await lab.close();
  signing.remove();
});

type Profile = { PayloadContent: Record<string, unknown>[]; PayloadScope?: string; TargetDeviceType: number };

function profileOf(body: Buffer, os: 'iOS' | 'macOS' = 'iOS'): Profile {
  const plist = opensslVerify(body, signing.caFile, signing.dir);
  expect(validateProfileXml(plist, os)).toEqual([]);
  return plistlibParse(plist) as Profile;
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ').trim();
}

/** Downloads with the answer's headers, to check the file's type. */
async function downloadWithType(page: Page, click: () => Promise<void>) {
  const [response, file] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' || /\/profile/.test(r.url())),
    downloadFrom(page, lab.tmp, click),
  ]);
  return { ...file, type: response.headers()['content-type'], encoding: response.headers()['content-encoding'] };
}

describe('1. a desktop user who picks iPhone or iPad', () => {
  it.each([
    ['en', undefined, 'Show a QR code with my name', 'Download the profile to this computer'],
    ['sv', MAC_UA, 'Visa en QR-kod med mitt namn', 'Hämta profilen till den här datorn'],
  ] as const)('hands the setup to the phone by QR code first (%s)', async (language, ua, qrButton, downloadButton) => {
    const page = await lab.person(desktop(language, ua));
    await page.goto(`${lab.base}/?lang=${language}`);
    await page.locator('#email').fill('ivan.petrov@nstu.ru');
    await page.locator('input[name=device][value=ios]').check();
    await page.locator('#start-form button[type=submit]').click();
    await page.locator('svg.qr').waitFor();
    // The QR code is on screen without scrolling, and it is the main action.
    const qr = await box(page, 'svg.qr');
    expect(qr.y + qr.height).toBeLessThanOrEqual(900);
    expect(qr.x).toBeGreaterThan(683);
    const buttons = page.locator('#download-form .actions button');
    expect(await buttons.first().innerText()).toBe(qrButton);
    expect(await buttons.first().getAttribute('class')).toBe('primary');
    expect(await page.locator('#download').innerText()).toBe(downloadButton);
    expect(await page.locator('#download').getAttribute('class')).toBe('secondary');
    await screenshot(page, `journey-1-desktop-iphone-${language}`, false);
    // The secondary download still gives the signed profile, as a profile.
    const file = await downloadWithType(page, () => page.locator('#download').click());
    expect(file.type).toBe('application/x-apple-aspen-config');
    expect(file.encoding).toBeUndefined();
    expect(file.name).toBe('ivan.petrov@nstu.ru.mobileconfig');
    expect(profileOf(file.body).TargetDeviceType).toBe(1);
    // With a name typed, the main button makes a QR code that carries it; the phone gets it.
    await page.locator('#name').fill('Anna Berg');
    await page.locator('#qr-with-name').click();
    await page.locator('svg.qr').waitFor();
    const link = (await page.locator('.qr-card a').first().getAttribute('href'))!;
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/l\/[\w-]+\.[\w-]+$/);
    const handset = await lab.person(phone(language));
    await handset.goto(link);
    const profile = await downloadWithType(handset, () => handset.locator('#download').click());
    expect(profile.type).toBe('application/x-apple-aspen-config');
    expect(profileOf(profile.body).PayloadContent[0]).toMatchObject({ EmailAccountName: 'Anna Berg', IncomingMailServerHostName: 'mail2.nstu.ru' });
    expect(problemsOf(page)).toEqual([]);
    expect(problemsOf(handset)).toEqual([]);
  });
});

describe('2. changing a list', () => {
  it('keeps the typed name and the focus, and the arrow keys reach the third option (phone, en)', async () => {
    const page = await lab.person(phone('en'));
    await page.goto(`${lab.base}/setup?email=boss@example.com&provider=rackcorp&device=ios`);
    // A mark in the page survives only if the page is never reloaded.
    await page.evaluate('window.stillTheSamePage = true');
    const samePage = async () => expect(await page.evaluate('window.stillTheSamePage === true')).toBe(true);
    await page.locator('#name').fill('Bo Ss');
    // Keyboard only: back from the name to the lists.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focusedId(page)).toBe('variant');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#variant').inputValue()).toBe('mn');
    await eventually(async () => expect(await text(page, '#summary')).toContain('mail.mn.rackcorp.com'));
    expect(await focusedId(page)).toBe('variant');
    expect(await page.locator('#name').inputValue()).toBe('Bo Ss');
    await samePage();
    expect(page.url()).toContain('variant=mn');
    // The account type: the third option too.
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('type');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#type').inputValue()).toBe('exchange');
    await eventually(async () => expect(await text(page, '#summary')).toContain('mail.ex1.rackcorp.com'));
    await eventually(async () => expect(await text(page, '#next-steps')).toContain('Open Mail, Calendar or Contacts'));
    expect(await focusedId(page)).toBe('type');
    await samePage();
    await screenshot(page, 'journey-2-choices-phone-en');
    const file = await downloadWithType(page, () => page.locator('#download').click());
    const payload = profileOf(file.body).PayloadContent[0]!;
    expect(payload).toMatchObject({ PayloadType: 'com.apple.eas.account', Host: 'mail.ex1.rackcorp.com' });
    expect(problemsOf(page)).toEqual([]);
  });

  it('works the same on a Mac desktop in Russian', async () => {
    const page = await lab.person(desktop('ru', MAC_UA));
    await page.goto(`${lab.base}/setup?email=boss@example.com&provider=rackcorp&device=macos`);
    await page.locator('#name').fill('Борис');
    await page.locator('#variant').focus();
    await page.keyboard.press('ArrowDown');
    await eventually(async () => expect(await text(page, '#summary')).toContain('mail.us.rackcorp.com'));
    expect(await focusedId(page)).toBe('variant');
    expect(await page.locator('#name').inputValue()).toBe('Борис');
    await eventually(async () => expect(await page.locator('#choices-status').innerText()).toContain('Обновлено'));
    const file = await downloadWithType(page, () => page.locator('#download').click());
    const profile = profileOf(file.body, 'macOS');
    expect(profile.PayloadContent[0]).toMatchObject({ IncomingMailServerHostName: 'mail.us.rackcorp.com', EmailAccountName: 'Борис' });
  });
});

describe('3. provider notes one can act on', () => {
  it('links the university instructions and names the provider as people know it (phone, ru)', async () => {
    const page = await lab.person(phone('ru'));
    await page.goto(`${lab.base}/setup?email=ivan.petrov@nstu.ru&device=ios`);
    const note = page.locator('#provider-notes a', { hasText: 'Инструкция университета' });
    expect(await note.getAttribute('href')).toBe('https://kb.nstu.ru/it:mail:settings');
    expect(await text(page, '#summary .provider')).toContain('НГТУ');
    await screenshot(page, 'journey-3-notes-nstu-ru');
  });

  it('says "app password" in the steps when the provider needs one, with the link (phone, en; desktop, sv)', async () => {
    const page = await lab.person(phone('en'));
    await page.goto(`${lab.base}/setup?email=olga@mail.ru&device=ios`);
    expect(await page.locator('#provider-notes a').getAttribute('href')).toBe('https://help.mail.ru/mail/security/protection/external');
    const steps = await text(page, '#next-steps');
    expect(steps).toContain('type the app password you created for Mail.ru, not your usual Mail.ru password');
    expect(steps).not.toContain('Type your mail password');
    expect(await page.locator('#next-steps a', { hasText: 'Create an app password' }).getAttribute('href')).toBe(
      'https://help.mail.ru/mail/security/protection/external',
    );
    const computer = await lab.person(desktop('sv'));
    await computer.goto(`${lab.base}/setup?email=olga@mail.ru&device=outlook`);
    expect(await text(computer, '#next-steps')).toContain('skriv applösenordet du skapade för Mail.ru');
  });
});

describe('4. Outlook', () => {
  it.each(['en', 'ru'] as const)('puts classic-versus-new first, with help for both and for the hidden folder (%s)', async (language) => {
    const page = await lab.person(desktop(language));
    await page.goto(`${lab.base}/setup?email=olga.ivanova@mail.ru&device=outlook`);
    // Which Outlook comes before what you get and before the download.
    const which = await box(page, '#which-outlook');
    expect(which.y).toBeLessThan((await box(page, '#summary')).y);
    expect(which.y).toBeLessThan(900);
    // "The settings to type" leads to them, on this page.
    const settingsLink = page.locator('#which-outlook a');
    expect(await settingsLink.getAttribute('href')).toBe('#outlook-settings');
    await settingsLink.click();
    expect(await text(page, '#outlook-settings')).toContain('imap.mail.ru');
    // The pack makes the new profile the default: said before the button.
    expect((await box(page, '#default-profile')).y).toBeLessThan((await box(page, '#download')).y);
    const step2 = await text(page, '#next-steps li:nth-child(2)');
    expect(step2).toContain('C:\\ProgramData\\Test University IT\\mailsetup');
    expect(step2).toContain(language === 'en' ? 'Extract All' : 'Извлечь все');
    await screenshot(page, `journey-4-outlook-${language}`);
    const file = await downloadWithType(page, () => page.locator('#download').click());
    expect(file.type).toBe('application/zip');
    const readme = (await readZipEntries(file.body)).get('README.txt')!.toString('utf8');
    // The README says what the page says: extract the ZIP into that folder.
    expect(readme).toContain(language === 'en' ? 'Extract All' : 'Извлечь все');
    expect(readme).toContain('C:\\ProgramData\\Test University IT\\mailsetup');
    expect(readme).not.toMatch(/Copy .* into this folder|Скопируйте/);
  });

  it('on the steps page alone, points the new Outlook at the settings list', async () => {
    const page = await lab.person(desktop('en'));
    await page.goto(`${lab.base}/instructions/outlook`);
    expect(await page.locator('#which-outlook a').getAttribute('href')).toBe('/settings?lang=en');
    expect(await page.locator('#next-steps, .steps').first().locator('a', { hasText: 'Open the setup page' }).getAttribute('href')).toBe(
      '/?device=outlook&lang=en',
    );
  });
});

describe('5. RackCorp customers', () => {
  it('are asked "hosted by RackCorp?" first, and one tap sets them up (phone, sv)', async () => {
    const page = await lab.person(phone('sv'));
    await page.goto(`${lab.base}/`);
    await page.locator('#email').fill('anna@example.se');
    await page.locator('#start-form button[type=submit]').click();
    await page.locator('#hosting').waitFor();
    // Both bundled providers that host any domain are offered, each as a main button.
    expect(await text(page, '#hosting h2')).toBe('Finns din e-post hos någon av de här leverantörerna?');
    const choose = page.locator('#hosting button', { hasText: 'RackCorp' });
    expect(await choose.getAttribute('class')).toBe('primary');
    expect((await box(page, '#hosting')).y).toBeLessThan((await box(page, '#manual')).y);
    await screenshot(page, 'journey-5-rackcorp-sv');
    await choose.click();
    await eventually(async () => expect(await text(page, '#summary')).toContain('mail.rackcorp.com'));
    const file = await downloadWithType(page, () => page.locator('#download').click());
    expect(profileOf(file.body).PayloadContent[0]).toMatchObject({ IncomingMailServerHostName: 'mail.rackcorp.com' });
  });

  it('with RackCorp as the default, hear it said positively (desktop, en)', async () => {
    const base = await lab.serve({ MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' });
    const page = await lab.person(desktop('en'));
    await page.goto(`${base}/`);
    await page.locator('#email').fill('boss@customer.example');
    await eventually(async () => expect(await page.locator('#preview').innerText()).toContain('RackCorp'));
    await page.locator('input[name=device][value=macos]').check();
    await page.locator('#start-form button[type=submit]').click();
    await page.locator('#summary').waitFor();
    const summary = await text(page, '#summary');
    expect(summary).toContain('Hosted by RackCorp? Then this is your setup');
    expect(await page.locator('body').innerText()).not.toMatch(/do not know/i);
  });
});

describe('6. typing the servers by hand', () => {
  it('names each missing field, with hints instead of grey values (phone, en)', async () => {
    const page = await lab.person(phone('en'));
    await page.goto(`${lab.base}/setup?email=anna@example.se&device=ios`);
    expect(await page.locator('#incoming_host').getAttribute('placeholder')).toBeNull();
    expect(await page.locator('#incoming_port').getAttribute('placeholder')).toBeNull();
    expect(await text(page, '#incoming_host-hint')).toBe('For example imap.example.com.');
    await page.locator('#download').click();
    await page.locator('#error-summary').waitFor();
    expect(await focusedId(page)).toBe('error-summary');
    const items = await eachOf(page, '#error-summary a', 'href', 'text');
    expect(items).toEqual([
      ['#incoming_host', 'Type the incoming mail server, such as imap.example.com.'],
      ['#outgoing_host', 'Type the outgoing mail server, such as smtp.example.com.'],
    ]);
    expect(await page.locator('#incoming_host').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'journey-6-manual-errors-en');
    await page.locator('#error-summary a').first().click();
    expect(await focusedId(page)).toBe('incoming_host');
    await page.locator('#incoming_host').fill('imap.example.se');
    await page.locator('#outgoing_host').fill('smtp.example.se');
    const file = await downloadWithType(page, () => page.locator('#download').click());
    expect(profileOf(file.body).PayloadContent[0]).toMatchObject({
      IncomingMailServerHostName: 'imap.example.se',
      OutgoingMailServerHostName: 'smtp.example.se',
    });
  });

  it('says the same in Russian on a Mac', async () => {
    const page = await lab.person(desktop('ru', MAC_UA));
    await page.goto(`${lab.base}/setup?email=anna@example.se&device=macos`);
    await page.locator('#outgoing_host').fill('smtp.example.se');
    await page.locator('#download').click();
    await page.locator('#error-summary').waitFor();
    expect(await text(page, '#error-summary')).toContain('Введите сервер входящей почты');
    expect(await text(page, '#error-summary')).not.toContain('исходящей');
    expect(await page.locator('#outgoing_host').inputValue()).toBe('smtp.example.se');
  });
});

describe('7. Android and other programs', () => {
  it.each(['en', 'ru'] as const)('an Android phone gets the Gmail app steps first, the servers once, and copy buttons (%s)', async (language) => {
    const page = await lab.person({ ...phone(language, ANDROID_UA), permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(`${lab.base}/`);
    expect(await page.locator('input[name=device][value=thunderbird]').isChecked()).toBe(true);
    await page.goto(`${lab.base}/setup?email=ivan.petrov@nstu.ru&device=thunderbird`);
    const programs = await page.locator('.program h3').allInnerTexts();
    expect(programs[0]).toBe(language === 'en' ? 'Android (Gmail app)' : 'Android (приложение Gmail)');
    expect(programs).toHaveLength(4);
    expect(await page.locator('table.servers').count()).toBe(2);
    expect(await page.locator('body').innerText()).not.toContain(language === 'en' ? 'None (unencrypted)' : 'Нет (без шифрования)');
    expect(await page.locator('#summary a', { hasText: language === 'en' ? 'on a page of their own' : 'на отдельной странице' }).getAttribute('href')).toBe(
      `/settings/nstu/default?email=ivan.petrov%40nstu.ru&lang=${language}`,
    );
    const copy = page.locator('#summary button.copy').first();
    expect(await copy.isVisible()).toBe(true);
    await copy.click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe('mail2.nstu.ru');
    await eventually(async () => expect(await page.locator('#live').innerText()).toBe(language === 'en' ? 'Copied' : 'Скопировано'));
    await screenshot(page, `journey-7-android-${language}`);
    expect(problemsOf(page)).toEqual([]);
  });

  it('a Windows desktop gets Thunderbird first, and the plain-text warning only where a server is unencrypted (sv)', async () => {
    const page = await lab.person(desktop('sv'));
    await page.goto(`${lab.base}/setup?email=boss@example.com&provider=rackcorp&device=thunderbird`);
    expect(await page.locator('.program h3').first().innerText()).toBe('Thunderbird');
    expect(await page.locator('#summary').innerText()).toContain('Ingen (okrypterad)');
    expect(await page.locator('body').innerText()).toContain('"Ingen (okrypterad)" skickar lösenordet i klartext');
  });
});

describe('8. texts', () => {
  it('the iPhone steps alone point at the setup page; the Exchange row has its port; lists fit a phone (en)', async () => {
    const page = await lab.person(phone('en'));
    await page.goto(`${lab.base}/instructions/ios`);
    expect(await text(page, '.steps li:first-child')).toMatch(/^On the iPhone or iPad, open the setup page in Safari/);
    expect(await page.locator('.steps li:first-child a').getAttribute('href')).toBe('/?device=ios&lang=en');
    expect(await page.locator('.steps svg.art').getAttribute('role')).toBe('img');
    await page.goto(`${lab.base}/setup?email=boss@example.com&provider=rackcorp&type=exchange&device=ios`);
    expect(await text(page, '#summary tbody tr')).toContain('mail.ex1.rackcorp.com 443');
    expect(await text(page, '#next-steps')).toContain('Open Mail, Calendar or Contacts: the account brings all three.');
    // Every account-type option fits the list at 390 px.
    const fits = await page.evaluate(`(() => {
      const select = document.getElementById('type');
      const style = getComputedStyle(select);
      const context = document.createElement('canvas').getContext('2d');
      context.font = style.font;
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 24;
      return [...select.options].map((o) => [o.text, context.measureText(o.text).width <= room]);
    })()`);
    expect(fits).toEqual([
      ['IMAP', true],
      ['POP', true],
      ['Exchange', true],
    ]);
  });

  it('Russian texts are grammatical and Yandex has its Russian name (ru)', async () => {
    const page = await lab.person(phone('ru'));
    await page.goto(`${lab.base}/settings/rackcorp/global`);
    const body = await page.locator('body').innerText();
    expect(body).toContain('только если ничего другого не помогает');
    expect(body).not.toContain('ничего другое');
    await page.goto(`${lab.base}/setup?email=petr@yandex.ru&device=ios`);
    expect(await text(page, '#summary .provider')).toContain('Яндекс Почта');
  });
});

describe('11. small things', () => {
  it('confirms the download, serves a favicon, compresses pages but not the profile (phone, en)', async () => {
    const page = await lab.person(phone('en'));
    const response = await page.goto(`${lab.base}/setup?email=ivan.petrov@nstu.ru&device=ios`);
    expect(response!.headers()['content-encoding']).toBe('br');
    const icon = await page.request.get(`${lab.base}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/x-icon');
    const file = await downloadWithType(page, () => page.locator('#download').click());
    expect(file.encoding).toBeUndefined();
    profileOf(file.body);
    await eventually(async () => expect(await page.locator('#download-status').isVisible()).toBe(true));
    expect(await text(page, '#download-status')).toBe('The profile was downloaded. Now open Settings: Profile Downloaded is near the top.');
    expect(await focusedId(page)).toBe('next-steps');
    await screenshot(page, 'journey-11-downloaded-en', false);
    expect(problemsOf(page)).toEqual([]);
  });

  it('offers "did you mean" for a mistyped domain, never applying it by itself (phone, ru)', async () => {
    const page = await lab.person(phone('ru'));
    await page.goto(`${lab.base}/`);
    await page.locator('#email').fill('olga@mail.rj');
    const offer = page.locator('#preview .suggestion button');
    await offer.waitFor();
    expect(await text(page, '#preview .suggestion')).toBe('Возможно, вы имели в виду olga@mail.ru?');
    expect(await page.locator('#email').inputValue()).toBe('olga@mail.rj');
    await offer.click();
    expect(await page.locator('#email').inputValue()).toBe('olga@mail.ru');
    await eventually(async () => expect(await page.locator('#preview').innerText()).toContain('imap.mail.ru'));
    // Going on with the typo: the setup page offers the fix too.
    await page.goto(`${lab.base}/setup?email=petr@yandex.ry&device=ios`);
    expect(await page.locator('#suggestion a').getAttribute('href')).toBe('/setup?email=petr%40yandex.ru&device=ios&lang=ru');
  });
});
