// View models for discovery on the pages: the servers found for an unknown domain (where each came
// from, whether a connection verified it), the fields that carry them into the download form, the
// settings tables for programs that take no file, and connection test results. Words come from
// templates/locales; this module only chooses them.
import type { ProbeReport } from '../discovery/probe.js';
import type { DiscoveryResult, DiscoveryWarning, FoundServer } from '../discovery/result.js';
import type { SettingsTestResult } from '../discovery/settings-test.js';
import type { Translate } from '../i18n.js';
import { DEFAULTS } from '../model/defaults.js';
import { expandLogin, type EmailParts } from '../model/rules.js';
import { securityLabel, serverRow, type ServerRow } from './views.js';

const PROTOCOL_NAME: Record<string, string> = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP' };

/** Only what a file may be made from: verified servers, or a trusted source's when nothing could be checked. */
function usable(result: DiscoveryResult, protocol: FoundServer['protocol']): FoundServer | undefined {
  const candidates = result.servers.filter((s) => s.protocol === protocol);
  return candidates.find((s) => s.verified) ?? candidates.find((s) => s.source !== 'guess' && !result.probed);
}

export interface DiscoveredPage {
  /** An incoming and an outgoing server a file can be made from. */
  found: boolean;
  view: Record<string, unknown>;
  /** The download form's fields for the manual path (`incoming_host`, …). */
  hidden: { name: string; value: string }[];
  /** The tables of settings to type in (Thunderbird and other programs). */
  settingsRows: Record<string, unknown> | undefined;
  /** A catalog provider the domain's MX record points at: the page sets it up as that provider's. */
  provider?: { id: string; variant: string } | undefined;
}

export function warningTexts(warnings: readonly DiscoveryWarning[], t: Translate): string[] {
  return warnings.map((w) => t(`web.discovery.warning.${w.code}`, { server: w.server, days: w.days ?? 0 }));
}

function row(server: FoundServer, role: 'incoming' | 'outgoing', t: Translate, email: EmailParts): ServerRow & Record<string, unknown> {
  return {
    ...serverRow(role, PROTOCOL_NAME[server.protocol]!, server, expandLogin(server.login ?? DEFAULTS.login, email), t),
    source: t(`web.discovery.source.${server.source}`),
    check: server.verified ? t('web.discovery.verified') : t('web.discovery.notVerified'),
    verified: server.verified,
  };
}

export function discoveredPage(result: DiscoveryResult, email: EmailParts, t: Translate): DiscoveredPage {
  const viaMx = result.provider && result.attempts.some((a) => a.source === 'mx-provider' && a.outcome === 'found');
  if (viaMx && result.provider) {
    const { id, name, variant } = result.provider;
    return {
      found: false,
      view: { viaMx: t('web.discovery.viaMx', { domain: email.domain, provider: name }) },
      hidden: [],
      settingsRows: undefined,
      provider: { id, variant },
    };
  }
  const incoming = usable(result, 'imap') ?? usable(result, 'pop3');
  const outgoing = usable(result, 'smtp');
  const found = result.found && incoming !== undefined && outgoing !== undefined;
  const warnings = warningTexts(result.warnings, t);
  if (!found) {
    const reason = result.attempts.some((a) => a.outcome === 'refused') ? 'refused' : result.attempts.some((a) => a.outcome === 'timeout') ? 'timeout' : 'none';
    return { found, view: { notFound: t(`web.discovery.notFound.${reason}`, { domain: email.domain }), warnings }, hidden: [], settingsRows: undefined };
  }
  const rows = [row(incoming, 'incoming', t, email), row(outgoing, 'outgoing', t, email)];
  const login = rows[0]!.login!;
  const hidden = [
    ['type', incoming.protocol === 'imap' ? 'imap' : 'pop'],
    ['incoming_host', incoming.host],
    ['incoming_port', String(incoming.port)],
    ['incoming_security', incoming.socket],
    ['outgoing_host', outgoing.host],
    ['outgoing_port', String(outgoing.port)],
    ['outgoing_security', outgoing.socket],
    ['login', login],
  ].map(([name, value]) => ({ name: name!, value: value! }));
  const sameLogin = rows.every((r) => r.login === login);
  return {
    found,
    view: {
      domain: email.domain,
      providerName: result.provider?.name,
      rows,
      login: sameLogin ? login : undefined,
      warnings,
    },
    hidden,
    settingsRows: { incoming: [rows[0]], outgoing: [rows[1]], exchange: [], login, loginColumn: !sameLogin },
  };
}

function checkRow(report: ProbeReport, t: Translate) {
  const protocol = PROTOCOL_NAME[report.protocol]!;
  const failure = report.failure ? t(`web.test.failure.${report.failure.kind}`) : undefined;
  return {
    server: `${protocol} ${report.host}:${report.port}`,
    security: securityLabel(report.socket, t),
    ok: report.ok,
    status: report.ok ? t('web.test.ok') : t('web.test.failed'),
    failure,
    detail: report.failure?.message,
    login: report.login ? (report.login.ok ? t('web.test.loginOk') : t('web.test.loginRefused')) : undefined,
    loginDetail: report.login && !report.login.ok ? report.login.message : undefined,
    loginOk: report.login?.ok === true,
  };
}

export function testResultsView(result: SettingsTestResult, t: Translate) {
  return {
    ok: result.ok,
    summary: result.ok ? t('web.test.allOk') : t('web.test.someFailed'),
    rows: result.checks.map((check) => checkRow(check, t)),
    warnings: warningTexts(result.warnings, t),
  };
}
