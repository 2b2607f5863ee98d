// The URL Apple devices fetch by themselves (GET /email.mobileconfig?email=…): a signed profile
// without password, the device asks for it at install. The web app's busiest download, so it is
// answered here, in front of express, and express never sees it: express's own request handling
// cost the main thread more than the rest of the download together (`npm run bench -- http`).
// What a client sees is the web app's in every way: the security headers (recorded once from the
// app's helmet policy), the request id, the request and autodiscovery log lines, the per-client
// limit (client address worked out as express does, behind the same trusted proxies) and the
// autodiscovery endpoints' JSON errors. Every other request goes on to express.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import proxyaddr from 'proxy-addr';
import { MailsetupError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { parseGenerateRequest } from '../service/generate.js';
import { logAutodiscovery } from './address-log.js';
import type { AppDeps } from './deps.js';
import { logFailure, toMailsetupError, writeJsonError } from './error-handler.js';
import { inlineGeneration } from './generation.js';
import { clientLimit, languageOf, passwordInQuery } from './guards.js';
import { logRequestWhenSent, requestIdOf } from './middleware.js';
import { emailFrom, queryValue } from './query.js';
import { fileHeaders } from './send-file.js';
import { webError } from './web-error.js';

export const PROFILE_URL = '/email.mobileconfig';

/** Which hops of X-Forwarded-For to believe. */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * MAILSETUP_TRUST_PROXY (express's `trust proxy` setting) compiled as express compiles it: true
 * trusts every hop, a number that many hops, a string the listed addresses, subnets and names
 * (loopback, linklocal, uniquelocal). A test holds it to express's own req.ip.
 */
export function compileTrustProxy(setting: boolean | number | string): TrustProxy {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyaddr.compile(setting.split(',').map((part) => part.trim()));
}

export interface ProfileUrlOptions {
  /** The headers every answer of the app carries (helmet's), in the order it sets them. */
  securityHeaders: readonly (readonly [string, string])[];
  trustProxy: TrustProxy;
}

/** The path and query string of a request target, also in the absolute form (`http://host/path?query`) a client may send. */
function target(url: string): { path: string; query: string } {
  let rest = url;
  if (!rest.startsWith('/')) {
    const scheme = rest.indexOf('://');
    const slash = scheme === -1 ? -1 : rest.indexOf('/', scheme + 3);
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  const at = rest.indexOf('?');
  return at === -1 ? { path: rest, query: '' } : { path: rest.slice(0, at), query: rest.slice(at + 1) };
}

/**
 * The query string of a request express would route to GET /email.mobileconfig (GET or HEAD, any
 * case, an optional trailing slash); undefined for every other request.
 */
export function profileUrlQuery(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const { path, query } = target(req.url ?? '');
  const lower = path.toLowerCase();
  return lower === PROFILE_URL || lower === `${PROFILE_URL}/` ? query : undefined;
}

/** GET /email.mobileconfig answered in front of `app`; everything else is `app`'s. */
export function withProfileUrl(app: RequestListener, deps: AppDeps, options: ProfileUrlOptions): RequestListener {
  const { config } = deps;
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const generateFile = deps.generate ?? inlineGeneration(deps);
  const limit = clientLimit(
    config.web.rateLimitPerMinute,
    () => new MailsetupError('RATE_LIMITED', 'too many profiles asked for; try again in a minute', { field: 'client', rule: 'rate-limit' }),
    (req) => proxyaddr(req, options.trustProxy),
  );

  const answer = async (req: IncomingMessage, res: ServerResponse, search: string) => {
    const requestId = requestIdOf(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    for (const [name, value] of options.securityHeaders) res.setHeader(name, value);
    logRequestWhenSent(logger, now, config, req, res, () => requestId);
    try {
      const query = parseQuery(search);
      // The same order as every route of the app: secrets in the URL first, then the limit.
      if (passwordInQuery(query)) throw webError('INVALID_INPUT', 'password', 'password-in-url');
      await limit(req, res);
      const email = emailFrom(queryValue(query, 'email'), 'email');
      const request = parseGenerateRequest({
        email: email.address,
        format: 'mobileconfig',
        type: queryValue(query, 'type'),
        variant: queryValue(query, 'variant'),
        device: queryValue(query, 'device'),
        name: queryValue(query, 'name'),
        language: languageOf(query.lang, req.headers['accept-language']),
      });
      const file = await generateFile(request);
      logAutodiscovery(logger, config, { requestId, endpoint: 'mobileconfig', address: email.ascii, domain: email.asciiDomain, method: req.method });
      res.writeHead(200, fileHeaders(file));
      res.end(file.body);
    } catch (thrown) {
      const error = toMailsetupError(thrown);
      logFailure(logger, requestId, error);
      writeJsonError(res, error);
    }
  };

  return (req, res) => {
    const search = profileUrlQuery(req);
    if (search === undefined) return app(req, res);
    answer(req, res, search).catch((thrown: unknown) => {
      // answer() turns every refusal and failure of the profile into a JSON error; this is the
      // last guard express gives its own routes: no fault in answering can stop the server.
      logger.error({ error: thrown instanceof Error ? thrown.message : String(thrown) }, 'failed');
      res.destroy();
    });
  };
}

/**
 * The headers a middleware that only sets headers (helmet) sets on every answer, recorded once
 * by running it on a stand-in response; refused if it reads the request or waits for anything.
 */
export function headersSetBy(middleware: (req: never, res: never, next: (error?: unknown) => void) => void): readonly (readonly [string, string])[] {
  const headers = new Map<string, string>();
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
      return res;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
  };
  let finished = false;
  middleware(Object.freeze({}) as never, res as never, (error?: unknown) => {
    if (error !== undefined) throw error instanceof Error ? error : new Error('the security headers middleware failed', { cause: error });
    finished = true;
  });
  if (!finished) throw new Error('the security headers were not set at once');
  return [...headers];
}
