// Request guards every route group shares: the rate limit, secrets kept out of URLs, and the
// language an API answer is in.
import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { isLanguage, negotiateLanguage } from '../i18n.js';
import type { Language } from '../model/provider.js';
import { webError } from './web-error.js';

/**
 * At most `perMinute` requests per client per minute (0: no limit); past it, `refuse()` is passed to
 * the error handler, so each route group says the limit in its own words.
 */
export function perMinuteLimit(perMinute: number, refuse: () => Error): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Behind a proxy without MAILSETUP_TRUST_PROXY every client shares one address; the README says so.
    validate: { xForwardedForHeader: false },
    handler: (_req, _res, next) => next(refuse()),
  });
}

/** A query parameter whose name carries `password` (any case): URLs end up in logs, histories and proxies. */
export function passwordInUrl(req: Request): boolean {
  return Object.keys(req.query).some((key) => key.toLowerCase().includes('password'));
}

/** Refuses a password in the query string before the route reads anything (`password-in-url`). */
export const noPasswordInUrl: RequestHandler = (req, _res, next) => {
  if (passwordInUrl(req)) throw webError('INVALID_INPUT', 'password', 'password-in-url');
  next();
};

/** The language an API answer is in: `?lang=` when it names one, else the browser's Accept-Language. */
export function requestLanguage(req: Request): Language {
  const asked = req.query.lang;
  return isLanguage(asked) ? asked : negotiateLanguage(req.get('accept-language'));
}
