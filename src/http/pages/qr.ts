// The hand-off to a phone: POST /qr shows a QR code for the choices on the form, the phone opens
// /l/<token> (the summary and the steps) and downloads /l/<token>/profile.
import type { Router } from 'express';
import type { Config } from '../../config.js';
import { MailsetupError } from '../../errors.js';
import { providerName } from '../../model/provider.js';
import { isLanguage, translator, type Translate } from '../../i18n.js';
import { resolveAccount, type ResolvedAccount } from '../../service/resolve.js';
import { inlineGeneration } from '../generation.js';
import { locals } from '../middleware.js';
import { sendGeneratedFile } from '../send-file.js';
import { clientInfo, type ClientInfo } from '../user-agent.js';
import { accountRows, kindLabel, parsedEmail, providerExtras } from '../views.js';
import { webError } from '../web-error.js';
import { instructionView } from './instructions.js';
import { confirmDownload, fieldsOf, formBody, formLanguage, pageSender, SETUP_FIELDS, type LinkPayload, type PageKit, SERVER_FIELDS } from './kit.js';
import { linkPayload, linkRequest, qrFor } from './qr-link.js';
import { setupPage } from './setup.js';
import { startPage } from './start.js';

/** The page a phone opens from the link: what it will get, the provider's notes, the download, the steps. */
export function linkView(
  resolved: ResolvedAccount,
  payload: LinkPayload,
  token: string,
  client: ClientInfo,
  t: Translate,
  config: Pick<Config, 'outlookFolder'>,
) {
  const { provider, variant } = resolved;
  const extras = provider ? providerExtras(provider, variant, payload.language) : undefined;
  return {
    email: resolved.email.address,
    providerName: provider ? providerName(provider, payload.language) : undefined,
    kindLabel: kindLabel(resolved.account.kind, t),
    rows: accountRows(resolved.account, t),
    extras,
    downloadHref: `/l/${token}/profile`,
    downloadDone: t(`web.download.done.${payload.device}`),
    iosNotSafari: payload.device === 'ios' && client.iosNotSafari,
    ...instructionView(payload.device, config, { kind: resolved.account.kind, appPassword: extras?.appPassword, client }, t),
  };
}

export function qrRoutes(router: Router, kit: PageKit): void {
  const page = pageSender(kit);
  const start = startPage(kit);
  const setup = setupPage(kit);
  const { catalog, config } = kit.deps;
  const generateFile = kit.deps.generate ?? inlineGeneration(kit.deps);

  router.post('/qr', kit.generationLimit, formBody, async (req, res) => {
    const language = formLanguage(req, res);
    const t = translator(language);
    const v = fieldsOf(req.body, SETUP_FIELDS);
    const email = parsedEmail(v.email);
    const device = v.device === 'macos' ? 'macos' : 'ios';
    if (!email) return start(req, res, v, webError('INVALID_INPUT', 'email', 'email-format'));
    const payload: LinkPayload = {
      email: email.address,
      device,
      provider: v.provider,
      variant: v.variant,
      type: v.type,
      name: v.name,
      ...(v.mail_only === '1' ? { mailOnly: true } : {}),
      // The servers the form carries for an address no provider serves (found by discovery, or typed).
      ...(!v.provider && v.incoming_host ? { servers: fieldsOf(v, SERVER_FIELDS) } : {}),
      language,
    };
    // Check the choices now (resolving them is enough: no profile is built), so the phone does not meet the error later.
    try {
      resolveAccount(linkRequest(payload), catalog);
    } catch (thrown) {
      if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
      return setup(req, res, v, thrown);
    }
    const passwordTyped = typeof (req.body as Record<string, unknown>)?.password === 'string' && (req.body as Record<string, string>).password !== '';
    page(
      req,
      res,
      'qr',
      'web.qr.title',
      {
        email: email.address,
        qr: await qrFor(kit, req, payload, t),
        passwordTyped,
        backHref: `/setup?${new URLSearchParams({ email: email.address, device, lang: language }).toString()}`,
      },
      { languagePath: `/setup?${new URLSearchParams({ email: email.address, device }).toString()}` },
    );
  });

  router.get('/l/:token', (req, res) => {
    const token = String(req.params.token);
    const payload = linkPayload(kit, token);
    if (!isLanguage(req.query.lang)) locals(res).language = payload.language;
    const t = translator(locals(res).language);
    const resolved = resolveAccount(linkRequest(payload), catalog);
    page(req, res, 'link', 'web.link.title', linkView(resolved, payload, token, clientInfo(req.get('user-agent')), t, config));
  });

  router.get('/l/:token/profile', kit.generationLimit, async (req, res) => {
    const payload = linkPayload(kit, String(req.params.token));
    const file = await generateFile(linkRequest(payload));
    confirmDownload(req, res, req.query.download_id);
    sendGeneratedFile(res, file);
  });
}
