// discover(address, deps): the catalog first; for a domain it does not serve, every independent
// step starts at once (own autoconfig, MX → provider, the MX domain's autoconfig, SRV,
// Autodiscover, autoconfig over http, guessing), and answers are taken in trust order: the best
// step that has an incoming server gives the incoming servers, likewise for outgoing, and the
// steps still running are stopped once both are known. Then the chosen servers are checked.
import { DEFAULTS, type MailProtocol } from '../model/defaults.js';
import type { EmailParts } from '../model/rules.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { variantOf } from '../providers/catalog.js';
import { describeProblems } from './certificate.js';
import type { DnsResolver, MxRecord } from './dns.js';
import type { Network, NetworkScope } from './network.js';
import type { ProbeReport, Prober } from './probe.js';
import type { Attempt, DiscoveryResult, DiscoveryWarning, FoundExchange, FoundServer, SourceId } from './result.js';
import { autoconfigHttpStep, autoconfigStep } from './sources/autoconfig.js';
import { autodiscoverStep } from './sources/autodiscover.js';
import { outcomeOf, type Step, type StepAnswer, type StepContext } from './sources/context.js';
import { guessStep } from './sources/guess.js';
import { mxAutoconfigStep, mxProviderStep } from './sources/mx.js';
import { srvStep } from './sources/srv.js';

/** Every step for a domain the catalog does not serve, in trust order. */
export const STEPS: readonly Step[] = [autoconfigStep, mxProviderStep, mxAutoconfigStep, srvStep, autodiscoverStep, autoconfigHttpStep, guessStep];

export interface DiscoveryLimits {
  deadlineMs: number;
  maxDocumentBytes: number;
  maxTtlSeconds: number;
  negativeTtlSeconds: number;
}

export interface DiscoveryDeps {
  catalog: ProviderCatalog;
  /** DNS for this discovery (its TTLs reported through the scope). */
  dns: DnsResolver;
  /** Opens the network for one discovery: fetches and probes within its deadline and connection limit. */
  open(scope: Pick<NetworkScope, 'signal' | 'onTtl'>): { fetch: Network['fetch']; vet: Network['vet']; probe: Prober };
  now: () => number;
  limits: DiscoveryLimits;
}

export interface DiscoverOptions {
  /** Connect to check what was found (and to guess). Default true. */
  probe?: boolean;
  /** Replaces STEPS (tests). */
  steps?: readonly Step[];
}

const INCOMING: readonly MailProtocol[] = ['imap', 'pop3'];
const roleOf = (protocol: MailProtocol) => (INCOMING.includes(protocol) ? 'incoming' : 'outgoing');

/** DNS answers remembered for one discovery, so steps asking the same name ask once. */
function memoized(dns: DnsResolver, onTtl: (seconds: number) => void): DnsResolver & { mxOnce(domain: string): Promise<MxRecord[]> } {
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, lookup: () => Promise<T>): Promise<T> => {
    if (!cache.has(key)) cache.set(key, lookup());
    return cache.get(key) as Promise<T>;
  };
  return {
    mx: (domain) => once(`mx ${domain}`, () => dns.mx(domain)),
    mxOnce: (domain) => once(`mx ${domain}`, () => dns.mx(domain)),
    srv: (name) => once(`srv ${name}`, () => dns.srv(name)),
    addresses: (host) =>
      once(`addr ${host}`, async () => {
        const records = await dns.addresses(host);
        for (const record of records) onTtl(record.ttl);
        return records;
      }),
  };
}

export function warningsOf(checks: readonly ProbeReport[], servers: readonly FoundServer[], lessTrusted: readonly string[]): DiscoveryWarning[] {
  const warnings: DiscoveryWarning[] = [];
  for (const check of checks) {
    const server = `${check.host}:${check.port}`;
    if (check.tls && !check.tls.valid)
      warnings.push({ code: 'certificate', server, message: `${server}: the certificate is ${describeProblems(check.tls, check.host)}` });
    else if (check.tls?.expiresSoon)
      warnings.push({
        code: 'certificate-expiring',
        server,
        days: check.tls.daysLeft,
        message: `${server}: the certificate expires in ${check.tls.daysLeft} days (${check.tls.validTo.slice(0, 10)})`,
      });
    if (check.failure?.kind === 'no-starttls') warnings.push({ code: 'no-starttls', server, message: check.failure.message });
    else if (check.failure && check.failure.kind !== 'certificate') warnings.push({ code: 'unreachable', server, message: check.failure.message });
  }
  for (const server of servers) {
    if (server.socket === 'plain')
      warnings.push({ code: 'unencrypted', server: `${server.host}:${server.port}`, message: `${server.host}:${server.port} is not encrypted` });
  }
  for (const origin of lessTrusted) {
    warnings.push({ code: 'less-trusted', server: origin, message: `${origin} was fetched without TLS: anyone on the way could have changed it` });
  }
  return warnings;
}

export async function discover(email: EmailParts, deps: DiscoveryDeps, options: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const started = deps.now();
  const probing = options.probe ?? true;
  const attempts: Attempt[] = [];
  let ttl = deps.limits.maxTtlSeconds;
  const onTtl = (seconds: number) => void (ttl = Math.min(ttl, seconds));
  // The deadline covers everything, checks included; the steps also stop once an answer is chosen.
  const overall = new AbortController();
  const timer = setTimeout(() => overall.abort(new Error('the discovery deadline passed')), deps.limits.deadlineMs);
  const stepsDone = new AbortController();
  const stepSignal = AbortSignal.any([overall.signal, stepsDone.signal]);
  const network = deps.open({ signal: stepSignal, onTtl });
  const dns = memoized(deps.dns, onTtl);
  const domain = email.asciiDomain;

  let source: SourceId | undefined;
  let provider: DiscoveryResult['provider'];
  const chosen: Record<'incoming' | 'outgoing', FoundServer[]> = { incoming: [], outgoing: [] };
  let exchange: FoundExchange | undefined;
  const checks: ProbeReport[] = [];
  const lessTrusted: string[] = [];
  let providerCa: string[] | undefined;

  /** Servers whose addresses the policy allows (resolved, not contacted); the others are reported as refused. */
  const admissible = async (answer: StepAnswer): Promise<StepAnswer> => {
    if (answer.fromCatalog) return answer;
    const servers = await Promise.all(
      answer.servers.map(async (server) => {
        if (server.verified) return server;
        try {
          await network.vet(server.host, server.port);
          return server;
        } catch (error) {
          attempts.push({ source: server.source, target: `${server.host}:${server.port}`, ...outcomeOf(error) });
          return undefined;
        }
      }),
    );
    return { ...answer, servers: servers.filter((s) => s !== undefined) };
  };

  const take = (answer: StepAnswer) => {
    let took = false;
    for (const role of ['incoming', 'outgoing'] as const) {
      if (chosen[role].length > 0) continue;
      const servers = answer.servers.filter((s) => roleOf(s.protocol) === role);
      if (servers.length === 0) continue;
      chosen[role] = servers.map((s) => ({ ...s, verified: s.verified ?? false }));
      took = true;
      if (role === 'incoming') source = servers[0]!.source;
    }
    if (took && answer.lessTrusted) lessTrusted.push(answer.lessTrusted);
    if (took && answer.provider) provider ??= answer.provider;
    if (!exchange && answer.exchange) {
      exchange = answer.exchange;
      if (answer.provider) provider ??= answer.provider;
    }
  };

  try {
    const served = deps.catalog.findByDomain(domain);
    if (served) {
      const variant = variantOf(served, undefined, domain);
      attempts.push({ source: 'catalog', target: domain, outcome: 'found', detail: `${served.name} serves ${domain}` });
      providerCa = served.ca ? [served.ca] : undefined;
      take({
        provider: { id: served.id, name: served.name, variant: variant.id },
        // The operator's own catalog: its servers are taken as they are, only checked.
        servers: variant.servers
          .filter((s) => !s.insecure)
          .map((s) => ({ ...s, login: s.login ?? served.login, source: 'catalog' as const, origin: served.source })),
        exchange: variant.exchange ? { host: variant.exchange.host, ewsUrl: undefined, source: 'catalog', origin: served.source } : undefined,
      });
    } else {
      const context: StepContext = {
        email,
        catalog: deps.catalog,
        dns,
        fetch: network.fetch,
        probe: network.probe,
        mx: () => dns.mxOnce(domain),
        attempt: (attempt) => void attempts.push(attempt),
        signal: stepSignal,
        maxDocumentBytes: deps.limits.maxDocumentBytes,
        probing,
      };
      const running = (options.steps ?? STEPS).map((step) => ({
        step,
        answer: step.run(context).catch((error: unknown) => {
          attempts.push({ source: step.source, target: domain, ...outcomeOf(error) });
          return undefined;
        }),
      }));
      for (const { answer } of running) {
        const found = await answer;
        if (found) {
          take(await admissible(found));
          checks.push(...(found.checks ?? []));
        }
        if (chosen.incoming.length > 0 && chosen.outgoing.length > 0) break;
      }
      // Steps still running have nothing better to give: stop them, and let them close their connections.
      stepsDone.abort(new Error('a better answer was found'));
      await Promise.allSettled(running.map((r) => r.answer));
      const ca = provider ? deps.catalog.get(provider.id).ca : undefined;
      providerCa = ca ? [ca] : undefined;
    }
    // The chosen servers not verified yet are checked, within what is left of the deadline.
    const unverified = [...chosen.incoming, ...chosen.outgoing].filter((s) => !s.verified);
    if (probing && unverified.length > 0) {
      const checker = deps.open({ signal: overall.signal, onTtl });
      const reports = await Promise.all(
        unverified.map((server) => checker.probe({ protocol: server.protocol, host: server.host, port: server.port, socket: server.socket, ca: providerCa })),
      );
      reports.forEach((report, i) => (unverified[i]!.verified = report.ok));
      checks.push(...reports);
    }
  } finally {
    clearTimeout(timer);
  }

  const servers = [...chosen.incoming, ...chosen.outgoing];

  const found = chosen.incoming.length > 0 && chosen.outgoing.length > 0;
  return {
    email: email.address,
    domain,
    found,
    source,
    provider,
    servers,
    exchange,
    attempts,
    checks,
    warnings: warningsOf(checks, servers, lessTrusted),
    probed: probing,
    ttlSeconds: Math.max(0, Math.floor(found ? ttl : Math.min(ttl, deps.limits.negativeTtlSeconds))),
    elapsedMs: Math.round(deps.now() - started),
    cached: false,
  };
}

export const DISCOVERY_LIMITS: DiscoveryLimits = {
  deadlineMs: DEFAULTS.discovery.deadlineMs,
  maxDocumentBytes: DEFAULTS.discovery.maxDocumentBytes,
  maxTtlSeconds: DEFAULTS.discovery.maxTtlSeconds,
  negativeTtlSeconds: DEFAULTS.discovery.negativeTtlSeconds,
};
