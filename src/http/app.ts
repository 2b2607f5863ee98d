// The web app: pages, JSON API, autodiscovery and admin mounted behind security headers, request
// ids, body limits and per-client rate limits, with Apple devices' profile URL answered in front
// of it (profile-url.ts). createApp never listens: src/server.ts does.
import type { RequestListener } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import { translator } from '../i18n.js';
import { adminRouter } from './admin/index.js';
import { assetsRouter } from './assets.js';
import { compressText } from './compression.js';
import { apiRouter } from './api.js';
import { autodiscoveryRouter } from './autodiscovery.js';
import { silentLogger } from '../logger.js';
import type { AppDeps } from './deps.js';
import { discoverApiRouter, discoveryLimiter } from './discover-api.js';
import { clientLimit, limitMiddleware, oncePerRequestLimit } from './guards.js';
import { clientAddress, compileTrustProxy, headersSetBy } from './front.js';
import { apiErrorHandler, pageErrorHandler } from './error-handler.js';
import { healthAnswer } from './health.js';
import { linkTokens } from './link-token.js';
import { locals, noStore, pageLanguage, requestStart } from './middleware.js';
import { pagesRouter, sendPage, type LinkPayload } from './pages/index.js';
import { withFormDownload } from './pages/download.js';
import { withProfileUrl } from './profile-url.js';
import { createRenderer } from './render.js';
import type { MailsetupError } from '../errors.js';
import { webError } from './web-error.js';
import { DEFAULTS } from '../model/defaults.js';

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
};

export function createApp(deps: AppDeps): RequestListener {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const web = deps.config.web;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', web.trustProxy);
  app.set('query parser', 'simple');

  app.use(requestStart(logger, now, deps.config));
  const securityHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    strictTransportSecurity: web.https ? undefined : false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });
  app.use(securityHeaders);

  const trustProxy = compileTrustProxy(web.trustProxy);
  // One count per request for every route that makes files, the form's download in front included.
  const generationCount = oncePerRequestLimit(
    clientLimit(
      web.rateLimitPerMinute,
      () => webError('RATE_LIMITED', 'client', 'rate-limit'),
      (req) => clientAddress(req, trustProxy),
    ),
  );
  const generationLimit = limitMiddleware(generationCount);
  const renderer = createRenderer();
  const tokens = linkTokens<LinkPayload>({ secret: web.linkSecret, ttlMs: web.linkTtlMinutes * 60_000, now });

  app.use(compressText());
  app.use(assetsRouter());
  app.get('/healthz', (_req, res) => {
    const answer = healthAnswer(deps.health?.());
    res.status(answer.status).set('Cache-Control', 'no-store').json(answer.body);
  });

  const discoveryLimit = discoveryLimiter(deps.config.discovery.rateLimitPerMinute);
  app.use('/api', discoverApiRouter(deps, discoveryLimit), apiRouter(deps, generationLimit), apiErrorHandler(logger));
  app.use(autodiscoveryRouter(deps));
  app.use('/admin', adminRouter(deps));

  const errorPage = (_req: express.Request, res: express.Response, error: MailsetupError) => {
    const language = locals(res).language ?? DEFAULTS.language;
    const t = translator(language);
    const rule = error.rule ?? '';
    const ruleKey = `web.error.${rule}`;
    const title = t(`web.errorPage.${error.status >= 500 ? 'server' : 'client'}`);
    const message = error.status >= 500 ? t('web.error.internal') : t(ruleKey) !== ruleKey ? t(ruleKey) : error.message;
    sendPage(res, renderer, { template: 'error', language, status: error.status, org: deps.config.organization.name, title, langLinks: [], view: { message } });
  };

  app.use(pageLanguage(), noStore(), pagesRouter({ deps, renderer, tokens, generationLimit, discoveryLimit }));
  app.use(() => {
    throw webError('NOT_FOUND', 'path', 'not-found');
  });
  app.use(pageErrorHandler(logger, errorPage));
  const front = { securityHeaders: headersSetBy(securityHeaders), trustProxy };
  return withProfileUrl(withFormDownload(app, deps, { ...front, generationLimit: generationCount }), deps, front);
}
