// The discovery service for a command, from the configuration and the catalog the command loaded;
// and the words both discovery commands print.
import { createDiscoveryService, type DiscoveryService } from '../discovery/service.js';
import type { ProbeReport } from '../discovery/probe.js';
import type { CommandRun } from './command.js';

export function cliDiscovery(run: CommandRun): DiscoveryService {
  return createDiscoveryService({ config: run.config(), catalog: run.catalog() });
}

const PROTOCOL: Record<string, string> = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP' };

export function protocolName(protocol: string): string {
  return PROTOCOL[protocol] ?? protocol;
}

/** One line for a connection check: `imap.example.org:993 SSL  ok  TLSv1.3, certificate valid until 2027-01-01  AUTH PLAIN LOGIN`. */
export function checkLine(report: ProbeReport): string {
  const parts = [`${protocolName(report.protocol)} ${report.host}:${report.port} ${report.socket}`, report.ok ? 'ok' : 'FAILED'];
  if (report.failure) parts.push(report.failure.message);
  if (report.tls?.valid)
    parts.push(
      `${report.tls.protocol ?? 'TLS'}, certificate valid until ${report.tls.validTo.slice(0, 10)}${report.tls.expiresSoon ? ` (${report.tls.daysLeft} days left)` : ''}`,
    );
  if (report.starttls && report.socket === 'STARTTLS') parts.push('STARTTLS');
  if (report.mechanisms.length > 0) parts.push(`AUTH ${report.mechanisms.join(' ')}`);
  if (report.size !== undefined) parts.push(`SIZE ${report.size}`);
  if (report.login) parts.push(report.login.ok ? 'login works' : `login refused: ${report.login.message}`);
  return parts.join('  ');
}
