// Compression for text answers (pages, JSON, XML), with Node's zlib: brotli where the browser
// takes it, else gzip. Only what goes through res.send is compressed: the files people download
// (signed profiles, setup packs) are sent with res.end in send-file.ts, and their types are not text.
import type { RequestHandler, Response } from 'express';
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from 'node:zlib';

export type Encoding = 'br' | 'gzip';

/** Bodies smaller than this are sent as they are: compressing them saves nothing. */
export const COMPRESS_THRESHOLD = 1024;

const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml|[\w.+-]*\+(json|xml))|image\/svg\+xml)/i;

/** The encoding to answer with for an Accept-Encoding header: br, then gzip, never one refused with q=0. */
export function preferredEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name.trim(), q ? Number(q.slice(2)) : 1);
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return undefined;
}

export function isTextType(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_TYPE.test(contentType);
}

const BROTLI_OPTIONS = (size: number) => ({ params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: size } });

/** The same bytes compressed, once (for files kept in memory, such as the stylesheet). */
export function compressSync(body: Buffer, encoding: Encoding): Buffer {
  return encoding === 'br' ? brotliCompressSync(body, BROTLI_OPTIONS(body.length)) : gzipSync(body);
}

function compress(body: Buffer, encoding: Encoding): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, out: Buffer) => (error ? reject(error) : resolve(out));
    if (encoding === 'br') brotliCompress(body, BROTLI_OPTIONS(body.length), done);
    else gzip(body, done);
  });
}

/** Compresses res.send bodies of text types off the event loop; everything else passes untouched. */
export function compressText(threshold = COMPRESS_THRESHOLD): RequestHandler {
  return (req, res, next) => {
    const send = res.send.bind(res) as (body?: unknown) => Response;
    res.send = ((body?: unknown) => {
      if (typeof body !== 'string' && !Buffer.isBuffer(body)) return send(body); // objects come back as JSON text
      // express's own default type for a string body.
      if (typeof body === 'string' && !res.get('Content-Type')) res.type('html');
      if (!isTextType(res.get('Content-Type')) || res.get('Content-Encoding') || req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304)
        return send(body);
      res.vary('Accept-Encoding');
      const encoding = preferredEncoding(req.get('accept-encoding'));
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      if (!encoding || bytes.length < threshold) return send(body);
      compress(bytes, encoding).then(
        (out) => {
          res.set('Content-Encoding', encoding);
          res.removeHeader('Content-Length');
          send(out);
        },
        () => send(body),
      );
      return res;
    }) as Response['send'];
    next();
  };
}
