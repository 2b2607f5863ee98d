// Discovery as the web app and the CLI use it, built once from the configuration: the DNS
// servers, the address policy, the process-wide connection limit, the trusted CAs, the cache
// (one answer per domain, kept as long as its DNS answers allow), and one discovery per domain
// in flight however many people ask at once.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { MailsetupError } from '../errors.js';
import { DEFAULTS, type MailProtocol } from '../model/defaults.js';
import type { SocketType } from '../model/account.js';
import { expandLogin, type EmailParts } from '../model/rules.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { addressPolicy, type AddressPolicy } from './address-policy.js';
import { createTtlCache } from './cache.js';
import { discover, type DiscoveryDeps } from './discover.js';
import { createDnsResolver, type DnsResolver } from './dns.js';
import { createLimiter } from './limiter.js';
import { createNetwork, type Network, type NetworkScope, type NetworkShared } from './network.js';
import { createProber, type ProbeReport, type ProbeTarget } from './probe.js';
import type { DiscoveryResult } from './result.js';

export interface DiscoveryServiceOptions {
  config: Readonly<Config>;
  catalog: ProviderCatalog;
  now?: () => number;
  /** Replaces the resolver built from MAILSETUP_DNS_SERVERS. */
  dns?: DnsResolver;
  /** Test seam: the port actually dialled for a standard port (test servers listen on high ports). */
  dialPort?: (port: number) => number;
}

export interface DiscoverRequest {
  /** The address, already split where it came in. */
  email: EmailParts;
  /** Connect to check and guess (default true). */
  probe?: boolean;
  /** Also try logging in to the servers found; never cached, never logged. */
  password?: string | undefined;
  /** The login for that test (default: the whole address). */
  login?: string | undefined;
}

export interface ServerToTest {
  protocol: MailProtocol;
  host: string;
  port: number;
  socket: SocketType;
  /** PEM CA certificates trusted for this server (a provider's own CA). */
  ca?: readonly string[] | undefined;
  /** The login for this server when it differs from the one given for all. */
  username?: string | undefined;
}

export interface DiscoveryService {
  readonly enabled: boolean;
  discover(request: DiscoverRequest): Promise<DiscoveryResult>;
  /** Checks servers given by hand (or from the catalog); a login is tried when a password is given. */
  test(servers: readonly ServerToTest[], options?: { login?: { username: string; password: string }; extraPorts?: readonly number[] }): Promise<ProbeReport[]>;
  /** The network, within the configured policy plus `extraPorts`, for checks that are not probes (mailsetup dns --check). */
  network(options?: { extraPorts?: readonly number[] }): Network;
  readonly policy: AddressPolicy;
  readonly dns: DnsResolver;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new MailsetupError('CONFIG_INVALID', `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      field: 'MAILSETUP_DISCOVERY_CA',
      rule: 'readable',
    });
  }
}

export function createDiscoveryService(options: DiscoveryServiceOptions): DiscoveryService {
  const settings = options.config.discovery;
  const now = options.now ?? Date.now;
  const dns = options.dns ?? createDnsResolver({ servers: settings.dnsServers, timeoutMs: settings.probeTimeoutMs });
  const policyWith = (extraPorts: readonly number[] = []) =>
    addressPolicy({ ports: DEFAULTS.discovery.ports, allow: settings.allow, extraPorts: [...settings.extraPorts, ...extraPorts] });
  const policy = policyWith();
  const processLimiter = createLimiter(settings.connectionsPerProcess);
  const extraCa = settings.caFile ? [readCa(settings.caFile)] : [];
  const hello = options.config.autodiscovery.publicHost ?? 'mailsetup.invalid';
  const shared = (extraPorts?: readonly number[]): NetworkShared => ({
    dns,
    policy: extraPorts?.length ? policyWith(extraPorts) : policy,
    processLimiter,
    timeoutMs: settings.probeTimeoutMs,
    extraCa,
    dialPort: options.dialPort,
  });

  function open(scope: Pick<NetworkScope, 'signal' | 'onTtl'>, extraPorts?: readonly number[]) {
    const network = createNetwork(shared(extraPorts), { limiter: createLimiter(DEFAULTS.discovery.connectionsPerRequest), ...scope });
    const probe = createProber({
      network,
      now,
      hello,
      maxReplyBytes: DEFAULTS.discovery.maxReplyBytes,
      expiryWarningDays: DEFAULTS.discovery.expiryWarningDays,
    });
    return { network, fetch: network.fetch, vet: network.vet, probe };
  }

  const deps: DiscoveryDeps = {
    catalog: options.catalog,
    dns,
    open,
    now,
    limits: {
      deadlineMs: settings.deadlineMs,
      maxDocumentBytes: DEFAULTS.discovery.maxDocumentBytes,
      maxTtlSeconds: DEFAULTS.discovery.maxTtlSeconds,
      negativeTtlSeconds: DEFAULTS.discovery.negativeTtlSeconds,
    },
  };
  const cache = createTtlCache<DiscoveryResult>(settings.cacheEntries, now);
  const inFlight = new Map<string, Promise<DiscoveryResult>>();

  async function test(servers: readonly ServerToTest[], testOptions: Parameters<DiscoveryService['test']>[1] = {}): Promise<ProbeReport[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('the deadline passed')), settings.deadlineMs);
    try {
      const { probe } = open({ signal: controller.signal }, testOptions.extraPorts);
      const login = testOptions.login;
      return await Promise.all(
        servers.map((server) =>
          probe({
            protocol: server.protocol,
            host: server.host,
            port: server.port,
            socket: server.socket,
            ca: server.ca,
            login: login ? { username: server.username ?? login.username, password: login.password } : undefined,
          } satisfies ProbeTarget),
        ),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    enabled: settings.enabled,
    policy,
    dns,
    network(networkOptions = {}) {
      return createNetwork(shared(networkOptions.extraPorts), {
        limiter: createLimiter(DEFAULTS.discovery.connectionsPerRequest),
        signal: AbortSignal.timeout(settings.deadlineMs),
      });
    },
    test,
    async discover(request) {
      if (!settings.enabled) {
        throw new MailsetupError('FORBIDDEN', 'discovery is turned off here (MAILSETUP_DISCOVERY=false)', { field: 'email', rule: 'discovery-off' });
      }
      const { email } = request;
      const probing = request.probe ?? true;
      const key = `${email.asciiDomain} ${probing ? 'probe' : 'no-probe'}`;
      let result = cache.get(key);
      if (result) result = { ...result, email: email.address, cached: true };
      else {
        let pending = inFlight.get(key);
        if (!pending) {
          pending = discover(email, deps, { probe: probing }).finally(() => inFlight.delete(key));
          inFlight.set(key, pending);
        }
        const fresh = await pending;
        cache.set(key, fresh, fresh.ttlSeconds);
        result = { ...fresh, email: email.address };
      }
      if (request.password !== undefined && result.servers.length > 0) {
        const username = request.login ?? email.ascii;
        const servers = result.servers.map((server) => ({
          ...server,
          username: server.login && !request.login ? expandLogin(server.login, email) : undefined,
        }));
        const reports = await test(servers, { login: { username, password: request.password } });
        result = { ...result, checks: reports };
      }
      return result;
    },
  };
}
