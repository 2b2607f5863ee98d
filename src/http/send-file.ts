// Sends a generated file: its own MIME type, a safe attachment name, never cached.
import type { Response } from 'express';
import { asciiFileName } from '../formats/filename.js';
import type { WebFile } from './generation.js';

// A surrogate half without its partner: a name cut by UTF-16 units can end in one, and
// encodeURIComponent throws on it. Matched per code unit (no `u` flag) on purpose.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * RFC 6266 / RFC 8187: a quoted ASCII name for every client, plus filename* when the name is not
 * ASCII. Total: any string gives a valid header (lone surrogates become U+FFFD), never an error,
 * so no file name can turn a finished download into a 500.
 */
export function contentDisposition(fileName: string): string {
  const name = fileName.replace(LONE_SURROGATE, '\uFFFD');
  const ascii = asciiFileName(name);
  const plain = `attachment; filename="${ascii}"`;
  if (ascii === name) return plain;
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${plain}; filename*=UTF-8''${encoded}`;
}

/** The headers of a generated file's answer. */
export function fileHeaders(file: WebFile): Record<string, string> {
  return {
    'Content-Type': file.contentType,
    'Content-Disposition': contentDisposition(file.fileName),
    'Content-Length': String(file.body.length),
    'Cache-Control': 'no-store',
    'X-Mailsetup-Signed': String(file.signed),
  };
}

export function sendGeneratedFile(res: Response, file: WebFile): void {
  res.status(200);
  res.set(fileHeaders(file));
  res.end(file.body);
}
