// Sends a generated file: its own MIME type, a safe attachment name, never cached.
import type { Response } from 'express';
import { asciiFileName } from '../formats/filename.js';
import type { WebFile } from './generation.js';

/** RFC 6266 / RFC 8187: a quoted ASCII name for every client, plus filename* when the name is not ASCII. */
export function contentDisposition(fileName: string): string {
  const ascii = asciiFileName(fileName);
  const plain = `attachment; filename="${ascii}"`;
  if (ascii === fileName) return plain;
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${plain}; filename*=UTF-8''${encoded}`;
}

export function sendGeneratedFile(res: Response, file: WebFile): void {
  res.status(200);
  res.set({
    'Content-Type': file.contentType,
    'Content-Disposition': contentDisposition(file.fileName),
    'Content-Length': String(file.body.length),
    'Cache-Control': 'no-store',
    'X-Mailsetup-Signed': String(file.signed),
  });
  res.end(file.body);
}
