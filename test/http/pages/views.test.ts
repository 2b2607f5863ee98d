// The pages' view models, called directly: what each page shows follows from its inputs alone.
import { describe, expect, it } from '@jest/globals';
import { MailsetupError } from '../../../src/errors.js';
import { translator } from '../../../src/i18n.js';
import { isEmailParts, parseEmail, type EmailParts } from '../../../src/model/rules.js';
import { ProviderCatalog, variantOf } from '../../../src/providers/catalog.js';
import { instructionView } from '../../../src/http/pages/instructions.js';
import { providersView, settingsView } from '../../../src/http/pages/settings.js';
import { setupView, wantsQr, type SetupViewInput } from '../../../src/http/pages/setup.js';
import { startView } from '../../../src/http/pages/start.js';
import { clientInfo } from '../../../src/http/user-agent.js';
import { previewSetup } from '../../../src/service/preview.js';
import { testConfig } from '../helpers.js';

const catalog = ProviderCatalog.load();
const config = testConfig();
const en = translator('en');
const IPHONE = clientInfo(
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
);
const WINDOWS = clientInfo('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36');

function email(address: string): EmailParts {
  const parts = parseEmail(address);
  if (!isEmailParts(parts)) throw new Error(`${address} does not parse`);
  return parts;
}

function setup(address: string, extra: Partial<SetupViewInput> & { choices?: Record<string, string> } = {}) {
  const { choices = {}, ...rest } = extra;
  const values = { email: address, ...choices };
  return setupView({
    values,
    preview: previewSetup({ email: email(address), ...choices }, catalog),
    device: 'ios',
    client: IPHONE,
    language: 'en',
    config,
    catalog,
    ...rest,
  });
}

describe('the start view', () => {
  it('keeps what was typed, preselects the likely device and puts errors next to the field', () => {
    const view = startView({ email: 'ivan@nstu' }, WINDOWS, en, new MailsetupError('INVALID_INPUT', 'bad', { field: 'email', rule: 'email-domain' }));
    expect(view.email).toBe('ivan@nstu');
    expect(view.devices.find((d) => d.checked)?.id).toBe('outlook');
    expect(view.errors).toEqual({ email: 'The part after @ is not a valid mail domain.' });
    expect(view.errorList).toEqual([{ field: 'email', message: 'The part after @ is not a valid mail domain.' }]);
  });
});

describe('the setup view', () => {
  it('summarises a known provider with its choices', () => {
    const { view, status } = setup('ivan.petrov@nstu.ru');
    expect(status).toBe(200);
    expect(view).toMatchObject({ known: true, manual: false, kindId: 'imap', fileAvailable: true, isApple: true });
    expect(view.summary).toMatchObject({
      providerName: 'NSTU',
      rows: [
        { host: 'mail2.nstu.ru', port: 993 },
        { host: 'mail2.nstu.ru', port: 587 },
      ],
    });
    expect((view.kinds as { id: string }[]).map((k) => k.id)).toEqual(['imap', 'pop']);
    expect(view.variants).toBeUndefined();
  });

  it('asks for servers by hand when nobody serves the domain, offering the hosting providers', () => {
    const { view } = setup('anna@example.se');
    expect(view).toMatchObject({
      known: false,
      manual: true,
      summary: undefined,
      hostingProviders: [
        { id: 'microsoft365', name: 'Microsoft 365' },
        { id: 'rackcorp', name: 'RackCorp' },
      ],
    });
    expect((view.manualServers as { role: string }[]).map((s) => s.role)).toEqual(['incoming', 'outgoing']);
  });

  it('shows a refused choice as an error beside the fallback, with its status', () => {
    const { view, status } = setup('boss@example.com', { choices: { provider: 'rackcorp', variant: 'mars' } });
    expect(status).toBe(400);
    expect(view.errors).toEqual({ variant: 'Choose one of the listed regions.' });
    expect(view.variantId).toBe('global');
  });

  it('offers the Outlook versions newest first, 2016 chosen unless asked', () => {
    const { view } = setup('ivan@nstu.ru', { device: 'outlook', client: WINDOWS, choices: { outlook: '2013' } });
    expect(view.outlookVersions).toEqual([
      expect.objectContaining({ id: '2016', selected: false }),
      expect.objectContaining({ id: '2013', selected: true }),
      expect.objectContaining({ id: '2010', selected: false }),
    ]);
  });

  it('gives Thunderbird the settings tables and no file', () => {
    const { view } = setup('ivan@nstu.ru', { device: 'thunderbird', client: WINDOWS });
    expect(view).toMatchObject({ noFile: true, fileAvailable: false });
    expect(view.settingsRows).toBeDefined();
  });

  it('keeps the choices in the language links', () => {
    expect(setup('boss@example.com', { choices: { provider: 'rackcorp', variant: 'us', type: 'pop' } }).languagePath).toBe(
      '/setup?email=boss%40example.com&device=ios&provider=rackcorp&variant=us&type=pop',
    );
  });
});

describe('when a QR code is offered', () => {
  const nstu = previewSetup({ email: email('ivan@nstu.ru') }, catalog);
  it('only for an iPhone or iPad set up from a computer, once the setup is sound', () => {
    expect(wantsQr(nstu, 'ios', WINDOWS)).toBe(true);
    expect(wantsQr(nstu, 'ios', IPHONE)).toBe(false);
    expect(wantsQr(nstu, 'macos', WINDOWS)).toBe(false);
    expect(wantsQr(nstu, 'ios', WINDOWS, new MailsetupError('INVALID_INPUT', 'x', { field: 'name', rule: 'max-length' }))).toBe(false);
    expect(wantsQr(previewSetup({ email: email('anna@example.se') }, catalog), 'ios', WINDOWS)).toBe(false);
  });
});

describe('the other views', () => {
  it('instructions name the configured Outlook folder and the macOS profiles link', () => {
    expect(instructionView('outlook', config)).toMatchObject({ isOutlook: true, outlookFolder: 'C:\\ProgramData\\Test University IT\\mailsetup' });
    expect(instructionView('macos', config).settingsDeepLink).toBe('x-apple.systempreferences:com.apple.preferences.configurationprofiles');
  });

  it('the provider list links every variant', () => {
    const view = providersView(catalog, 'ru', false);
    const rackcorp = view.providers.find((p) => p.name === 'RackCorp')!;
    expect(rackcorp.variants.map((v) => v.href)).toEqual(['/settings/rackcorp/global', '/settings/rackcorp/us', '/settings/rackcorp/mn']);
    expect(rackcorp.variants[2]!.label).toBe('Монголия');
  });

  it('a settings page links the other variants, keeping the address', () => {
    const rackcorp = catalog.get('rackcorp');
    const view = settingsView(rackcorp, variantOf(rackcorp, 'us'), email('boss@example.com'), 'en', en);
    expect(view.otherVariants?.find((v) => v.current)?.label).toBe('United States');
    expect(view.otherVariants?.[0]?.href).toBe('/settings/rackcorp/global?email=boss%40example.com');
  });
});
