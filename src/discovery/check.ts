// `mailsetup check`: every server of the catalog connected to and judged against what the catalog
// declares: reachable, speaking its protocol, TLS valid for the name and not about to expire,
// STARTTLS where declared, and the first declared authentication method offered.
import type { AuthMethod } from '../model/account.js';
import { DEFAULTS } from '../model/defaults.js';
import type { Provider, ProviderServer } from '../model/provider.js';
import type { ProbeReport } from './probe.js';
import type { DiscoveryService } from './service.js';

export type CheckProblemKind =
  'closed' | 'unreachable' | 'timeout' | 'no-address' | 'refused' | 'protocol' | 'no-starttls' | 'certificate' | 'expiring' | 'auth-mismatch';

export interface CheckProblem {
  kind: CheckProblemKind;
  message: string;
}

export interface ServerCheck {
  /** Providers and variants that list this server (`rackcorp/global`). */
  usedBy: string[];
  server: Pick<ProviderServer, 'protocol' | 'host' | 'port' | 'socket' | 'auth'>;
  report: ProbeReport;
  problems: CheckProblem[];
}

function problemsOf(server: ServerCheck['server'], report: ProbeReport): CheckProblem[] {
  const what = `${server.host}:${server.port}`;
  const problems: CheckProblem[] = [];
  const failure = report.failure;
  if (failure) {
    const kind: CheckProblemKind =
      failure.kind === 'connect'
        ? /refused/.test(failure.message)
          ? 'closed'
          : 'unreachable'
        : failure.kind === 'certificate' || failure.kind === 'tls'
          ? 'certificate'
          : failure.kind === 'no-starttls' || failure.kind === 'timeout' || failure.kind === 'no-address' || failure.kind === 'refused'
            ? failure.kind
            : 'protocol';
    problems.push({ kind, message: failure.message });
  }
  if (report.tls?.valid && report.tls.expiresSoon) {
    problems.push({ kind: 'expiring', message: `${what}: the certificate expires in ${report.tls.daysLeft} days (${report.tls.validTo.slice(0, 10)})` });
  }
  // The first method is the one setup files carry; the server must offer it.
  const declared: AuthMethod = server.auth[0] ?? DEFAULTS.auth;
  if (report.greeting !== undefined && (failure === undefined || failure.kind === 'certificate') && !report.auth.includes(declared)) {
    const offered =
      report.mechanisms.length > 0
        ? `${report.auth.join(', ') || 'nothing mailsetup knows'} (${report.mechanisms.join(' ')})`
        : report.auth.join(', ') || 'no method';
    problems.push({ kind: 'auth-mismatch', message: `${what}: the catalog declares ${declared}; the server offers ${offered}` });
  }
  return problems;
}

/** Checks each distinct server of the providers once, all in parallel (within the connection limits). */
export async function checkProviders(providers: readonly Provider[], service: DiscoveryService): Promise<ServerCheck[]> {
  const byKey = new Map<string, { server: ProviderServer; usedBy: string[]; ca: string | undefined }>();
  for (const provider of providers) {
    for (const variant of provider.variants) {
      for (const server of variant.servers) {
        const key = `${server.protocol} ${server.host} ${server.port} ${server.socket}`;
        const entry = byKey.get(key) ?? { server, usedBy: [], ca: provider.ca };
        entry.usedBy.push(provider.variants.length > 1 ? `${provider.id}/${variant.id}` : provider.id);
        byKey.set(key, entry);
      }
    }
  }
  const entries = [...byKey.values()];
  // The catalog is the operator's own: the ports it declares are allowed for this check.
  const reports = await service.test(
    entries.map(({ server, ca }) => ({ protocol: server.protocol, host: server.host, port: server.port, socket: server.socket, ca: ca ? [ca] : undefined })),
    { extraPorts: [...new Set(entries.map((e) => e.server.port))] },
  );
  return entries.map(({ server, usedBy }, i) => {
    const report = reports[i]!;
    return {
      usedBy,
      server: { protocol: server.protocol, host: server.host, port: server.port, socket: server.socket, auth: server.auth },
      report,
      problems: problemsOf(server, report),
    };
  });
}
