// The stylesheet, script and icons from templates/assets/, kept in memory with their compressed
// forms (made once at start), answered with a validator so browsers revalidate cheaply.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Router, type RequestHandler } from 'express';
import { TEMPLATES_DIR } from '../i18n.js';
import { compressSync, COMPRESS_THRESHOLD, preferredEncoding, type Encoding } from './compression.js';
import { webError } from './web-error.js';

export const ASSETS_DIR = join(TEMPLATES_DIR, 'assets');

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};
const TEXT = new Set(['.css', '.js', '.svg']);

interface Asset {
  type: string;
  etag: string;
  body: Buffer;
  encoded: Partial<Record<Encoding, Buffer>>;
}

export function loadAssets(dir = ASSETS_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const ext = extname(name);
    const type = TYPES[ext];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const encoded: Asset['encoded'] = {};
    if (TEXT.has(ext) && body.length >= COMPRESS_THRESHOLD) for (const encoding of ['br', 'gzip'] as const) encoded[encoding] = compressSync(body, encoding);
    assets.set(name, { type, body, encoded, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/** GET /assets/<name> and /favicon.ico (browsers ask for it on every site). */
export function assetsRouter(assets = loadAssets()): Router {
  const router = Router();
  const serve =
    (name: string): RequestHandler =>
    (req, res, next) => {
      const asset = assets.get(name);
      if (!asset) return next(webError('NOT_FOUND', 'path', 'not-found'));
      res.set({ 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600', ETag: asset.etag, Vary: 'Accept-Encoding' });
      if (req.get('if-none-match') === asset.etag) return void res.status(304).end();
      const encoding = preferredEncoding(req.get('accept-encoding'));
      const encoded = encoding ? asset.encoded[encoding] : undefined;
      if (encoding && encoded) res.set('Content-Encoding', encoding);
      const body = encoded ?? asset.body;
      res.set('Content-Length', String(body.length));
      res.status(200).end(req.method === 'HEAD' ? undefined : body);
    };
  router.get('/favicon.ico', serve('favicon.ico'));
  router.get('/assets/:name', (req, res, next) => serve(String(req.params.name))(req, res, next));
  return router;
}
