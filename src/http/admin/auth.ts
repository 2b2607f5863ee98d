// Who may use the admin API: the bearer token, compared in constant time, and never in a URL.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { adminError } from './jobs.js';

/** Equal-time comparison of digests, so neither the length nor the content of the token leaks. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Any query parameter that looks like a token: refused before anything else looks at the request. */
export function tokenInUrl(req: Request): boolean {
  return Object.keys(req.query).some((key) => key.toLowerCase().includes('token'));
}

export const TOKEN_IN_URL_MESSAGE =
  'the admin token must never be in a URL (address bars, histories and logs keep it), so it was not checked; ' +
  'if it was the real token, change MAILSETUP_ADMIN_TOKEN. Paste the token into the page instead';

/** Checks `Authorization: Bearer <token>`: missing and wrong are told apart, so the page can say which. */
export function bearerToken(expected: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!given) return next(adminError('FORBIDDEN', 'authorization', 'admin-token', 'this needs the admin token (Authorization: Bearer …)'));
    if (!tokenMatches(given, expected)) return next(adminError('FORBIDDEN', 'authorization', 'admin-token-wrong', 'the admin token is wrong'));
    next();
  };
}
