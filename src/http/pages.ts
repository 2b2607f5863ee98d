// The self-service pages: address and device → what you will get → download and the steps for
// that device; QR links for phones; manual settings per provider. Works without JavaScript.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { MailsetupError, type FieldIssue } from '../errors.js';
import { FORMATS, isFormatId } from '../formats/registry.js';
import { isLanguage, translator, type Translate } from '../i18n.js';
import type { AccountKind } from '../model/account.js';
import { DEFAULT_PORTS } from '../model/defaults.js';
import { LANGUAGES, localize, type Language, type Provider } from '../model/provider.js';
import { parseEmail } from '../model/rules.js';
import { derOf, pemOf } from '../model/trust.js';
import { variantOf } from '../providers/catalog.js';
import { dnsSnippet } from '../service/dns.js';
import { parseGenerateRequest } from '../service/generate.js';
import { kindsOffered, resolveAccount } from '../service/resolve.js';
import { readBody } from './body.js';
import { askedHost } from './autodiscovery.js';
import type { AppDeps } from './deps.js';
import { dnsResultView } from './dns-page.js';
import { inlineGeneration } from './generation.js';
import type { LinkTokens } from './link-token.js';
import { locals } from './middleware.js';
import { qrSvg } from './qr.js';
import type { Renderer } from './render.js';
import { contentDisposition, sendGeneratedFile } from './send-file.js';
import { clientInfo, isWebDevice, likelyDevice, WEB_DEVICES, type WebDevice } from './user-agent.js';
import {
  accountRows,
  hostingProviders,
  kindChoices,
  kindLabel,
  lookupEmail,
  parsedEmail,
  providerExtras,
  securityChoices,
  settingsTables,
  variantChoices,
} from './views.js';
import { webError } from './web-error.js';
import { discoveredPage, testResultsView, type DiscoveredPage } from './discovery-view.js';
import { testSettings, type SettingsTestResult } from '../discovery/settings-test.js';
import { requireDiscovery } from './discover-api.js';

/** What a QR link carries: the choices, never a password. */
export interface LinkPayload {
  email: string;
  device: 'ios' | 'macos';
  provider?: string | undefined;
  variant?: string | undefined;
  type?: string | undefined;
  name?: string | undefined;
  language: Language;
}

/** The file each device gets; Thunderbird and other programs set themselves up or take the manual settings. */
const DEVICE_FORMAT: Record<WebDevice, string | undefined> = { ios: 'mobileconfig', macos: 'mobileconfig', outlook: 'outlook-pack', thunderbird: undefined };
const OUTLOOK_VERSIONS = ['2016', '2013', '2010'] as const;

/** Each language's name in itself, for the language links. */
const LANGUAGE_NAMES = Object.fromEntries(LANGUAGES.map((code) => [code, translator(code)('web.language.name')])) as Record<Language, string>;

/** Form field names for the fields errors name. */
const FORM_FIELD: Record<string, string> = {
  'manual.incoming.host': 'incoming_host',
  'manual.incoming.port': 'incoming_port',
  'manual.incoming.socket': 'incoming_security',
  'manual.outgoing.host': 'outgoing_host',
  'manual.outgoing.port': 'outgoing_port',
  'manual.outgoing.socket': 'outgoing_security',
  security: 'type',
  'service-host': 'host',
};

export interface PageKit {
  deps: AppDeps;
  renderer: Renderer;
  tokens: LinkTokens<LinkPayload>;
  /** Applied to the routes that generate files. */
  generationLimit: RequestHandler;
  /** Applied where a page finds or tests servers (connections out). */
  discoveryLimit?: RequestHandler;
}

type Fields = Record<string, string | undefined>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A query string from the named fields that have a value. */
function queryOf(values: Fields, names: readonly string[]): URLSearchParams {
  return new URLSearchParams(names.flatMap((name): [string, string][] => (values[name] === undefined ? [] : [[name, values[name]]])));
}

function fieldsOf(source: unknown, names: readonly string[]): Fields {
  const record = (source ?? {}) as Record<string, unknown>;
  return Object.fromEntries(names.map((name) => [name, text(record[name])]));
}

const SETUP_FIELDS = [
  'email',
  'device',
  'provider',
  'variant',
  'type',
  'name',
  'outlook',
  'login',
  'incoming_host',
  'incoming_port',
  'incoming_security',
  'outgoing_host',
  'outgoing_port',
  'outgoing_security',
  'mail_only',
] as const;

/** Messages next to fields, in the page's language when the locale has words for the rule. */
function fieldErrors(error: MailsetupError, t: Translate): { byField: Record<string, string>; list: { field: string; message: string }[] } {
  const issues: readonly FieldIssue[] =
    error.details.length > 0 ? error.details : [{ field: error.field ?? 'form', rule: error.rule ?? 'invalid', message: error.message }];
  const byField: Record<string, string> = {};
  const list: { field: string; message: string }[] = [];
  for (const issue of issues) {
    const field = FORM_FIELD[issue.field] ?? issue.field;
    const specific = issue.field.endsWith('.port') ? 'web.error.port' : `web.error.${issue.field}.${issue.rule}`;
    const general = `web.error.${issue.rule}`;
    const message = t(specific) !== specific ? t(specific) : t(general) !== general ? t(general) : issue.message;
    byField[field] ??= message;
    list.push({ field, message });
  }
  return { byField, list };
}

export interface PageParts {
  template: string;
  language: Language;
  status: number;
  org: string;
  title: string;
  langLinks: readonly unknown[];
  /** The footer's link to the settings for typing in by hand: a provider's own when one is known. */
  manualHref?: string | undefined;
  view: Record<string, unknown>;
}

/** Renders a page inside the shared layout and sends it, never cached. */
export function sendPage(res: Response, renderer: Renderer, parts: PageParts): void {
  const { template, language, view } = parts;
  const base = { lang: language, org: parts.org, langLinks: parts.langLinks, title: parts.title, manualHref: parts.manualHref ?? `/settings?lang=${language}` };
  const content = renderer.render(template, { ...base, ...view }, language);
  const html = renderer.render('layout', { ...base, content }, language);
  res.status(parts.status).set('Cache-Control', 'no-store').type('html').send(html);
}

export function pagesRouter(kit: PageKit): Router {
  const { deps, renderer, tokens, generationLimit } = kit;
  const discoveryLimit: RequestHandler = kit.discoveryLimit ?? ((_req, _res, next) => next());
  const { config, catalog } = deps;
  const generateFile = deps.generate ?? inlineGeneration(deps);
  const router = Router();
  const form = readBody(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));

  function languageLinks(req: Request, language: Language, path?: string) {
    return LANGUAGES.map((code) => {
      const url = new URL(path ?? req.originalUrl, 'http://local');
      url.searchParams.set('lang', code);
      return { code, label: LANGUAGE_NAMES[code], href: `${url.pathname}${url.search}`, current: code === language };
    });
  }

  function page(
    req: Request,
    res: Response,
    template: string,
    titleKey: string,
    view: Record<string, unknown>,
    options: { status?: number; languagePath?: string; manualHref?: string | undefined } = {},
  ) {
    const language = locals(res).language;
    sendPage(res, renderer, {
      template,
      language,
      status: options.status ?? 200,
      org: config.organization.name,
      title: translator(language)(titleKey, view as Record<string, string>),
      langLinks: languageLinks(req, language, options.languagePath),
      manualHref: options.manualHref,
      view,
    });
  }

  /** The incoming and outgoing fieldsets of the form for an address no provider knows. */
  function manualServers(values: Fields, errors: Record<string, string>, t: Translate) {
    const server = (role: 'incoming' | 'outgoing', hostPlaceholder: string, portPlaceholder: number, kinds: readonly AccountKind[]) => ({
      role,
      legend: t(`web.manual.${role}`),
      host: values[`${role}_host`],
      port: values[`${role}_port`],
      hostPlaceholder,
      portPlaceholder,
      hostError: errors[`${role}_host`],
      portError: errors[`${role}_port`],
      securities: securityChoices(values[`${role}_security`], t),
      // Only the incoming server has a protocol to choose (the outgoing one is always SMTP).
      kinds: kinds.map((k) => ({ id: k, label: kindLabel(k, t), selected: k === values.type })),
    });
    return [
      server('incoming', 'imap.example.com', DEFAULT_PORTS.imap.SSL, ['imap', 'pop']),
      server('outgoing', 'smtp.example.com', DEFAULT_PORTS.smtp.SSL, []),
    ];
  }

  function deviceChoices(selected: WebDevice, t: Translate) {
    return WEB_DEVICES.map((id) => ({ id, label: t(`web.device.${id}`), hint: t(`web.device.${id}.hint`), checked: id === selected }));
  }

  function startPage(req: Request, res: Response, values: Fields, error?: MailsetupError) {
    const t = translator(locals(res).language);
    const info = clientInfo(req.get('user-agent'));
    const device = isWebDevice(values.device) ? values.device : likelyDevice(info);
    const errors = error ? fieldErrors(error, t) : undefined;
    page(
      req,
      res,
      'start',
      'web.start.title',
      {
        email: values.email ?? '',
        devices: deviceChoices(device, t),
        errors: errors?.byField ?? {},
        errorList: errors?.list ?? [],
        iosNotSafari: info.iosNotSafari,
        canDiscover: Boolean(deps.discovery?.enabled),
      },
      {
        status: error?.status ?? 200,
        languagePath: error ? `/?${new URLSearchParams({ ...(values.email ? { email: values.email } : {}) }).toString()}` : undefined,
      },
    );
  }

  function instructionView(device: WebDevice) {
    return {
      isIos: device === 'ios',
      isMacos: device === 'macos',
      isOutlook: device === 'outlook',
      isThunderbird: device === 'thunderbird',
      outlookFolder: config.outlookFolder,
      settingsDeepLink: 'x-apple.systempreferences:com.apple.preferences.configurationprofiles',
    };
  }

  /** Step two: the summary, the choices the provider offers, the download form and the steps. */
  /** The rate limit for connections out, applied inside a page: a refusal becomes a message, not an error page. */
  function limited(req: Request, res: Response): Promise<MailsetupError | undefined> {
    return new Promise((resolve) => {
      void discoveryLimit(req, res, (thrown?: unknown) => resolve(thrown instanceof MailsetupError ? thrown : undefined));
    });
  }

  /** An unknown domain's servers, found before the setup page is shown (synchronously: no JavaScript needed). */
  async function discoveryFor(
    req: Request,
    res: Response,
    email: NonNullable<ReturnType<typeof parsedEmail>>,
    t: Translate,
  ): Promise<DiscoveredPage | undefined> {
    if (!deps.discovery?.enabled) return undefined;
    const refusal = await limited(req, res);
    if (refusal) return { found: false, view: { notFound: t('web.error.discovery-rate-limit'), warnings: [] }, hidden: [], settingsRows: undefined };
    return discoveredPage(await deps.discovery.discover({ email }), email, t);
  }

  async function setupPage(req: Request, res: Response, values: Fields, error?: MailsetupError, tested?: SettingsTestResult) {
    const language = locals(res).language;
    const t = translator(language);
    const email = parsedEmail(values.email);
    if (!email) {
      const problem = parseEmail(values.email ?? '');
      const rule = 'rule' in problem ? problem.rule : 'email-format';
      return startPage(req, res, values, new MailsetupError('INVALID_INPUT', 'error' in problem ? problem.error : rule, { field: 'email', rule }));
    }
    const info = clientInfo(req.get('user-agent'));
    const device: WebDevice = isWebDevice(values.device) ? values.device : likelyDevice(info);
    const problems: MailsetupError[] = error ? [error] : [];
    let provider: Provider | undefined;
    let match: string;
    try {
      ({ provider, match } = lookupEmail(catalog, email, values.provider));
    } catch (thrown) {
      if (!(thrown instanceof MailsetupError)) throw thrown;
      problems.push(thrown);
      ({ provider, match } = lookupEmail(catalog, email));
    }
    let variant = provider?.variants[0];
    if (provider) {
      try {
        variant = variantOf(provider, values.variant, email.asciiDomain);
      } catch (thrown) {
        if (!(thrown instanceof MailsetupError)) throw thrown;
        problems.push(thrown);
        variant = variantOf(provider, undefined, email.asciiDomain);
      }
    }
    const kinds = variant ? kindsOffered(variant) : [];
    const kind = kinds.find((k) => k === values.type) ?? kinds[0];
    // Servers typed by hand (or coming back from a failed download) are the person's own: no discovery then.
    const typed = Boolean(values.incoming_host || values.outgoing_host);
    const discovered = !provider && !typed ? await discoveryFor(req, res, email, t) : undefined;
    const useDiscovered = discovered?.found === true;
    let summary: Record<string, unknown> | undefined;
    if (provider && variant && kind) {
      try {
        const resolved = resolveAccount({ email, provider: match === 'named' ? provider.id : undefined, variant: variant.id, type: kind }, catalog);
        summary = {
          providerName: provider.name,
          variantName: provider.variants.length > 1 ? localize(variant.name, language, variant.id) : undefined,
          kindLabel: kindLabel(kind, t),
          rows: accountRows(resolved.account, t),
        };
      } catch (thrown) {
        if (!(thrown instanceof MailsetupError)) throw thrown;
        problems.push(thrown);
      }
    }
    const format = DEVICE_FORMAT[device];
    const fileAvailable = format !== undefined && isFormatId(format);
    const errors = problems.map((p) => fieldErrors(p, t));
    const byField = Object.assign({}, ...errors.map((e) => e.byField).reverse()) as Record<string, string>;
    const hosting = provider ? [] : hostingProviders(catalog);
    let qr: Record<string, unknown> | undefined;
    // An iPhone or iPad set up from a computer: the phone scans the code. A Mac downloads directly.
    if (device === 'ios' && !info.mobile && !problems.length && summary) {
      qr = await qrFor(
        req,
        { email: email.address, device, provider: match === 'named' ? provider?.id : undefined, variant: variant?.id, type: kind, language },
        t,
      );
    }
    const status = problems.length ? Math.max(...problems.map((p) => p.status)) : 200;
    const settingsHref =
      provider && variant ? `/settings/${provider.id}/${variant.id}?${new URLSearchParams({ email: email.address, lang: language }).toString()}` : undefined;
    page(
      req,
      res,
      'setup',
      'web.setup.title',
      {
        email: email.address,
        device,
        deviceLabel: t(`web.device.${device}`),
        changeHref: `/?${new URLSearchParams({ email: email.address, device, lang: language }).toString()}`,
        known: provider !== undefined,
        viaDefault: match === 'default',
        providerId: match === 'named' ? provider?.id : undefined,
        summary,
        variants: provider && provider.variants.length > 1 ? variantChoices(provider, variant?.id, language) : undefined,
        kinds: variant && kinds.length > 1 ? kindChoices(variant, kind, t) : undefined,
        hasChoices: Boolean(provider && variant && (provider.variants.length > 1 || kinds.length > 1)),
        variantId: variant?.id,
        kindId: kind,
        hostingProviders: hosting.length && !useDiscovered ? hosting : undefined,
        manual: provider === undefined && !useDiscovered,
        discovery: discovered?.view,
        discovered: useDiscovered ? discovered.hidden : undefined,
        tested: tested ? testResultsView(tested, t) : undefined,
        canTest: Boolean(deps.discovery?.enabled) && provider === undefined && !useDiscovered,
        manualValues: values,
        manualServers: provider || useDiscovered ? undefined : manualServers(values, byField, t),
        extras: provider ? providerExtras(provider, variant, language) : undefined,
        hasCalendars: Boolean(kind !== 'exchange' && (variant?.caldav || variant?.carddav)),
        settingsHref,
        name: values.name ?? '',
        fileAvailable,
        fileMissing: format !== undefined && !fileAvailable,
        noFile: format === undefined,
        isApple: device === 'ios' || device === 'macos',
        outlookVersions:
          device === 'outlook' && fileAvailable
            ? OUTLOOK_VERSIONS.map((v) => ({ id: v, label: t(`web.outlook.v${v}`), selected: v === (values.outlook ?? '2016') }))
            : undefined,
        allowPassword: config.allowPasswordEmbedding && format !== undefined && fileAvailable,
        passwordWasGiven: error?.field !== 'password' && Boolean(error) && config.allowPasswordEmbedding,
        iosNotSafari: device === 'ios' && info.iosNotSafari,
        errors: byField,
        errorList: errors.flatMap((e) => e.list),
        qr,
        settingsRows:
          device === 'thunderbird' && provider && variant
            ? settingsTables(provider, variant, t, email)
            : device === 'thunderbird'
              ? discovered?.settingsRows
              : undefined,
        ...instructionView(device),
      },
      {
        status,
        manualHref: settingsHref,
        languagePath: `/setup?${queryOf({ ...values, device }, ['email', 'device', 'provider', 'variant', 'type']).toString()}`,
      },
    );
  }

  async function qrFor(req: Request, payload: LinkPayload, t: Translate) {
    const { token, expiresAt } = tokens.issue(payload);
    const publicHost = config.autodiscovery.publicHost;
    const url = publicHost ? `https://${publicHost}/l/${token}` : `${req.protocol}://${req.host}/l/${token}`;
    return {
      svg: await qrSvg(url, t('web.qr.label')),
      url,
      minutes: config.web.linkTtlMinutes,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** The generate request a download form describes. */
  function requestFromForm(body: unknown, language: Language) {
    const v = fieldsOf(body, [...SETUP_FIELDS, 'password']);
    // The password is kept exactly as typed: spaces can be part of it.
    const rawPassword = (body as Record<string, unknown> | undefined)?.password;
    const password = typeof rawPassword === 'string' && rawPassword !== '' ? rawPassword : undefined;
    const device = isWebDevice(v.device) ? v.device : undefined;
    if (!device) throw webError('INVALID_INPUT', 'device', 'device');
    const format = DEVICE_FORMAT[device];
    if (format === undefined) throw webError('UNSUPPORTED', 'device', 'no-file');
    if (!isFormatId(format)) throw webError('UNSUPPORTED', 'device', 'format-unavailable');
    const manual =
      !v.provider && (v.incoming_host || v.outgoing_host)
        ? {
            incoming: { host: v.incoming_host ?? '', port: v.incoming_port, socket: v.incoming_security },
            outgoing: { host: v.outgoing_host ?? '', port: v.outgoing_port, socket: v.outgoing_security },
          }
        : undefined;
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

  function formLanguage(req: Request, res: Response): Language {
    const posted = (req.body as Record<string, unknown> | undefined)?.language;
    if (isLanguage(posted)) locals(res).language = posted;
    return locals(res).language;
  }

  router.get('/', (req, res) => startPage(req, res, fieldsOf(req.query, ['email', 'device'])));

  router.get('/setup', async (req, res) => setupPage(req, res, fieldsOf(req.query, SETUP_FIELDS)));

  router.post('/download', generationLimit, form, async (req, res) => {
    const language = formLanguage(req, res);
    let values = fieldsOf(req.body, SETUP_FIELDS);
    try {
      const parsed = requestFromForm(req.body, language);
      values = parsed.values;
      sendGeneratedFile(res, await generateFile(parsed.request));
    } catch (thrown) {
      if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
      await setupPage(req, res, values, thrown);
    }
  });

  // "Test these settings": the typed servers connected to for real; a password only from this form's body.
  router.post('/setup/test', discoveryLimit, form, async (req, res) => {
    const language = formLanguage(req, res);
    const v = fieldsOf(req.body, SETUP_FIELDS);
    const rawPassword = (req.body as Record<string, unknown> | undefined)?.password;
    const password = typeof rawPassword === 'string' && rawPassword !== '' ? rawPassword : undefined;
    let tested: SettingsTestResult;
    try {
      tested = await testSettings(
        {
          email: v.email ?? '',
          type: v.type === 'pop' ? 'pop' : 'imap',
          incoming: { host: v.incoming_host ?? '', port: v.incoming_port, socket: v.incoming_security },
          outgoing: { host: v.outgoing_host ?? '', port: v.outgoing_port, socket: v.outgoing_security },
          login: v.login,
          password,
        },
        requireDiscovery(deps),
      );
    } catch (thrown) {
      if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
      // The schema names incoming.host; the form's own names are manual.incoming.host.
      const details = thrown.details.map((d) => ({ ...d, field: /^(incoming|outgoing)\./.test(d.field) ? `manual.${d.field}` : d.field }));
      const error = new MailsetupError(thrown.code, thrown.message, { field: details[0]?.field ?? thrown.field, rule: thrown.rule, details });
      return setupPage(req, res, v, error);
    }
    locals(res).language = language;
    await setupPage(req, res, v, undefined, tested);
  });

  router.post('/qr', generationLimit, form, async (req, res) => {
    const language = formLanguage(req, res);
    const t = translator(language);
    const v = fieldsOf(req.body, SETUP_FIELDS);
    const email = parsedEmail(v.email);
    const device = v.device === 'macos' ? 'macos' : 'ios';
    if (!email) return startPage(req, res, v, webError('INVALID_INPUT', 'email', 'email-format'));
    const payload: LinkPayload = { email: email.address, device, provider: v.provider, variant: v.variant, type: v.type, name: v.name, language };
    // Check the choices now (resolving them is enough: no profile is built), so the phone does not meet the error later.
    try {
      resolveAccount(linkRequest(payload), catalog);
    } catch (thrown) {
      if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
      return setupPage(req, res, v, thrown);
    }
    const passwordTyped = typeof (req.body as Record<string, unknown>)?.password === 'string' && (req.body as Record<string, string>).password !== '';
    page(
      req,
      res,
      'qr',
      'web.qr.title',
      {
        email: email.address,
        qr: await qrFor(req, payload, t),
        passwordTyped,
        backHref: `/setup?${new URLSearchParams({ email: email.address, device, lang: language }).toString()}`,
      },
      { languagePath: `/setup?${new URLSearchParams({ email: email.address, device }).toString()}` },
    );
  });

  function linkPayload(token: string): LinkPayload {
    const payload = tokens.verify(token);
    if (typeof payload.email !== 'string' || (payload.device !== 'ios' && payload.device !== 'macos') || !isLanguage(payload.language))
      throw webError('NOT_FOUND', 'token', 'link-format');
    return payload;
  }

  function linkRequest(payload: LinkPayload) {
    return parseGenerateRequest({
      email: payload.email,
      device: payload.device,
      provider: payload.provider,
      variant: payload.variant,
      type: payload.type,
      name: payload.name,
      language: payload.language,
      format: 'mobileconfig',
    });
  }

  router.get('/l/:token', (req, res) => {
    const payload = linkPayload(String(req.params.token));
    if (!isLanguage(req.query.lang)) locals(res).language = payload.language;
    const language = locals(res).language;
    const t = translator(language);
    const resolved = resolveAccount(linkRequest(payload), catalog);
    const info = clientInfo(req.get('user-agent'));
    page(req, res, 'link', 'web.link.title', {
      email: resolved.email.address,
      providerName: resolved.provider?.name,
      kindLabel: kindLabel(resolved.account.kind, t),
      rows: accountRows(resolved.account, t),
      downloadHref: `/l/${req.params.token}/profile`,
      iosNotSafari: payload.device === 'ios' && info.iosNotSafari,
      ...instructionView(payload.device),
    });
  });

  router.get('/l/:token/profile', generationLimit, async (req, res) => {
    const payload = linkPayload(String(req.params.token));
    sendGeneratedFile(res, await generateFile(linkRequest(payload)));
  });

  router.get('/instructions/:device', (req, res) => {
    const device = req.params.device;
    if (!isWebDevice(device)) throw webError('NOT_FOUND', 'device', 'not-found');
    page(req, res, 'instructions', `web.device.${device}`, {
      deviceLabel: translator(locals(res).language)(`web.device.${device}`),
      ...instructionView(device),
    });
  });

  router.get('/settings', (req, res) => {
    const email = parsedEmail(req.query.email);
    if (email) {
      const { provider } = lookupEmail(catalog, email);
      if (provider) {
        const variant = variantOf(provider, undefined, email.asciiDomain);
        return res.redirect(303, `/settings/${provider.id}/${variant.id}?${new URLSearchParams({ email: email.address }).toString()}`);
      }
    }
    const language = locals(res).language;
    page(
      req,
      res,
      'providers',
      'web.providers.title',
      {
        providers: catalog.list().map((p) => ({
          name: p.name,
          domains: p.anyDomain ? undefined : p.domains.join(', '),
          anyDomain: p.anyDomain,
          variants: p.variants.map((v) => ({ href: `/settings/${p.id}/${v.id}`, label: p.variants.length > 1 ? localize(v.name, language, v.id) : p.name })),
        })),
        unknownEmail: req.query.email !== undefined && email !== undefined,
      },
      { status: req.query.email !== undefined && !email ? 400 : 200 },
    );
  });

  const settingsPage = (req: Request, res: Response) => {
    const language = locals(res).language;
    const t = translator(language);
    const provider = catalog.get(String(req.params.provider));
    const variant = variantOf(provider, req.params.variant === undefined ? undefined : String(req.params.variant));
    const email = parsedEmail(req.query.email);
    page(req, res, 'settings', 'web.settings.title', {
      providerName: provider.name,
      variantName: provider.variants.length > 1 ? localize(variant.name, language, variant.id) : undefined,
      otherVariants:
        provider.variants.length > 1
          ? provider.variants.map((v) => ({
              href: `/settings/${provider.id}/${v.id}${email ? `?${new URLSearchParams({ email: email.address }).toString()}` : ''}`,
              label: localize(v.name, language, v.id),
              current: v.id === variant.id,
            }))
          : undefined,
      email: email?.address,
      settingsRows: settingsTables(provider, variant, t, email),
      extras: providerExtras(provider, variant, language),
    });
  };
  // A provider's trusted CA certificate: .cer is DER (what Windows and Apple double-click), .crt PEM (Android).
  router.get('/certificates/:provider/:variant/:file', (req, res) => {
    const match = /^([0-9a-f]{16})\.(cer|crt)$/.exec(String(req.params.file));
    const provider = catalog.get(String(req.params.provider));
    const variant = variantOf(provider, String(req.params.variant));
    const certificate = match ? variant.trust.find((c) => c.sha256.slice(0, 16).toLowerCase() === match[1]) : undefined;
    if (!match || !certificate) throw new MailsetupError('NOT_FOUND', 'certificate: no such certificate', { field: 'certificate', rule: 'known-certificate' });
    const der = match[2] === 'cer';
    res
      .status(200)
      .set({
        'Content-Type': der ? 'application/pkix-cert' : 'application/x-pem-file',
        'Content-Disposition': contentDisposition(`${certificate.name}.${match[2]}`),
        'Cache-Control': 'public, max-age=3600',
      })
      .send(der ? derOf(certificate) : pemOf(certificate));
  });

  router.get('/settings/:provider', settingsPage);
  router.get('/settings/:provider/:variant', settingsPage);

  // For administrators: the DNS records that point clients at this service and the mail servers.
  // GET /dns/:domain reaches here when the browser asks for HTML (autodiscovery.ts answers the rest).
  const dnsPage = (req: Request, res: Response) => {
    const language = locals(res).language;
    const t = translator(language);
    const values = fieldsOf({ ...req.query, ...(req.params.domain === undefined ? {} : { domain: req.params.domain }) }, [
      'domain',
      'host',
      'provider',
      'variant',
    ]);
    const view: Record<string, unknown> = {
      domain: values.domain ?? '',
      host: values.host ?? '',
      defaultHost: config.autodiscovery.publicHost ?? askedHost(req) ?? '',
      errors: {},
      errorList: [],
    };
    let status = 200;
    if (values.domain !== undefined) {
      try {
        const snippet = dnsSnippet(
          {
            domain: values.domain,
            serviceHost: values.host ?? config.autodiscovery.publicHost ?? askedHost(req),
            provider: values.provider,
            variant: values.variant,
            language,
          },
          catalog,
        );
        const plain = queryOf(values, ['host', 'provider', 'variant']);
        plain.set('format', 'text');
        plain.set('lang', language);
        view.result = dnsResultView(snippet, t, `/dns/${encodeURIComponent(snippet.domain)}?${plain.toString()}`);
      } catch (thrown) {
        if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
        // The catalog names the address's field; here the domain is the field.
        const error = thrown.field === 'email' ? new MailsetupError(thrown.code, thrown.message, { field: 'domain', rule: thrown.rule }) : thrown;
        const errors = fieldErrors(error, t);
        Object.assign(view, { errors: errors.byField, errorList: errors.list });
        status = error.status;
      }
    }
    page(req, res, 'dns', 'web.dns.title', view, { status });
  };
  router.get('/dns', dnsPage);
  router.get('/dns/:domain', dnsPage);

  return router;
}
