// The one error mapper of the web layer: any thrown value becomes a MailsetupError, answered as
// JSON {error:{code,message,field}} on the API and as a page elsewhere. Internals never leak.
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { asMailsetupError, MailsetupError } from '../errors.js';
import { knownBodyError } from './body.js';
import type { Logger } from '../logger.js';
import { locals } from './middleware.js';
import { webError } from './web-error.js';

interface HttpError {
  status?: number;
}

/** Express and body-parser errors in our registry's terms. */
export function toMailsetupError(error: unknown): MailsetupError {
  if (error instanceof MailsetupError) return error;
  const body = knownBodyError(error);
  if (body) return body;
  // Static files (serve-static): missing, outside the folder, or a malformed path all read as absent.
  const status = (error as HttpError | undefined)?.status;
  if (status === 404 || status === 403 || status === 400) return webError('NOT_FOUND', 'path', 'not-found');
  return asMailsetupError(error);
}

export function logError(logger: Logger, res: Response, error: MailsetupError): void {
  logFailure(logger, locals(res).requestId, error);
}

/** A refusal as a warning (code, field, rule), a failure as an error with its cause. */
export function logFailure(logger: Logger, requestId: string | undefined, error: MailsetupError): void {
  const fields = { requestId, code: error.code, field: error.field, rule: error.rule };
  if (error.status >= 500) {
    const cause = error.cause instanceof Error ? error.cause : undefined;
    logger.error({ ...fields, error: cause?.message ?? error.message, stack: cause?.stack }, 'failed');
  } else {
    logger.warn(fields, 'rejected');
  }
}

export function jsonError(res: Response, error: MailsetupError): void {
  if (res.headersSent) return;
  res.status(error.status).set('Cache-Control', 'no-store').json({ error: error.toJSON() });
}

/** The same JSON error on a response express never saw. */
export function writeJsonError(res: ServerResponse, error: MailsetupError): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ error: error.toJSON() });
  res.writeHead(error.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export function apiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown, _req, res, _next) => {
    const error = toMailsetupError(thrown);
    logError(logger, res, error);
    jsonError(res, error);
  };
}

export type ErrorPage = (req: Request, res: Response, error: MailsetupError) => void;

export function pageErrorHandler(logger: Logger, page: ErrorPage): ErrorRequestHandler {
  return (thrown, req, res, _next) => {
    const error = toMailsetupError(thrown);
    logError(logger, res, error);
    if (res.headersSent) return;
    page(req, res, error);
  };
}
