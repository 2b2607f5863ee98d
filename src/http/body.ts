// Reading request bodies: every body parser is wrapped here, so anything that goes wrong while a
// body is read (too large, not the declared length, a Content-Encoding that does not match the
// data) is answered as a fault of the body, never mistaken for a missing page.
import type { RequestHandler } from 'express';
import { MailsetupError } from '../errors.js';
import { webError } from './web-error.js';

interface ReadError {
  type?: unknown;
  status?: unknown;
}

/** body-parser and raw-body errors by their `type`. */
const BY_TYPE: Record<string, () => MailsetupError> = {
  'entity.too.large': () => webError('PAYLOAD_TOO_LARGE', 'body', 'body-size'),
  'parameters.too.many': () => webError('PAYLOAD_TOO_LARGE', 'body', 'body-size'),
  'entity.parse.failed': () => webError('INVALID_INPUT', 'body', 'body-json'),
  'charset.unsupported': () => webError('INVALID_INPUT', 'body', 'body-encoding'),
  'encoding.unsupported': () => webError('INVALID_INPUT', 'body', 'body-compression'),
  'request.aborted': () => webError('INVALID_INPUT', 'body', 'body-incomplete'),
  'request.size.invalid': () => webError('INVALID_INPUT', 'body', 'body-incomplete'),
};

/** The MailsetupError for a known body-reading error, else undefined. */
export function knownBodyError(error: unknown): MailsetupError | undefined {
  const type = (error as ReadError | undefined)?.type;
  return typeof type === 'string' ? BY_TYPE[type]?.() : undefined;
}

/**
 * Any error a body reader passes on. zlib's (gzip labelled deflate, a cut or damaged stream)
 * arrive untyped with status 400: the only untyped client errors a reader raises.
 */
export function bodyReadError(error: unknown): MailsetupError {
  if (error instanceof MailsetupError) return error;
  const known = knownBodyError(error);
  if (known) return known;
  const status = (error as ReadError | undefined)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return webError('INVALID_INPUT', 'body', 'body-compression');
  return new MailsetupError('INTERNAL', 'the request body could not be read', { cause: error });
}

/** A body parser (express.json, urlencoded, raw) whose errors are body errors. */
export function readBody(parser: RequestHandler): RequestHandler {
  return (req, res, next) => parser(req, res, (error?: unknown) => (error === undefined || error === null ? next() : next(bodyReadError(error))));
}
