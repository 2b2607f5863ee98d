// DNS lookups discovery needs (MX, SRV, A/AAAA with TTLs), on the configured servers or the
// system's. "No such name" and "no such record" are empty answers; only failures throw.
import { Resolver } from 'node:dns/promises';

export interface MxRecord {
  exchange: string;
  priority: number;
}

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export interface AddressRecord {
  address: string;
  family: 4 | 6;
  /** Seconds the answer may be kept. */
  ttl: number;
}

export interface DnsResolver {
  mx(domain: string): Promise<MxRecord[]>;
  srv(name: string): Promise<SrvRecord[]>;
  /** A and AAAA records, IPv4 first. */
  addresses(host: string): Promise<AddressRecord[]>;
}

/** A lookup that failed (timeout, server failure), as opposed to an answer saying there is nothing. */
export class DnsFailure extends Error {
  constructor(
    readonly query: string,
    readonly code: string,
  ) {
    super(`DNS lookup of ${query} failed (${code})`);
  }
}

const EMPTY_CODES = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

async function orEmpty<T>(query: string, lookup: () => Promise<T[]>): Promise<T[]> {
  try {
    return await lookup();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (EMPTY_CODES.has(code)) return [];
    throw new DnsFailure(query, code);
  }
}

export interface ResolverOptions {
  /** `ip` or `ip:port` entries; undefined: the system's resolver configuration. */
  servers?: readonly string[] | undefined;
  timeoutMs: number;
}

export function createDnsResolver(options: ResolverOptions): DnsResolver {
  // Two tries within the probe timeout: one lost UDP packet should not lose a domain.
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(options.timeoutMs / 2)), tries: 2 });
  if (options.servers) resolver.setServers([...options.servers]);
  return {
    mx: (domain) => orEmpty(`MX ${domain}`, () => resolver.resolveMx(domain)),
    srv: (name) => orEmpty(`SRV ${name}`, () => resolver.resolveSrv(name)),
    async addresses(host) {
      const [v4, v6] = await Promise.allSettled([
        orEmpty(`A ${host}`, () => resolver.resolve4(host, { ttl: true })),
        orEmpty(`AAAA ${host}`, () => resolver.resolve6(host, { ttl: true })),
      ]);
      const found: AddressRecord[] = [
        ...(v4.status === 'fulfilled' ? v4.value.map((r) => ({ address: r.address, family: 4 as const, ttl: r.ttl })) : []),
        ...(v6.status === 'fulfilled' ? v6.value.map((r) => ({ address: r.address, family: 6 as const, ttl: r.ttl })) : []),
      ];
      // One family failing while the other answers is an answer; both failing is a failure.
      if (found.length === 0) {
        const failed = [v4, v6].find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      }
      return found;
    },
  };
}
