// What the routes answered in front of express share (the profile URL, the form's download): the
// request target as express routes it, the client's address and scheme behind trusted proxies as
// express works them out, the security headers recorded once from the app's helmet policy, and
// steps of a request (its limit, its body, its file) taken once between the front and express
// when the front hands a request on.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyaddr from 'proxy-addr';

/** Which hops of X-Forwarded-For to believe. */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * MAILSETUP_TRUST_PROXY (express's `trust proxy` setting) compiled as express compiles it: true
 * trusts every hop, a number that many hops, a string the listed addresses, subnets and names
 * (loopback, linklocal, uniquelocal). A test holds it to express's own req.ip and req.secure.
 */
export function compileTrustProxy(setting: boolean | number | string): TrustProxy {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return proxyaddr.compile(setting.split(',').map((part) => part.trim()));
}

/** The client's address, as express's req.ip gives it. */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  return proxyaddr(req, trust);
}

/** Whether the client asked over HTTPS, as express's req.secure says: the socket, or X-Forwarded-Proto from a trusted proxy. */
export function isSecure(req: IncomingMessage, trust: TrustProxy): boolean {
  const encrypted = (req.socket as Partial<TLSSocket>).encrypted === true;
  if (!trust(req.socket.remoteAddress as string, 0)) return encrypted;
  const header = req.headers['x-forwarded-proto'];
  const given = (Array.isArray(header) ? header.join(', ') : header) || (encrypted ? 'https' : 'http');
  return given.split(',', 1)[0]!.trim() === 'https';
}

/** The path and query string of a request target, also in the absolute form (`http://host/path?query`) a client may send. */
export function requestTarget(url: string): { path: string; query: string } {
  let rest = url;
  if (!rest.startsWith('/')) {
    const scheme = rest.indexOf('://');
    const slash = scheme === -1 ? -1 : rest.indexOf('/', scheme + 3);
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  const at = rest.indexOf('?');
  return at === -1 ? { path: rest, query: '' } : { path: rest.slice(0, at), query: rest.slice(at + 1) };
}

/** Whether express would route `path` to a route of the literal path `route`: any case, an optional trailing slash. */
export function routesTo(path: string, route: string): boolean {
  const lower = path.toLowerCase();
  return lower === route || lower === `${route}/`;
}

/**
 * A step taken at most once per owner (a request or its response), held on the owner itself
 * under a symbol nobody else holds, not in a WeakMap: under load a WeakMap entry per request and
 * step made the main thread's collections slower. A step that throws is not held.
 */
export function oncePer<Owner extends object, T>(step: string): (owner: Owner, take: () => T) => T {
  const taken = Symbol(step);
  type Held = Owner & { [taken]?: T };
  return (owner, take) => {
    const held = (owner as Held)[taken];
    if (held !== undefined) return held;
    const outcome = take();
    (owner as Held)[taken] = outcome;
    return outcome;
  };
}

/**
 * A step of a request taken at most once, by the front or by express, whichever asks first; a
 * later ask gets the same outcome (a file made, a body read, a request counted against the limit).
 */
export function oncePerRequest<T>(): (req: IncomingMessage, take: () => Promise<T>) => Promise<T> {
  const once = oncePer<IncomingMessage, Promise<T>>('oncePerRequest');
  return (req, take) =>
    once(req, () => {
      try {
        return take();
      } catch (thrown) {
        return Promise.reject(thrown instanceof Error ? thrown : new Error(String(thrown)));
      }
    });
}

/** The headers every answer of the app carries (helmet's), in the order it sets them. */
export type SecurityHeaders = readonly (readonly [string, string])[];

/** What every route answered in front of express needs of the app. */
export interface FrontOptions {
  securityHeaders: SecurityHeaders;
  trustProxy: TrustProxy;
}

export function setSecurityHeaders(res: ServerResponse, headers: SecurityHeaders): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

/**
 * The headers a middleware that only sets headers (helmet) sets on every answer, recorded once
 * by running it on a stand-in response; refused if it reads the request or waits for anything.
 */
export function headersSetBy(middleware: (req: never, res: never, next: (error?: unknown) => void) => void): SecurityHeaders {
  const headers = new Map<string, string>();
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
      return res;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
  };
  let finished = false;
  middleware(Object.freeze({}) as never, res as never, (error?: unknown) => {
    if (error !== undefined) throw error instanceof Error ? error : new Error('the security headers middleware failed', { cause: error });
    finished = true;
  });
  if (!finished) throw new Error('the security headers were not set at once');
  return [...headers];
}
