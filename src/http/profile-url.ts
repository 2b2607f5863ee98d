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
import { MailsetupError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { parseGenerateRequest } from '../service/generate.js';
import { logAutodiscovery } from './address-log.js';
import type { AppDeps } from './deps.js';
import { logFailure, toMailsetupError, writeJsonError } from './error-handler.js';
import { inlineGeneration } from './generation.js';
import { clientLimit, languageOf, passwordInQuery } from './guards.js';
import { clientAddress, requestTarget, routesTo, setSecurityHeaders, type FrontOptions } from './front.js';
import { beginRequest } from './middleware.js';
import { emailFrom, queryValue } from './query.js';
import { fileHeaders } from './send-file.js';
import { webError } from './web-error.js';

export const PROFILE_URL = '/email.mobileconfig';

/**
 * The query string of a request express would route to GET /email.mobileconfig (GET or HEAD, any
 * case, an optional trailing slash); undefined for every other request.
 */
export function profileUrlQuery(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const { path, query } = requestTarget(req.url ?? '');
  return routesTo(path, PROFILE_URL) ? query : undefined;
}

/** GET /email.mobileconfig answered in front of `app`; everything else is `app`'s. */
export function withProfileUrl(app: RequestListener, deps: AppDeps, options: FrontOptions): RequestListener {
  const { config } = deps;
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const generateFile = deps.generate ?? inlineGeneration(deps);
  const limit = clientLimit(
    config.web.rateLimitPerMinute,
    () => new MailsetupError('RATE_LIMITED', 'too many profiles asked for; try again in a minute', { field: 'client', rule: 'rate-limit' }),
    (req) => clientAddress(req, options.trustProxy),
  );

  const answer = async (req: IncomingMessage, res: ServerResponse, search: string) => {
    const requestId = beginRequest(logger, now, config, req, res);
    setSecurityHeaders(res, options.securityHeaders);
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
