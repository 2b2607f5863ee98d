// The plain-HTTP port of a server that speaks HTTPS itself: ACME HTTP-01 answers (RFC 8555
// §8.3), the autoconfig files mail clients fetch over http (Thunderbird tries http:// too), and
// a redirect to https:// for everything else, so nobody types a password over plain HTTP.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HTTP_CHALLENGE_PATH, type AcmeChallenges } from '../signing/acme-challenges.js';

/** Paths clients fetch over plain HTTP that carry no secrets: served as they are. */
const PLAIN_PATHS = new Set(['/mail/config-v1.1.xml', '/.well-known/autoconfig/mail/config-v1.1.xml']);
const HOST = /^(?:[a-z0-9-]+\.)*[a-z0-9-]+$/;

export interface PlainHttpOptions {
  challenges: AcmeChallenges | undefined;
  /** The names this server answers to: a redirect goes to the one asked for, or the first. */
  hosts: readonly string[];
  httpsPort: () => number;
  /** The web app, once it exists (until then, paths other than challenges answer 503). */
  app: () => RequestListener | undefined;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body = ''): void {
  res.writeHead(status, { 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function redirectHost(req: IncomingMessage, hosts: readonly string[]): string | undefined {
  const asked = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (hosts.includes(asked)) return asked;
  if (hosts.length > 0) return hosts[0];
  return HOST.test(asked) ? asked : undefined;
}

export function plainHttpHandler(options: PlainHttpOptions): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const answer = options.challenges?.httpAnswer(path);
      if (answer !== undefined) return send(res, 200, { 'Content-Type': 'text/plain' }, answer);
      if (path.startsWith(HTTP_CHALLENGE_PATH)) return send(res, 404, { 'Content-Type': 'text/plain' }, 'unknown token\n');
      if (PLAIN_PATHS.has(path)) {
        const app = options.app();
        if (app) return app(req, res);
        return send(res, 503, { 'Retry-After': '5', 'Content-Type': 'text/plain' }, 'starting\n');
      }
    }
    const host = redirectHost(req, options.hosts);
    if (!host) return send(res, 400, { 'Content-Type': 'text/plain' }, 'use https://\n');
    const port = options.httpsPort();
    const location = `https://${host}${port === 443 ? '' : `:${port}`}${url.startsWith('/') ? url : '/'}`;
    // Outlook's Autodiscover "HTTP redirect method" follows a 302; browsers may cache a 301. 308
    // keeps the method and body of a POST.
    const status = path.toLowerCase().startsWith('/autodiscover/') ? 302 : req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
    send(res, status, { Location: location, 'Content-Type': 'text/plain' }, `${location}\n`);
  };
}
