// Request plumbing: request ids, one log line per request (path only: no query string, no body,
// so neither addresses typed into forms nor passwords reach the log; link tokens and, when asked,
// addresses in the path redacted), the page language.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isLanguage, negotiateLanguage } from '../i18n.js';
import type { Config } from '../config.js';
import type { Language } from '../model/provider.js';
import { loggedPath } from './address-log.js';
import { oncePer } from './front.js';
import type { Logger } from '../logger.js';

export const LANGUAGE_COOKIE = 'mailsetup_lang';
const REQUEST_ID = /^[\w.:-]{1,64}$/;

export interface Locals {
  requestId: string;
  language: Language;
}

export function locals(res: Response): Locals {
  return res.locals as Locals;
}

/** A sane incoming X-Request-Id (from a proxy), else a new one. */
function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The one log line of a request, once its answer is sent: its path as the client asked (the query is left out). */
function logRequestWhenSent(
  logger: Logger,
  now: () => number,
  config: Pick<Config, 'autodiscovery'>,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
): void {
  const started = now();
  // Read now: routers mounted at a path shorten req.url while they handle the request.
  const url = req.url ?? '';
  res.on('finish', () => {
    const path = loggedPath(url.split('?', 1)[0] ?? '', config);
    logger.info({ requestId, method: req.method, path, status: res.statusCode, ms: now() - started }, 'request');
  });
}

/** The request id of each request begun, held on its response: the front and express begin a request once between them. */
const begun = oncePer<ServerResponse, string>('requestId');

/**
 * Begins a request: keeps a sane incoming X-Request-Id (from a proxy), else makes one, echoes it
 * in the response and logs the request once its answer is sent. A request begun already (by the
 * front, before it handed the request on to express) keeps its id and its one log line.
 */
export function beginRequest(logger: Logger, now: () => number, config: Pick<Config, 'autodiscovery'>, req: IncomingMessage, res: ServerResponse): string {
  return begun(res, () => {
    const id = requestIdOf(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', id);
    logRequestWhenSent(logger, now, config, req, res, id);
    return id;
  });
}

/** beginRequest as express's first middleware: the id is kept in res.locals for the routes. */
export function requestStart(logger: Logger, now: () => number, config: Pick<Config, 'autodiscovery'>): RequestHandler {
  return (req, res, next) => {
    // At the app's root, before any router: req.url is the URL as asked (originalUrl).
    locals(res).requestId = beginRequest(logger, now, config, req, res);
    next();
  };
}

/** The value of one cookie in a Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The page language when the URL names none: the remembered cookie, else Accept-Language. */
export function rememberedLanguage(cookieHeader: string | undefined, acceptLanguage: string | undefined): Language {
  const remembered = cookieValue(cookieHeader, LANGUAGE_COOKIE);
  return isLanguage(remembered) ? remembered : negotiateLanguage(acceptLanguage);
}

/** ?lang= (remembered in a cookie), else the cookie, else Accept-Language. Forms post `language` too. */
export function pageLanguage(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const asked = req.query.lang;
    let language: Language;
    if (isLanguage(asked)) {
      language = asked;
      res.cookie(LANGUAGE_COOKIE, asked, { path: '/', maxAge: 365 * 24 * 3600 * 1000, sameSite: 'lax', httpOnly: true, secure: req.secure });
    } else {
      language = rememberedLanguage(req.get('cookie'), req.get('accept-language'));
    }
    locals(res).language = language;
    next();
  };
}

export function noStore(): RequestHandler {
  return (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
}
