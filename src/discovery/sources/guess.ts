// Last resort, as Thunderbird does it: likely host names (imap., mail., pop., pop3., smtp., the MX
// host) on the standard ports, implicit TLS before STARTTLS, all probed in parallel. A guess
// counts only once a connection verified it; the best-ranked verified server per protocol wins
// and the probes ranked below it are stopped.
import type { SocketType } from '../../model/account.js';
import { DEFAULTS, DEFAULT_PORTS, type MailProtocol } from '../../model/defaults.js';
import type { ProbeReport } from '../probe.js';
import { outcomeOf, type Candidate, type Step, type StepContext } from './context.js';

const PLAN: readonly { protocol: MailProtocol; prefixes: string[]; sockets: SocketType[] }[] = [
  { protocol: 'imap', prefixes: ['imap', 'mail'], sockets: ['SSL', 'STARTTLS'] },
  { protocol: 'pop3', prefixes: ['pop', 'pop3', 'mail'], sockets: ['SSL', 'STARTTLS'] },
  // Submission ports only (RFC 8314, RFC 6409): port 25 is for servers relaying to each other.
  { protocol: 'smtp', prefixes: ['smtp', 'mail'], sockets: ['SSL', 'STARTTLS'] },
];

/** How long a guess may run before the next one of its protocol starts anyway. */
export const STAGGER_MS = 250;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

export interface Guess {
  protocol: MailProtocol;
  host: string;
  port: number;
  socket: SocketType;
}

/** Every guess in preference order: hosts in the plan's order, then the MX host; implicit TLS first. */
export function guesses(domain: string, mxHost: string | undefined): Guess[] {
  return PLAN.flatMap(({ protocol, prefixes, sockets }) => {
    const hosts = [...new Set([...prefixes.map((p) => `${p}.${domain}`), ...(mxHost ? [mxHost] : [])])];
    return hosts.flatMap((host) => sockets.map((socket) => ({ protocol, host, port: DEFAULT_PORTS[protocol][socket], socket })));
  });
}

async function existingHosts(context: StepContext, hosts: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  await Promise.all(
    hosts.map(async (host) => {
      try {
        if ((await context.dns.addresses(host)).length > 0) found.add(host);
        else context.attempt({ source: 'guess', target: host, outcome: 'nothing', detail: 'no such host' });
      } catch (error) {
        context.attempt({ source: 'guess', target: host, ...outcomeOf(error) });
      }
    }),
  );
  return found;
}

export const guessStep: Step = {
  source: 'guess',
  async run(context) {
    if (!context.probing) {
      context.attempt({ source: 'guess', target: context.email.asciiDomain, outcome: 'skipped', detail: 'guessing needs connections, and probing is off' });
      return undefined;
    }
    let mxHost: string | undefined;
    try {
      const records = [...(await context.mx())].sort((a, b) => a.priority - b.priority);
      mxHost = records[0]?.exchange.toLowerCase().replace(/\.$/, '') || undefined;
    } catch {
      // The MX step reports the failure; guessing goes on without the MX host.
    }
    const all = guesses(context.email.asciiDomain, mxHost);
    const hosts = await existingHosts(context, [...new Set(all.map((g) => g.host))]);
    const planned = all.filter((g) => hosts.has(g.host));
    const stops = new Map(PLAN.map(({ protocol }) => [protocol, new AbortController()]));
    // Each protocol's guesses start in turn: the next when the one before fails, or STAGGER_MS
    // after it started (as happy eyeballs does), so a server that answers well is not made to
    // wait behind a crowd of probes it makes unnecessary.
    const running: { guess: Guess; report: Promise<ProbeReport | undefined> }[] = [];
    for (const { protocol } of PLAN) {
      const stop = stops.get(protocol)!.signal;
      const signal = AbortSignal.any([context.signal, stop]);
      let previous: Promise<unknown> | undefined;
      for (const guess of planned.filter((g) => g.protocol === protocol)) {
        const gate = previous ? Promise.race([pause(STAGGER_MS, signal), previous]) : Promise.resolve();
        const report = gate.then(() => (signal.aborted ? undefined : context.probe(guess, signal)));
        running.push({ guess, report });
        previous = report;
      }
    }
    const checks: ProbeReport[] = [];
    const servers: (Candidate & { verified: boolean })[] = [];
    await Promise.all(
      PLAN.map(async ({ protocol }) => {
        for (const { guess, report: pending } of running.filter((r) => r.guess.protocol === protocol)) {
          const report = await pending;
          if (!report) return;
          const target = `${guess.host}:${guess.port}`;
          if (report.ok) {
            checks.push(report);
            context.attempt({ source: 'guess', target, outcome: 'found', detail: `${guess.protocol.toUpperCase()} ${guess.socket}, verified` });
            servers.push({
              protocol,
              host: guess.host,
              port: guess.port,
              socket: guess.socket,
              auth: report.auth.length > 0 ? report.auth : [DEFAULTS.auth],
              login: undefined,
              source: 'guess',
              origin: target,
              verified: true,
            });
            stops.get(protocol)!.abort();
            return;
          }
          // A server that answered (even with a bad certificate) is worth showing; silence is not.
          if (report.failure && report.failure.kind !== 'connect' && report.failure.kind !== 'timeout') checks.push(report);
          context.attempt({
            source: 'guess',
            target,
            outcome: report.failure?.kind === 'timeout' ? 'timeout' : report.failure?.kind === 'refused' ? 'refused' : 'nothing',
            detail: report.failure?.message,
          });
        }
      }),
    );
    // Let stopped probes finish closing before the step ends.
    await Promise.allSettled(running.map((r) => r.report));
    const order = PLAN.map((p) => p.protocol);
    servers.sort((a, b) => order.indexOf(a.protocol) - order.indexOf(b.protocol));
    return servers.length > 0 || checks.length > 0 ? { servers, checks } : undefined;
  },
};
