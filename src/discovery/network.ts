// Every connection discovery makes goes through here: the host is resolved first, each address
// is checked against the policy, and the socket is opened to that very address (the name is not
// looked up again), within the per-request and per-process connection limits and a timeout.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { AddressPolicy } from './address-policy.js';
import { DnsFailure, type AddressRecord, type DnsResolver } from './dns.js';
import { acquireBoth, type Limiter, type Release } from './limiter.js';

export type FailureKind = 'refused' | 'no-address' | 'dns' | 'connect' | 'timeout' | 'tls' | 'status' | 'too-large' | 'closed' | 'protocol';

/** Why a connection, a fetch or a probe did not succeed; `kind` is stable, the message for people. */
export class NetFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface NetworkShared {
  dns: DnsResolver;
  policy: AddressPolicy;
  /** Connections of the whole process. */
  processLimiter: Limiter;
  timeoutMs: number;
  /** Certificate authorities (PEM) trusted besides Node's own. */
  extraCa?: readonly string[] | undefined;
  /** Test seam: the port actually dialled for a port the policy allowed (servers on high test ports). */
  dialPort?: ((port: number) => number) | undefined;
}

export interface NetworkScope {
  /** Connections of this one discovery. */
  limiter: Limiter;
  /** The whole discovery's deadline (and its cancellation). */
  signal: AbortSignal;
  /** Told every address TTL seen, so the answer is not kept longer than DNS allows. */
  onTtl?: (seconds: number) => void;
}

export interface Connection {
  socket: Socket;
  address: string;
  /** Gives back the connection slots; called when the socket closes, or by the caller. */
  release: Release;
}

export interface Fetched {
  url: string;
  status: number;
  body: Buffer;
  contentType: string | undefined;
}

export interface FetchOptions {
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  maxBytes: number;
  /** Redirects followed (each target checked again); https never redirects to http. */
  maxRedirects?: number;
}

export interface Network {
  /** The addresses of `host` discovery may connect to on `port`; throws NetFailure `refused` when none. */
  vet: (host: string, port: number) => Promise<AddressRecord[]>;
  connect: (host: string, port: number, signal?: AbortSignal) => Promise<Connection>;
  fetch: (url: string, options: FetchOptions) => Promise<Fetched>;
  /** Node's root certificates plus the configured ones (and `extra`), for TLS checks: built once, reused. */
  trusted: (extra?: readonly string[]) => SecureContext;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** A signal that aborts with the scope or after `ms`, whichever is first. */
export function deadline(signal: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(ms)]);
}

function failureOf(error: unknown, what: string): NetFailure {
  if (error instanceof NetFailure) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ABORT_ERR') return new NetFailure('timeout', `${what}: no answer in time`);
  if (code === 'ECONNREFUSED') return new NetFailure('connect', `${what}: connection refused (nothing listens there)`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new NetFailure('closed', `${what}: the connection was closed`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return new NetFailure('connect', `${what}: not reachable (${code})`);
  if (code && /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME)/.test(code)) return new NetFailure('tls', `${what}: TLS failed (${code})`);
  return new NetFailure('connect', `${what}: ${(error as Error | undefined)?.message ?? String(error)}`);
}

// Parsing Node's ~140 root certificates costs milliseconds of CPU: once per set of extra CAs, not per connection.
const contexts = new Map<string, SecureContext>();
const MAX_CONTEXTS = 64;

function trustContext(extra: readonly string[]): SecureContext {
  const key = extra.join('\n');
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, ...extra] });
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string);
    contexts.set(key, context);
  }
  return context;
}

/** A lookup function that answers with the one address already checked. */
function fixedLookup(record: AddressRecord): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
    options.all
      ? callback(null, [{ address: record.address, family: record.family }])
      : callback(null, record.address, record.family)) as unknown as LookupFunction;
}

export function createNetwork(shared: NetworkShared, scope: NetworkScope): Network {
  const dialPort = shared.dialPort ?? ((port: number) => port);
  const configured = shared.extraCa ?? [];
  const trusted = (extra: readonly string[] = []) => trustContext([...configured, ...extra]);

  async function vet(host: string, port: number): Promise<AddressRecord[]> {
    let records: AddressRecord[];
    if (isIP(host)) records = [{ address: host, family: isIP(host) as 4 | 6, ttl: Number.POSITIVE_INFINITY }];
    else {
      try {
        records = await shared.dns.addresses(host);
      } catch (error) {
        if (error instanceof DnsFailure) throw new NetFailure('dns', error.message);
        throw error;
      }
      for (const record of records) scope.onTtl?.(record.ttl);
    }
    if (records.length === 0) throw new NetFailure('no-address', `${host} has no address in DNS`);
    const reasons: string[] = [];
    const allowed = records.filter((record) => {
      const verdict = shared.policy.check(record.address, port);
      if (!verdict.allowed) reasons.push(verdict.reason);
      return verdict.allowed;
    });
    if (allowed.length === 0) throw new NetFailure('refused', `${host}:${port} not contacted: ${[...new Set(reasons)].join('; ')}`);
    return allowed;
  }

  async function slot(signal: AbortSignal): Promise<Release> {
    try {
      return await acquireBoth(scope.limiter, shared.processLimiter, signal);
    } catch (error) {
      throw failureOf(error, 'waiting for a free connection');
    }
  }

  function dial(address: string, port: number, signal: AbortSignal, what: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: address, port: dialPort(port) });
      const onAbort = () => socket.destroy(new NetFailure('timeout', `${what}: no answer in time`));
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        resolve(socket);
      });
      socket.once('error', (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(failureOf(error, what));
      });
    });
  }

  async function connect(host: string, port: number, signal: AbortSignal = deadline(scope.signal, shared.timeoutMs)): Promise<Connection> {
    const addresses = await vet(host, port);
    const release = await slot(signal);
    let last: NetFailure | undefined;
    for (const { address } of addresses) {
      try {
        const socket = await dial(address, port, signal, `${host}:${port}${host === address ? '' : ` (${address})`}`);
        socket.once('close', release);
        return { socket, address, release };
      } catch (error) {
        last = failureOf(error, `${host}:${port}`);
        if (signal.aborted) break;
      }
    }
    release();
    throw last ?? new NetFailure('connect', `${host}:${port}: not reachable`);
  }

  async function fetchOnce(target: URL, options: FetchOptions, signal: AbortSignal): Promise<Fetched | { redirect: string }> {
    const https = target.protocol === 'https:';
    if (!https && target.protocol !== 'http:') throw new NetFailure('protocol', `${target.href}: only http and https are fetched`);
    const port = target.port ? Number(target.port) : https ? 443 : 80;
    const [record] = await vet(target.hostname.replace(/^\[|\]$/g, ''), port);
    const release = await slot(signal);
    try {
      return await new Promise((resolve, reject) => {
        const request = (https ? httpsRequest : httpRequest)(
          {
            protocol: target.protocol,
            hostname: target.hostname,
            port: dialPort(port),
            path: `${target.pathname}${target.search}`,
            method: options.method ?? 'GET',
            headers: { Host: target.host, 'User-Agent': 'mailsetup-discovery', Accept: '*/*', ...options.headers },
            // The address already checked, never a second lookup.
            lookup: fixedLookup(record!),
            agent: false,
            signal,
            ...(https ? { secureContext: trusted(), servername: target.hostname } : {}),
          },
          (response: IncomingMessage) => {
            const status = response.statusCode ?? 0;
            const location = response.headers.location;
            if (status >= 300 && status < 400 && location) {
              response.resume();
              return resolve({ redirect: new URL(location, target).href });
            }
            const chunks: Buffer[] = [];
            let size = 0;
            response.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > options.maxBytes) {
                request.destroy(new NetFailure('too-large', `${target.href}: larger than ${options.maxBytes} bytes`));
                return;
              }
              chunks.push(chunk);
            });
            response.on('end', () => {
              const contentType = response.headers['content-type'];
              resolve({ url: target.href, status, body: Buffer.concat(chunks), contentType });
            });
            response.on('error', (error) => reject(failureOf(error, target.href)));
          },
        );
        request.on('error', (error) => reject(failureOf(error, target.href)));
        request.end(options.body);
      });
    } finally {
      release();
    }
  }

  async function fetch(url: string, options: FetchOptions): Promise<Fetched> {
    const signal = deadline(scope.signal, shared.timeoutMs);
    let target = new URL(url);
    for (let redirects = 0; ; redirects++) {
      const answer = await fetchOnce(target, options, signal);
      if (!('redirect' in answer)) {
        if (answer.status !== 200) throw new NetFailure('status', `${target.href}: HTTP status ${answer.status}`);
        return answer;
      }
      const next = new URL(answer.redirect);
      if (redirects >= (options.maxRedirects ?? 0)) throw new NetFailure('status', `${target.href}: redirects to ${next.href}, not followed`);
      if (target.protocol === 'https:' && next.protocol !== 'https:')
        throw new NetFailure('tls', `${target.href}: redirects from https to ${next.href}, refused`);
      target = next;
    }
  }

  return {
    vet,
    connect,
    fetch,
    trusted,
    timeoutMs: shared.timeoutMs,
    signal: scope.signal,
  };
}
