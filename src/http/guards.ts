// Request guards every route group shares.
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';

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
