// The form reader against express.urlencoded (body-parser and qs, the reader it stands in for):
// over generated forms, every plain form comes out field for field as express.urlencoded gives
// it, and the rest (brackets, other charsets, too many fields, no body) is express.urlencoded's.
import { describe, expect, it } from '@jest/globals';
import express from 'express';
import fc from 'fast-check';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { MailsetupError } from '../../src/errors.js';
import { FORM_LIMITS, parsePlainForm, readFormBody } from '../../src/http/form-body.js';

/** A posted request of `bytes` with `headers`, as node's http server hands one over. */
function posted(bytes: Buffer, headers: Record<string, string>): IncomingMessage {
  return Object.assign(Readable.from([bytes], { objectMode: false }), {
    headers: { 'content-length': String(bytes.length), ...headers },
  }) as unknown as IncomingMessage;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * Fields compared as data: the kind of object and its own entries in order (jest's own equality
 * would read a field named `constructor` as the object's type).
 */
function asData(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return { kind: prototype === Object.prototype ? 'object' : prototype === null ? 'bare' : 'other', entries: Object.entries(value) };
}
const res = {} as ServerResponse;

/** What express.urlencoded, as the app configures it, makes of a body: its fields, or its error's type. */
function urlencoded(bytes: Buffer, headers: Record<string, string>): Promise<unknown> {
  const req = posted(bytes, headers);
  const parser = express.urlencoded({ extended: false, ...FORM_LIMITS });
  return new Promise((resolve) =>
    parser(req, res, (error?: unknown) => resolve(error === undefined ? (req as express.Request).body : { refused: (error as { type?: string }).type })),
  );
}

/** What readFormBody makes of it: its fields, or its error's field and rule. */
function ours(bytes: Buffer, headers: Record<string, string>): Promise<unknown> {
  return readFormBody(posted(bytes, headers), res).then(
    (fields) => fields,
    (error: unknown) => ({ refusedAs: error instanceof MailsetupError ? `${error.field}/${error.rule}` : String(error) }),
  );
}

// Names and values as forms and hostile clients send them: escapes good and bad, `+`, UTF-8 and
// not, names of Object.prototype, empty names, numbers (ordered first in objects), repeats.
const piece = fc.oneof(
  fc.constantFrom('email', 'name', 'device', 'language', '__proto__', 'toString', 'constructor', 'hasOwnProperty', '', '0', '10', '2'),
  fc.constantFrom('+', '%20', '%2B', '%26', '%3D', '%41', '%ZZ', '%4', '%', '%E2%82%AC', '%E2%82', '%F0%9F%98%80', '%C3%A9', '%FF', '%00', '%25'),
  fc.constantFrom('€', 'é', 'Иван', '😀', ';', '.', '?', '#', '/', '@', '\u0000', '\ud800'),
  fc.string({ maxLength: 4 }),
);
const text = fc.array(piece, { maxLength: 4 }).map((pieces) => pieces.join(''));
const part = fc.oneof(
  fc.tuple(text, text).map(([name, value]) => `${name}=${value}`),
  text,
  fc.tuple(text, text, text).map((p) => p.join('=')),
);
const body = fc.array(part, { maxLength: 8 }).map((parts) => parts.join('&'));

describe('parsePlainForm', () => {
  it('gives every generated form without brackets the fields express.urlencoded gives it, and leaves the others', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (form) => {
        const bytes = Buffer.from(form, 'utf8');
        // The text the reader hands over: the bytes decoded as UTF-8.
        const fields = parsePlainForm(bytes.toString('utf8'));
        if (/[[\]]|%5[bd]/i.test(form)) expect(fields).toBeUndefined();
        else expect(asData(fields)).toStrictEqual(asData(await urlencoded(bytes, { 'content-type': FORM })));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves forms with brackets in them to express.urlencoded', () => {
    for (const form of ['a[b]=1', 'a%5Bb%5D=1', 'a%5bb%5d=1', 'a]=1', 'x=1&list[]=2', '[0]=a']) expect(parsePlainForm(form)).toBeUndefined();
  });

  it('refuses more fields than the limit as express.urlencoded does', () => {
    expect(() => parsePlainForm(Array(51).fill('a=1').join('&'))).toThrow(expect.objectContaining({ type: 'parameters.too.many' }));
    expect(Object.keys(parsePlainForm(Array.from({ length: 50 }, (_, i) => `f${i}=1`).join('&'))!)).toHaveLength(50);
  });
});

describe('readFormBody', () => {
  it('reads generated forms (brackets, other charsets and Content-Types among them) as express.urlencoded does', async () => {
    const type = fc.constantFrom(
      FORM,
      `${FORM}; charset=utf-8`,
      `${FORM};charset=UTF-8`,
      `${FORM}; charset=iso-8859-1`,
      `${FORM}; charset="utf-8"`,
      'text/plain',
    );
    const bracketed = fc.tuple(body, fc.constantFrom('a[b]=1', 'list[]=x', 'list[]=y', '%5B0%5D=z', 'x]=1')).map(([form, extra]) => `${form}&${extra}`);
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, bracketed), type, async (form, contentType) => {
        const bytes = Buffer.from(form, 'utf8');
        const expected = await urlencoded(bytes, { 'content-type': contentType });
        const got = await ours(bytes, { 'content-type': contentType });
        if (expected !== null && typeof expected === 'object' && 'refused' in expected) expect(got).toHaveProperty('refusedAs');
        else expect(asData(got)).toStrictEqual(asData(expected));
      }),
      { numRuns: 1500 },
    );
  });

  it('decodes generated bytes (not UTF-8, a byte-order mark) and lengths as declared as express.urlencoded does', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      body.map((form) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(form, 'utf8')])),
      fc.tuple(body, fc.uint8Array({ maxLength: 6 })).map(([form, tail]) => Buffer.concat([Buffer.from(`${form}&x=`), tail])),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (raw) => {
        const buffer = Buffer.from(raw);
        expect(asData(await ours(buffer, { 'content-type': FORM }))).toStrictEqual(asData(await urlencoded(buffer, { 'content-type': FORM })));
      }),
      { numRuns: 1500 },
    );
    // Lengths this module leaves to body-parser's reader are read there, with the same fields.
    for (const length of ['+31', ' 31', '031', '31 ']) {
      const form = Buffer.from('email=ivan%40nstu.ru&device=ios');
      const headers = { 'content-type': FORM, 'content-length': length };
      expect(await ours(form, headers)).toStrictEqual(await urlencoded(form, headers));
    }
  });

  it('refuses a body whose client went away before it was all sent', async () => {
    const gone = Object.assign(new Readable({ read() {} }), { headers: { 'content-type': FORM, 'content-length': '40' } });
    gone.push(Buffer.from('email=ivan'));
    const read = readFormBody(gone as unknown as IncomingMessage, res).catch((error: unknown) => error);
    gone.destroy();
    await expect(read).resolves.toMatchObject({ field: 'body', rule: 'body-incomplete' });
  });

  it('keeps what the reader does before any parsing: the size limit, decompression, a missing body', async () => {
    const big = Buffer.from(`email=${'a'.repeat(17 * 1024)}`);
    await expect(ours(big, { 'content-type': FORM })).resolves.toEqual({ refusedAs: 'body/body-size' });
    await expect(ours(Buffer.from(Array(51).fill('a=1').join('&')), { 'content-type': FORM })).resolves.toEqual({ refusedAs: 'body/body-size' });
    const gzip = gzipSync('email=ivan%40nstu.ru&device=ios');
    await expect(ours(gzip, { 'content-type': FORM, 'content-encoding': 'gzip' })).resolves.toStrictEqual({ email: 'ivan@nstu.ru', device: 'ios' });
    await expect(ours(gzip, { 'content-type': FORM, 'content-encoding': 'deflate' })).resolves.toEqual({ refusedAs: 'body/body-compression' });
    const none = Object.assign(Readable.from([]), { headers: { 'content-type': FORM } }) as unknown as IncomingMessage;
    await expect(readFormBody(none, res)).resolves.toBeUndefined();
    // Latin-1, as express.urlencoded decodes it: %E9 is é.
    await expect(ours(Buffer.from('name=Ren%E9'), { 'content-type': `${FORM}; charset=iso-8859-1` })).resolves.toStrictEqual({ name: 'René' });
  });

  it('sets req.body to the fields, as express.urlencoded does', async () => {
    const req = posted(Buffer.from('email=ivan%40nstu.ru&name=%D0%98%D0%B2%D0%B0%D0%BD'), { 'content-type': FORM });
    const fields = await readFormBody(req, res);
    expect((req as express.Request).body).toBe(fields);
    expect(fields).toStrictEqual({ email: 'ivan@nstu.ru', name: 'Иван' });
  });
});
