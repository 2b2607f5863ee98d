// "Test these settings": servers typed by hand, checked the way discovery checks what it finds
// (same address policy, same probes); a login only when a password came in the request body.
import { z } from 'zod';
import { socketType } from '../model/account.js';
import { DEFAULT_PORTS, DEFAULTS, protocolOf } from '../model/defaults.js';
import { emailAddress, expandLogin, hostName, loginTemplate, port, type EmailParts } from '../model/rules.js';
import { parseWith } from '../model/validate.js';
import { warningsOf } from './discover.js';
import type { ProbeReport } from './probe.js';
import type { DiscoveryWarning } from './result.js';
import type { DiscoveryService } from './service.js';

const server = z.object({ host: hostName, port: port.optional(), socket: socketType.default(DEFAULTS.socket) });

export const settingsTestSchema = z.object({
  email: emailAddress,
  type: z.enum(['imap', 'pop'], { error: 'the account type is imap or pop' }).default('imap'),
  incoming: server,
  outgoing: server,
  login: loginTemplate.optional(),
  /** Only from a request body; used for this one test and dropped. */
  password: z.string().min(1).max(1024).optional(),
});

export interface SettingsTestResult {
  email: string;
  checks: ProbeReport[];
  warnings: DiscoveryWarning[];
  /** Every server answered and, where a password was given, accepted the login. */
  ok: boolean;
}

export async function testSettings(input: unknown, service: DiscoveryService): Promise<SettingsTestResult> {
  const settings = parseWith(settingsTestSchema, input);
  const email: EmailParts = settings.email;
  const incomingProtocol = protocolOf(settings.type);
  const servers = [
    { protocol: incomingProtocol, ...settings.incoming, port: settings.incoming.port ?? DEFAULT_PORTS[incomingProtocol][settings.incoming.socket] },
    { protocol: 'smtp' as const, ...settings.outgoing, port: settings.outgoing.port ?? DEFAULT_PORTS.smtp[settings.outgoing.socket] },
  ];
  const login = settings.password ? { username: expandLogin(settings.login ?? DEFAULTS.login, email), password: settings.password } : undefined;
  const checks = await service.test(servers, { login });
  return {
    email: email.address,
    checks,
    warnings: warningsOf(checks, [], []),
    ok: checks.every((check) => check.ok && (check.login === undefined || check.login.ok)),
  };
}
