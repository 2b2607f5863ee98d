// Autodiscovery endpoints mail clients call by themselves (Thunderbird autoconfig, Outlook
// Autodiscover, ActiveSync, Autodiscover v2) and the DNS records page; Apple devices' profile
// URL is answered in front of express (profile-url.ts).
// Mounted by createApp at the root, because clients ask fixed paths on autoconfig.<domain> and
// autodiscover.<domain>.
//
// Every answer depends on the domain only (and on the address solely where the format repeats
// it), so any address of a served domain gets the same shape: nobody can probe which mailboxes
// exist. Domains no provider serves get 404. Errors are JSON {error:{code,message,field}}.
//
// Caching: autoconfig is the same for a whole domain and public (4 hours, clients re-ask rarely);
// Autodiscover v2 JSON holds no personal data but its URL holds the address, so only the client
// may keep it (private, 1 hour); POX and mobilesync answers repeat the address and are POST
// (no-store); DNS records as text or JSON are public for 5 minutes.
import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { requestLanguage } from './guards.js';
import { isIP } from 'node:net';
import { buildActiveSyncAutodiscoverResponse, activeSyncUrl, ewsUrl } from '../formats/activesync-autodiscover.js';
import { exchangeEndpoint } from '../model/provider.js';
import { buildAutoconfig, variantDomains } from '../formats/autoconfig.js';
import { buildAutodiscoverResponse } from '../formats/autodiscover.js';
import { AUTODISCOVER_REQUEST_MAX_BYTES, parseAutodiscoverRequest } from '../formats/autodiscover-request.js';
import { MailsetupError } from '../errors.js';
import { negotiateLanguage } from '../i18n.js';
import type { Provider, ProviderVariant } from '../model/provider.js';
import { toAsciiHost, type EmailParts } from '../model/rules.js';
import { emailFrom, queryValue } from './query.js';
import { variantOf } from '../providers/catalog.js';
import { dnsSnippet } from '../service/dns.js';
import { parseGenerateRequest } from '../service/generate.js';
import { resolveAccount } from '../service/resolve.js';
import { readBody } from './body.js';
import { logAutodiscovery } from './address-log.js';
import { silentLogger } from '../logger.js';
import type { AppDeps } from './deps.js';
import { jsonError, logError, toMailsetupError } from './error-handler.js';
import { locals } from './middleware.js';

export const AUTODISCOVERY_CACHE = Object.freeze({
  autoconfig: 'public, max-age=14400',
  autodiscoverJson: 'private, max-age=3600',
  pox: 'private, no-store',
  dns: 'public, max-age=300',
});

/** Autoconfig documents kept in memory, one per domain. */
const AUTOCONFIG_CACHE_ENTRIES = 1000;

/** Autodiscover v2 protocols this service can name a URL for, in Microsoft's spelling. */
const V2_PROTOCOLS = ['ActiveSync', 'AutodiscoverV1', 'EWS'] as const;
type V2Protocol = (typeof V2_PROTOCOLS)[number];

/** `GET /dns/:domain?format=`: the zone snippet as text, JSON, or the page. */
const DNS_FORMATS = ['text', 'json', 'html'] as const;

/** The host name the client asked for (Host, or X-Forwarded-Host behind a trusted proxy); never an IP address. */
export function askedHost(req: Request): string | undefined {
  const host = toAsciiHost(req.hostname ?? '');
  return host && host.includes('.') && isIP(host) === 0 ? host : undefined;
}

/**
 * The autoconfig document for a domain. A domain the provider lists gets the provider's own file
 * (all its domains, as the ISPDB has it); a customer domain of a hosting provider gets the same
 * servers under its own name, still with placeholders instead of any person's login.
 */
export function autoconfigForDomain(provider: Provider, variant: ProviderVariant, domain: string): string {
  if (variantDomains(provider, variant).includes(domain)) return buildAutoconfig(provider, variant);
  const own: ProviderVariant = { ...variant, domains: [] };
  return buildAutoconfig({ ...provider, domains: [domain], variants: [own] }, own);
}

/** The mail domain of an autoconfig request: from ?emailaddress=, else from the host asked for. */
function autoconfigDomain(req: Request): { domain: string; email: EmailParts | undefined } {
  const given = queryValue(req.query, 'emailaddress', { caseInsensitive: true });
  if (given !== undefined) {
    const email = emailFrom(given, 'emailaddress');
    return { domain: email.asciiDomain, email };
  }
  // autoconfig.<domain>/mail/config-v1.1.xml, or <domain>/.well-known/autoconfig/...
  const domain = askedHost(req)?.replace(/^autoconfig\./, '');
  if (!domain || !domain.includes('.')) {
    throw new MailsetupError('INVALID_INPUT', 'give ?emailaddress=, or ask on autoconfig.<your domain>', {
      field: 'emailaddress',
      rule: 'required',
    });
  }
  return { domain, email: undefined };
}

function exchangeOf(variant: ProviderVariant, protocol: V2Protocol) {
  if (!variant.exchange) {
    throw new MailsetupError('NOT_FOUND', `this domain has no Exchange server, so no ${protocol} endpoint`, {
      field: 'Protocol',
      rule: 'offered-protocol',
    });
  }
  return exchangeEndpoint(variant.exchange);
}

export function autodiscoveryRouter(deps: AppDeps): Router {
  const { catalog, config } = deps;
  const logger = deps.logger ?? silentLogger;
  const router = Router();
  const autoconfigs = new Map<string, string>();

  const logAnswer = (req: Request, res: Response, endpoint: string, email: EmailParts | undefined, domain: string) =>
    logAutodiscovery(logger, config, { requestId: locals(res).requestId, endpoint, address: email?.ascii, domain, method: req.method });

  // Thunderbird (and Evolution, KMail, Thunderbird for Android): clientConfig v1.1.
  router.get(['/mail/config-v1.1.xml', '/.well-known/autoconfig/mail/config-v1.1.xml'], (req, res) => {
    const { domain, email } = autoconfigDomain(req);
    let xml = autoconfigs.get(domain);
    if (xml === undefined) {
      const provider = catalog.forDomain(domain);
      xml = autoconfigForDomain(provider, variantOf(provider, undefined, domain), domain);
      // The catalog does not change while the app runs; the bound keeps random domains (served
      // by a default provider) from growing the cache without end.
      if (autoconfigs.size >= AUTOCONFIG_CACHE_ENTRIES) autoconfigs.clear();
      autoconfigs.set(domain, xml);
    }
    logAnswer(req, res, 'autoconfig', email, domain);
    res.status(200).set({ 'Content-Type': 'application/xml; charset=utf-8', 'Cache-Control': AUTODISCOVERY_CACHE.autoconfig }).send(xml);
  });

  // Outlook (POX) and Exchange ActiveSync clients post to the same path; the request says which.
  const rawBody = readBody(express.raw({ type: () => true, limit: AUTODISCOVER_REQUEST_MAX_BYTES }));
  router.post('/autodiscover/autodiscover.xml', rawBody, (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const request = parseAutodiscoverRequest(body);
    const email = emailFrom(request.email, 'EMailAddress');
    const language = negotiateLanguage(req.get('accept-language'));
    let xml: string;
    if (request.flavor === 'mobilesync') {
      const resolved = resolveAccount(parseGenerateRequest({ email: email.address, type: 'exchange' }), catalog);
      xml = buildActiveSyncAutodiscoverResponse(resolved.account, { language });
    } else {
      // The account type the catalog prefers: IMAP/POP settings, or a redirect to the Exchange server.
      const resolved = resolveAccount(parseGenerateRequest({ email: email.address }), catalog);
      xml = buildAutodiscoverResponse(resolved.account);
    }
    logAnswer(req, res, request.flavor === 'mobilesync' ? 'activesync' : 'autodiscover', email, email.asciiDomain);
    res.status(200).set({ 'Content-Type': 'text/xml; charset=utf-8', 'Cache-Control': AUTODISCOVERY_CACHE.pox }).send(xml);
  });

  // Autodiscover v2 (Outlook for Microsoft 365, mobile Outlook): which URL serves a protocol.
  router.get('/autodiscover/autodiscover.json', (req, res) => {
    const email = emailFrom(queryValue(req.query, 'Email', { caseInsensitive: true }), 'Email');
    const asked = queryValue(req.query, 'Protocol', { caseInsensitive: true });
    if (asked === undefined) throw new MailsetupError('INVALID_INPUT', `required (one of ${V2_PROTOCOLS.join(', ')})`, { field: 'Protocol', rule: 'required' });
    const protocol = V2_PROTOCOLS.find((p) => p.toLowerCase() === asked.trim().toLowerCase());
    if (!protocol) {
      throw new MailsetupError('INVALID_INPUT', `"${asked}" is not one of ${V2_PROTOCOLS.join(', ')}`, { field: 'Protocol', rule: 'allowed-values' });
    }
    const provider = catalog.forDomain(email.asciiDomain);
    const variant = variantOf(provider, undefined, email.asciiDomain);
    let url: string;
    if (protocol === 'AutodiscoverV1') {
      // Our own POX endpoint: it answers IMAP/POP settings, or redirects to the Exchange server.
      const host = config.autodiscovery.publicHost ?? askedHost(req) ?? 'localhost';
      url = `https://${host}/autodiscover/autodiscover.xml`;
    } else if (protocol === 'ActiveSync') {
      url = activeSyncUrl(exchangeOf(variant, protocol));
    } else {
      url = ewsUrl(exchangeOf(variant, protocol));
    }
    logAnswer(req, res, 'autodiscover-v2', email, email.asciiDomain);
    res.status(200).set('Cache-Control', AUTODISCOVERY_CACHE.autodiscoverJson).json({ Protocol: protocol, Url: url });
  });

  // What an administrator publishes in DNS: the zone snippet as text/plain, JSON with ?format=json,
  // and for browsers (Accept prefers text/html, or ?format=html) the page in the web app (pages/dns.ts).
  router.get('/dns/:domain', (req, res, next) => {
    const format = queryValue(req.query, 'format');
    if (format !== undefined && !(DNS_FORMATS as readonly string[]).includes(format)) {
      throw new MailsetupError('INVALID_INPUT', `"${format}" is not one of ${DNS_FORMATS.join(', ')}`, { field: 'format', rule: 'allowed-values' });
    }
    res.set('Vary', 'Accept, Accept-Language');
    if (format === 'html' || (format === undefined && req.accepts(['text/plain', 'text/html']) === 'text/html')) return next();
    const language = requestLanguage(req);
    const snippet = dnsSnippet(
      {
        domain: String(req.params.domain),
        // ?host= names another host this service answers on (the page's "service host" field).
        serviceHost: queryValue(req.query, 'host') ?? config.autodiscovery.publicHost ?? askedHost(req),
        provider: queryValue(req.query, 'provider'),
        variant: queryValue(req.query, 'variant'),
        language,
      },
      catalog,
    );
    res.set('Cache-Control', AUTODISCOVERY_CACHE.dns);
    if (format === 'json') {
      const { domain, serviceHost, provider, variant, records } = snippet;
      res.status(200).json({ domain, serviceHost, provider: provider.id, variant: variant.id, records });
      return;
    }
    res.status(200).type('text/plain; charset=utf-8').send(snippet.zone);
  });

  // Clients of these endpoints read JSON errors (or nothing); never an HTML page or a stack trace.
  const errors: ErrorRequestHandler = (thrown, _req, res, _next) => {
    const error = toMailsetupError(thrown);
    logError(logger, res, error);
    jsonError(res, error);
  };
  router.use(errors);
  return router;
}
