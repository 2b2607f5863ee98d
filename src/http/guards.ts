// Request guards every route group shares: the rate limit, secrets kept out of URLs, and the
// language an API answer is in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { isLanguage, negotiateLanguage } from '../i18n.js';
import type { Language } from '../model/provider.js';
import { oncePerRequest } from './front.js';
import { webError } from './web-error.js';

const LIMIT_OPTIONS = {
  windowMs: 60_000,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  // Behind a proxy without MAILSETUP_TRUST_PROXY every client shares one address; the README says so.
  validate: { xForwardedForHeader: false },
} as const;

/**
 * At most `perMinute` requests per client per minute (0: no limit); past it, `refuse()` is passed to
 * the error handler, so each route group says the limit in its own words.
 */
export function perMinuteLimit(perMinute: number, refuse: () => Error): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({ ...LIMIT_OPTIONS, limit: perMinute, handler: (_req, _res, next) => next(refuse()) });
}

/** A limit for a request answered before express: resolves when the request may go on, else rejects with `refuse()`. */
export type ClientLimit = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * What express-rate-limit uses of a response, on node:http's: its headers, as express's
 * res.append adds one (a second value makes the header a list), and whether it was sent.
 */
function limiterResponse(res: ServerResponse) {
  return {
    get headersSent() {
      return res.headersSent;
    },
    get writableEnded() {
      return res.writableEnded;
    },
    get statusCode() {
      return res.statusCode;
    },
    setHeader(name: string, value: string | number | readonly string[]) {
      res.setHeader(name, value);
      return this;
    },
    append(name: string, value: string) {
      const previous = res.getHeader(name);
      res.setHeader(name, previous === undefined ? value : [...(Array.isArray(previous) ? previous : [String(previous)]), value]);
      return this;
    },
    once(event: string, listener: () => void) {
      res.once(event, listener);
      return this;
    },
  };
}

/**
 * The same limit as perMinuteLimit, for requests answered in front of express as well as by it
 * (limitMiddleware): the client is `clientOf(req)`
 * (its address as express works it out, proxies trusted alike), keyed as express-rate-limit keys
 * `req.ip`. With its own key and refusal the limiter reads nothing else of the request, and of
 * the response only what limiterResponse gives it.
 */
export function clientLimit(perMinute: number, refuse: () => Error, clientOf: (req: IncomingMessage) => string): ClientLimit {
  if (perMinute === 0) return () => Promise.resolve();
  const limiter = rateLimit({
    ...LIMIT_OPTIONS,
    limit: perMinute,
    keyGenerator: (req) => ipKeyGenerator(clientOf(req)),
    handler: (_req, _res, next) => next(refuse()),
  });
  return (req, res) =>
    new Promise<void>((resolve, reject) => {
      void limiter(req as Request, limiterResponse(res) as unknown as Response, (error?: unknown) =>
        error === undefined ? resolve() : reject(error instanceof Error ? error : new Error('the rate limiter failed', { cause: error })),
      );
    });
}

/**
 * `limit` counting each request once: the front that answers a request before express and
 * express, when the front hands the request on to it for a page, get the same outcome.
 */
export function oncePerRequestLimit(limit: ClientLimit): ClientLimit {
  const once = oncePerRequest<void>();
  return (req, res) => once(req, () => limit(req, res));
}

/** A ClientLimit as express middleware: past the limit, its refusal goes to the error handler. */
export function limitMiddleware(limit: ClientLimit): RequestHandler {
  return (req, res, next) => {
    limit(req, res).then(() => next(), next);
  };
}

/** A query whose parameter names carry `password` (any case): URLs end up in logs, histories and proxies. */
export function passwordInQuery(query: object): boolean {
  return Object.keys(query).some((key) => key.toLowerCase().includes('password'));
}

/** A query parameter whose name carries `password` (any case). */
export function passwordInUrl(req: Request): boolean {
  return passwordInQuery(req.query);
}

/** Refuses a password in the query string before the route reads anything (`password-in-url`). */
export const noPasswordInUrl: RequestHandler = (req, _res, next) => {
  if (passwordInUrl(req)) throw webError('INVALID_INPUT', 'password', 'password-in-url');
  next();
};

/** `?lang=` when it names a language, else the browser's Accept-Language. */
export function languageOf(asked: unknown, acceptLanguage: string | undefined): Language {
  return isLanguage(asked) ? asked : negotiateLanguage(acceptLanguage);
}

/** The language an API answer is in: `?lang=` when it names one, else the browser's Accept-Language. */
export function requestLanguage(req: Request): Language {
  return languageOf(req.query.lang, req.get('accept-language'));
}
