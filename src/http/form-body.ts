// Reading a posted form (application/x-www-form-urlencoded): express.urlencoded's answer, got
// more cheaply for the forms browsers send. Through body-parser (its stream reader, then the qs
// library) the form's download spent about 9 µs more of the main thread than it does here, of
// ~80 µs (`npm run bench -- http`). A plain form (UTF-8, flat names: no brackets) is split by a
// parser a test holds equal to express.urlencoded's output over generated forms; its bytes are
// read here when the request declares their length (no compression, within the limit), else by
// body-parser's own reader (express.text: the same limit, decompression and errors). Any other
// form, and any other Content-Type, is express.urlencoded's alone.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import express, { type Request, type Response } from 'express';
import { bodyReadError, readBody } from './body.js';

/** Posted forms: small, flat, few fields. */
export const FORM_LIMITS = Object.freeze({ limit: '16kb', parameterLimit: 50 });
/** The limit in bytes, as body-parser reads '16kb'. */
const LIMIT_BYTES = 16 * 1024;

const urlencoded = readBody(express.urlencoded({ extended: false, ...FORM_LIMITS }));
const text = readBody(express.text({ type: 'application/x-www-form-urlencoded', limit: FORM_LIMITS.limit }));

/** The Content-Types of a plain form: as browsers send it, UTF-8 (body-parser's default charset). */
const PLAIN_FORM_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded;charset=utf-8',
]);

export type FormFields = Record<string, string | string[]>;

/** qs's decoding of a name or value in UTF-8: `+` is a space; a malformed escape leaves the text as it was. */
function decodeFormText(text: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** body-parser's refusal of a form with more fields than the limit (a 413, named by readBody). */
function tooManyFields(): Error {
  return Object.assign(new Error('too many parameters'), { status: 413, type: 'parameters.too.many' });
}

/**
 * A UTF-8 form's fields as express.urlencoded({ extended: false }) gives them: a repeated name is
 * a list in order, a name without `=` is empty, empty and `__proto__` names are dropped.
 * Undefined for a form with brackets in its names (qs gives those a meaning of their own).
 */
export function parsePlainForm(body: string): FormFields | undefined {
  if (body === '') return {};
  const parts = body.split('&');
  if (parts.length > FORM_LIMITS.parameterLimit) throw tooManyFields();
  if (/[[\]]|%5[bd]/i.test(body)) return undefined;
  const fields: FormFields = {};
  for (const part of parts) {
    const equals = part.indexOf('=');
    const name = decodeFormText(equals === -1 ? part : part.slice(0, equals));
    if (name === '' || name === '__proto__') continue;
    const value = equals === -1 ? '' : decodeFormText(part.slice(equals + 1));
    const before = Object.hasOwn(fields, name) ? fields[name] : undefined;
    fields[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return fields;
}

function run(parser: typeof text, req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  return new Promise((resolve, reject) =>
    parser(req as Request, res as Response, (error?: unknown) =>
      error === undefined ? resolve((req as Request).body) : reject(error instanceof Error ? error : new Error('the form could not be read', { cause: error })),
    ),
  );
}

/** The same text as a request of its own, for express.urlencoded to read after the stream is spent. */
function replayed(req: IncomingMessage, body: string): IncomingMessage {
  const bytes = Buffer.from(body, 'utf8');
  return Object.assign(Readable.from([bytes], { objectMode: false }), {
    headers: { 'content-type': req.headers['content-type'], 'content-length': String(bytes.length) },
  }) as unknown as IncomingMessage;
}

/**
 * The declared length of a body this module reads itself: given as plain digits, within the
 * limit, not compressed nor chunked. Anything else goes to body-parser's reader.
 */
function declaredLength(req: IncomingMessage): number | undefined {
  const { headers } = req;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
  const length = headers['content-length'];
  if (length === undefined || !/^\d{1,5}$/.test(length)) return undefined;
  const bytes = Number(length);
  return bytes <= LIMIT_BYTES ? bytes : undefined;
}

/** The error body-parser gives a request whose client went away before its body was read. */
function aborted(): Error {
  return Object.assign(new Error('request aborted'), { status: 400, type: 'request.aborted' });
}

/**
 * A body of declared length as text, as body-parser's reader decodes UTF-8 (iconv-lite): bytes
 * that are not UTF-8 become U+FFFD, a leading byte-order mark is dropped. node's parser delivers
 * no more than the declared length, and ends the body only once all of it came.
 */
function readDeclared(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      ended = true;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    req.once('error', () => reject(aborted()));
    req.once('close', () => {
      if (!ended) reject(aborted());
    });
  });
}

/**
 * The posted form's fields (undefined without a form body), as express.urlencoded reads them;
 * sets req.body as it does. A body that cannot be read rejects with readBody's error.
 */
export async function readFormBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const type = req.headers['content-type']?.toLowerCase();
  if (type === undefined || !PLAIN_FORM_TYPES.has(type)) return run(urlencoded, req, res);
  let body: unknown;
  try {
    body = declaredLength(req) === undefined ? await run(text, req, res) : await readDeclared(req);
  } catch (thrown) {
    throw bodyReadError(thrown);
  }
  if (typeof body !== 'string') return body;
  // As express.urlencoded leaves it until the form is parsed.
  (req as Request).body = undefined;
  let fields: unknown;
  try {
    fields = parsePlainForm(body) ?? (await run(urlencoded, replayed(req, body), res));
  } catch (thrown) {
    throw bodyReadError(thrown);
  }
  (req as Request).body = fields;
  return fields;
}
