// Short-lived links for phones: a signed token with the choices (never a password), its URL on the
// public host, and the QR code that carries it.
import type { Request } from 'express';
import { isLanguage, type Translate } from '../../i18n.js';
import type { GenerateRequest } from '../../model/request.js';
import { parseGenerateRequest } from '../../service/generate.js';
import { qrSvg } from '../qr.js';
import { webError } from '../web-error.js';
import { manualServersOf, SERVER_FIELDS, type LinkPayload, type PageKit } from './kit.js';

export interface QrView {
  svg: string;
  url: string;
  minutes: number;
  expiresAt: string;
}

/** Issues a link for the payload and draws it. */
export async function qrFor(kit: PageKit, req: Request, payload: LinkPayload, t: Translate): Promise<QrView> {
  const { config } = kit.deps;
  const { token, expiresAt } = kit.tokens.issue(payload);
  const publicHost = config.autodiscovery.publicHost;
  const url = publicHost ? `https://${publicHost}/l/${token}` : `${req.protocol}://${req.host}/l/${token}`;
  return {
    svg: await qrSvg(url, t('web.qr.label')),
    url,
    minutes: config.web.linkTtlMinutes,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** The payload of a link, checked: expired, altered or malformed links are not found. */
export function linkPayload(kit: PageKit, token: string): LinkPayload {
  const payload = kit.tokens.verify(token);
  if (
    typeof payload.email !== 'string' ||
    (payload.device !== 'ios' && payload.device !== 'macos') ||
    !isLanguage(payload.language) ||
    (payload.mailOnly !== undefined && typeof payload.mailOnly !== 'boolean') ||
    (payload.servers !== undefined && !serverFields(payload.servers))
  )
    throw webError('NOT_FOUND', 'token', 'link-format');
  return payload;
}

/** A link's servers: only the server fields, each text or absent. */
function serverFields(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(([name, text]) => (SERVER_FIELDS as readonly string[]).includes(name) && (text === undefined || typeof text === 'string'));
}

/** The profile request a link stands for: a provider's choices, or the servers it carries. */
export function linkRequest(payload: LinkPayload): GenerateRequest {
  const servers = payload.servers;
  return parseGenerateRequest({
    email: payload.email,
    device: payload.device,
    provider: payload.provider,
    variant: servers ? undefined : payload.variant,
    ...(servers ? { manual: manualServersOf(servers), login: servers.login } : {}),
    type: payload.type,
    name: payload.name,
    mailOnly: payload.mailOnly === true,
    language: payload.language,
    format: 'mobileconfig',
  });
}
