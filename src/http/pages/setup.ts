// Step two: the summary of what the address gets, the choices the provider offers, the download
// form and the steps for the device. POST /download answers with the file, or with this page and
// the errors next to their fields.
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Config } from '../../config.js';
import { MailsetupError } from '../../errors.js';
import { DEFAULT_OUTLOOK_VERSION } from '../../formats/prf.js';
import { FORMATS, isFormatId } from '../../formats/registry.js';
import { translator, type Translate } from '../../i18n.js';
import type { AccountKind } from '../../model/account.js';
import { DEFAULT_PORTS } from '../../model/defaults.js';
import { localize, providerName, type Language } from '../../model/provider.js';
import { OUTLOOK_VERSIONS } from '../../model/request.js';
import { parseEmail, type EmailParts } from '../../model/rules.js';
import type { ProviderCatalog } from '../../providers/catalog.js';
import { parseGenerateRequest } from '../../service/generate.js';
import { previewSetup, type SetupPreview } from '../../service/preview.js';
import { testSettings, type SettingsTestResult } from '../../discovery/settings-test.js';
import { requireDiscovery } from '../discover-api.js';
import { discoveredPage, testResultsView, type DiscoveredPage } from '../discovery-view.js';
import { inlineGeneration } from '../generation.js';
import { locals } from '../middleware.js';
import { sendGeneratedFile } from '../send-file.js';
import { clientInfo, isWebDevice, likelyDevice, type ClientInfo, type WebDevice } from '../user-agent.js';
import {
  accountRows,
  hostingProviders,
  kindChoices,
  kindLabel,
  parsedEmail,
  providerExtras,
  securityChoices,
  settingsTables,
  variantChoices,
} from '../views.js';
import { webError } from '../web-error.js';
import { instructionView } from './instructions.js';
import {
  confirmDownload,
  fieldsOf,
  fileOnce,
  formBody,
  formLanguage,
  manualServersOf,
  mergedFieldErrors,
  pageSender,
  queryOf,
  SERVER_FIELDS,
  SETUP_FIELDS,
  type Fields,
  type PageKit,
} from './kit.js';
import { qrFor, type QrView } from './qr-link.js';
import { startPage } from './start.js';

/** The file each device gets; Thunderbird and other programs set themselves up or take the manual settings. */
export const DEVICE_FORMAT: Record<WebDevice, string | undefined> = {
  ios: 'mobileconfig',
  macos: 'mobileconfig',
  outlook: 'outlook-pack',
  thunderbird: undefined,
};

/** The incoming and outgoing fieldsets of the form for an address no provider knows: examples as hints, never as grey values. */
export function manualServers(values: Fields, errors: Record<string, string>, t: Translate) {
  const server = (role: 'incoming' | 'outgoing', protocol: 'imap' | 'smtp', kinds: readonly AccountKind[]) => ({
    role,
    legend: t(`web.manual.${role}`),
    host: values[`${role}_host`],
    port: values[`${role}_port`],
    hostHint: t(`web.manual.${role}HostHint`),
    portHint: t('web.manual.portHint', { ssl: DEFAULT_PORTS[protocol].SSL, starttls: DEFAULT_PORTS[protocol].STARTTLS }),
    hostError: errors[`${role}_host`],
    portError: errors[`${role}_port`],
    securities: securityChoices(values[`${role}_security`], t),
    // Only the incoming server has a protocol to choose (the outgoing one is always SMTP).
    kinds: kinds.map((k) => ({ id: k, label: t(`web.kind.short.${k}`), hint: t(`web.kind.hint.${k}`), selected: k === values.type })),
  });
  return [server('incoming', 'imap', ['imap', 'pop']), server('outgoing', 'smtp', [])];
}

/**
 * A QR code only makes sense for an iPhone or iPad set up from a computer, once the setup is sound:
 * a provider's, or the servers discovery found for an address no provider serves.
 */
export function wantsQr(preview: SetupPreview, device: WebDevice, client: ClientInfo, error?: MailsetupError, discovered?: DiscoveredPage): boolean {
  const sound = preview.resolved !== undefined || (preview.provider === undefined && discovered?.found === true);
  return device === 'ios' && !client.mobile && !error && preview.problems.length === 0 && sound;
}

/** The found servers as the fields a link carries. */
function serversOf(discovered: DiscoveredPage | undefined): Fields | undefined {
  if (!discovered?.found) return undefined;
  return fieldsOf(Object.fromEntries(discovered.hidden.map(({ name, value }) => [name, value])), SERVER_FIELDS);
}

export interface SetupViewInput {
  values: Fields;
  preview: SetupPreview;
  device: WebDevice;
  client: ClientInfo;
  language: Language;
  config: Pick<Config, 'allowPasswordEmbedding' | 'outlookFolder'>;
  catalog: ProviderCatalog;
  /** What the download form was refused for. */
  error?: MailsetupError | undefined;
  qr?: QrView | undefined;
  /** An unknown domain's servers as discovery found them (or why not). */
  discovered?: DiscoveredPage | undefined;
  /** "Test these settings": what connecting to the typed servers gave. */
  tested?: SettingsTestResult | undefined;
  /** Discovery is on, so typed servers can be tested. */
  canDiscover?: boolean | undefined;
}

export interface SetupView {
  view: Record<string, unknown>;
  status: number;
  /** The footer's manual settings link: the provider's own. */
  settingsHref: string | undefined;
  /** The language links keep the address and the choices. */
  languagePath: string;
}

export function setupView(input: SetupViewInput): SetupView {
  const { values, preview, device, client, language, config, error, discovered } = input;
  const t = translator(language);
  const { email, provider, match, variant, kinds, kind, resolved } = preview;
  const problems = [...(error ? [error] : []), ...preview.problems];
  const format = DEVICE_FORMAT[device];
  const fileAvailable = format !== undefined && isFormatId(format);
  const noFile = format === undefined;
  const name = provider ? providerName(provider, language) : undefined;
  const summary =
    provider && variant && kind && resolved
      ? {
          providerName: name,
          variantName: provider.variants.length > 1 ? localize(variant.name, language, variant.id) : undefined,
          kindLabel: kindLabel(kind, t),
          rows: accountRows(resolved.account, t),
        }
      : undefined;
  const errors = mergedFieldErrors(problems, t);
  // Servers found for an unknown domain stand in for a provider: the download form carries them.
  const useDiscovered = provider === undefined && discovered?.found === true;
  const hosting = provider || useDiscovered ? [] : hostingProviders(input.catalog, language);
  const settingsHref =
    provider && variant ? `/settings/${provider.id}/${variant.id}?${new URLSearchParams({ email: email.address, lang: language }).toString()}` : undefined;
  const extras = provider ? providerExtras(provider, variant, language) : undefined;
  // Settings to type: what Thunderbird and other programs need, and what the new Outlook needs.
  const typesSettings = device === 'thunderbird' || device === 'outlook';
  const settingsRows = !typesSettings
    ? undefined
    : provider && variant
      ? settingsTables(provider, variant, t, email)
      : useDiscovered
        ? discovered.settingsRows
        : undefined;
  // On a computer, an iPhone or iPad setup is handed to the phone: the QR code leads, the download follows.
  const handoff = input.qr !== undefined;
  // The account-type choice matters for a file; programs that take settings read the tables instead.
  const showKinds = !noFile && variant !== undefined && kinds.length > 1;
  const showVariants = provider !== undefined && provider.variants.length > 1;
  const view = {
    email: email.address,
    device,
    deviceLabel: t(`web.device.${device}`),
    changeHref: `/?${new URLSearchParams({ email: email.address, device, lang: language }).toString()}`,
    known: provider !== undefined,
    viaDefault: match === 'default',
    providerId: match === 'named' ? provider?.id : undefined,
    providerName: name,
    summary,
    variants: showVariants ? variantChoices(provider, variant?.id, language) : undefined,
    kinds: showKinds ? kindChoices(variant, kind, t) : undefined,
    hasChoices: showVariants || showKinds,
    variantId: variant?.id,
    kindId: kind,
    hostingProviders: hosting.length ? hosting : undefined,
    hostingTitle: hosting.length === 1 ? t('web.hosting.titleOne', { name: hosting[0]!.name }) : t('web.hosting.titleMany'),
    manual: provider === undefined && !useDiscovered,
    discovery: discovered?.view,
    discovered: useDiscovered ? discovered.hidden : undefined,
    tested: input.tested ? testResultsView(input.tested, t) : undefined,
    canTest: input.canDiscover === true && provider === undefined && !useDiscovered,
    manualValues: values,
    manualServers: provider || useDiscovered ? undefined : manualServers(values, errors.byField, t),
    extras,
    hasCalendars: Boolean(kind !== 'exchange' && (variant?.caldav || variant?.carddav)),
    settingsHref,
    name: values.name ?? '',
    fileAvailable,
    fileMissing: format !== undefined && !fileAvailable,
    noFile,
    isApple: device === 'ios' || device === 'macos',
    handoff,
    stepsHeading: t(noFile ? 'web.steps.headingManual' : handoff ? 'web.steps.headingPhone' : 'web.steps.heading'),
    downloadDone: t(`web.download.done.${device}`),
    outlookVersions:
      device === 'outlook' && fileAvailable
        ? [...OUTLOOK_VERSIONS].reverse().map((v) => ({ id: v, label: t(`web.outlook.v${v}`), selected: v === (values.outlook ?? DEFAULT_OUTLOOK_VERSION) }))
        : undefined,
    allowPassword: config.allowPasswordEmbedding && format !== undefined && fileAvailable,
    passwordWasGiven: error?.field !== 'password' && Boolean(error) && config.allowPasswordEmbedding,
    iosNotSafari: device === 'ios' && client.iosNotSafari,
    errors: errors.byField,
    errorList: errors.list,
    suggestion: preview.suggestion
      ? {
          address: preview.suggestion,
          href: `/setup?${queryOf({ ...values, email: preview.suggestion, device, lang: language }, ['email', 'device', 'lang']).toString()}`,
        }
      : undefined,
    qr: input.qr,
    settingsRows,
    ...instructionView(
      device,
      config,
      {
        kind,
        appPassword: extras?.appPassword,
        client,
        outlookSettingsHref: settingsRows ? '#outlook-settings' : `/settings?lang=${language}`,
      },
      t,
    ),
  };
  return {
    view,
    status: problems.length ? Math.max(...problems.map((p) => p.status)) : 200,
    settingsHref,
    languagePath: `/setup?${queryOf({ ...values, device }, ['email', 'device', 'provider', 'variant', 'type']).toString()}`,
  };
}

/** The refusal for an address that does not parse, in the shared rules' words. */
function emailError(value: string | undefined): MailsetupError {
  const problem = parseEmail(value ?? '');
  const rule = 'rule' in problem ? problem.rule : 'email-format';
  return new MailsetupError('INVALID_INPUT', 'error' in problem ? problem.error : rule, { field: 'email', rule });
}

export type SetupPage = (req: Request, res: Response, values: Fields, error?: MailsetupError, tested?: SettingsTestResult) => Promise<void>;

const passThrough: RequestHandler = (_req, _res, next) => next();

/** The rate limit for connections out, applied inside a page: a refusal becomes a message, not an error page. */
function limited(limit: RequestHandler, req: Request, res: Response): Promise<MailsetupError | undefined> {
  return new Promise((resolve) => {
    void limit(req, res, (thrown?: unknown) => resolve(thrown instanceof MailsetupError ? thrown : undefined));
  });
}

/** An unknown domain's servers, found before the setup page is shown (so it needs no JavaScript). */
async function discoveryFor(kit: PageKit, req: Request, res: Response, email: EmailParts, t: Translate): Promise<DiscoveredPage | undefined> {
  const discovery = kit.deps.discovery;
  if (!discovery?.enabled) return undefined;
  const refusal = await limited(kit.discoveryLimit ?? passThrough, req, res);
  if (refusal) return { found: false, view: { notFound: t('web.error.discovery-rate-limit'), warnings: [] }, hidden: [], settingsRows: undefined };
  return discoveredPage(await discovery.discover({ email }), email, t);
}

export function setupPage(kit: PageKit): SetupPage {
  const page = pageSender(kit);
  const start = startPage(kit);
  const { config, catalog } = kit.deps;
  return async (req, res, asked, error, tested) => {
    let values = asked;
    const language = locals(res).language;
    const email: EmailParts | undefined = parsedEmail(values.email);
    if (!email) return start(req, res, values, emailError(values.email));
    const client = clientInfo(req.get('user-agent'));
    const device: WebDevice = isWebDevice(values.device) ? values.device : likelyDevice(client);
    let preview = previewSetup({ email, provider: values.provider, variant: values.variant, type: values.type }, catalog);
    // Servers typed by hand (or coming back from a failed download) are the person's own: no discovery then.
    const typed = Boolean(values.incoming_host || values.outgoing_host);
    const discovered = !preview.provider && !typed ? await discoveryFor(kit, req, res, email, translator(language)) : undefined;
    // The domain's MX points at a provider we know: set it up as that provider's, as if the person had chosen it.
    if (discovered?.provider) {
      values = { ...values, provider: discovered.provider.id, variant: values.variant ?? discovered.provider.variant };
      preview = previewSetup({ email, provider: values.provider, variant: values.variant, type: values.type }, catalog);
    }
    const servers = preview.provider ? undefined : serversOf(discovered);
    const qr = wantsQr(preview, device, client, error, discovered)
      ? await qrFor(
          kit,
          req,
          {
            email: email.address,
            device: 'ios',
            provider: preview.match === 'named' ? preview.provider?.id : undefined,
            variant: preview.variant?.id,
            type: servers ? discovered?.hidden.find((h) => h.name === 'type')?.value : preview.kind,
            ...(servers ? { servers } : {}),
            language,
          },
          translator(language),
        )
      : undefined;
    const canDiscover = Boolean(kit.deps.discovery?.enabled);
    const result = setupView({ values, preview, device, client, language, config, catalog, error, qr, discovered, tested, canDiscover });
    page(req, res, 'setup', 'web.setup.title', result.view, {
      status: result.status,
      manualHref: result.settingsHref,
      languagePath: result.languagePath,
      wide: qr !== undefined,
    });
  };
}

/** The fields a download form carries. */
const DOWNLOAD_FIELDS = [...SETUP_FIELDS, 'password', 'manual'] as const;

/** The generate request a download form describes. */
export function requestFromForm(body: unknown, language: Language) {
  const v = fieldsOf(body, DOWNLOAD_FIELDS);
  // The password is kept exactly as typed: spaces can be part of it.
  const rawPassword = (body as Record<string, unknown> | undefined)?.password;
  const password = typeof rawPassword === 'string' && rawPassword !== '' ? rawPassword : undefined;
  const device = isWebDevice(v.device) ? v.device : undefined;
  if (!device) throw webError('INVALID_INPUT', 'device', 'device');
  const format = DEVICE_FORMAT[device];
  if (format === undefined) throw webError('UNSUPPORTED', 'device', 'no-file');
  if (!isFormatId(format)) throw webError('UNSUPPORTED', 'device', 'format-unavailable');
  // The hand-entry form says it is one, so empty server fields are named as missing, not taken for a known domain.
  const manual = !v.provider && (v.manual === '1' || v.incoming_host || v.outgoing_host) ? manualServersOf(v) : undefined;
  const input: Record<string, unknown> = {
    email: v.email ?? '',
    name: v.name,
    provider: v.provider,
    variant: manual ? undefined : v.variant,
    type: v.type,
    login: manual ? v.login : undefined,
    password,
    format,
    language,
    manual,
    mailOnly: v.mail_only,
    ...(FORMATS[format].id === 'mobileconfig' ? { device } : {}),
    ...(device === 'outlook' && v.outlook ? { outlook: v.outlook } : {}),
  };
  return { values: v, request: parseGenerateRequest(input) };
}

export function setupRoutes(router: Router, kit: PageKit): void {
  const show = setupPage(kit);
  const generateFile = kit.deps.generate ?? inlineGeneration(kit.deps);

  router.get('/setup', async (req, res) => show(req, res, fieldsOf(req.query, SETUP_FIELDS)));

  router.post('/download', kit.generationLimit, formBody, async (req, res) => {
    const language = formLanguage(req, res);
    let values = fieldsOf(req.body, SETUP_FIELDS);
    try {
      const parsed = requestFromForm(req.body, language);
      values = parsed.values;
      const file = await fileOnce(req, () => generateFile(parsed.request));
      confirmDownload(req, res, (req.body as Record<string, unknown> | undefined)?.download_id);
      sendGeneratedFile(res, file);
    } catch (thrown) {
      if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
      await show(req, res, values, thrown);
    }
  });

  // "Test these settings": the typed servers connected to for real; a password only from this form's body.
  router.post('/setup/test', kit.discoveryLimit ?? passThrough, formBody, async (req, res) => {
    formLanguage(req, res);
    const v = fieldsOf(req.body, SETUP_FIELDS);
    const rawPassword = (req.body as Record<string, unknown> | undefined)?.password;
    const password = typeof rawPassword === 'string' && rawPassword !== '' ? rawPassword : undefined;
    let tested: SettingsTestResult;
    try {
      tested = await testSettings(
        {
          email: v.email ?? '',
          type: v.type === 'pop' ? 'pop' : 'imap',
          ...manualServersOf(v),
          login: v.login,
          password,
        },
        requireDiscovery(kit.deps),
      );
    } catch (thrown) {
      if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
      // The schema names incoming.host; the form's own names are manual.incoming.host.
      const details = thrown.details.map((d) => ({ ...d, field: /^(incoming|outgoing)\./.test(d.field) ? `manual.${d.field}` : d.field }));
      const error = new MailsetupError(thrown.code, thrown.message, { field: details[0]?.field ?? thrown.field, rule: thrown.rule, details });
      return show(req, res, v, error);
    }
    await show(req, res, v, undefined, tested);
  });
}
