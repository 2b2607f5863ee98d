// Why nothing usable was found, as one error that says what was tried: no mail servers at all,
// servers only on networks discovery may not reach, or answers that did not come in time.
import { MailsetupError } from '../errors.js';
import { SOURCES, type Attempt, type DiscoveryResult, type SourceId } from './result.js';

export const SOURCE_NAMES: Readonly<Record<SourceId, string>> = {
  catalog: 'catalog',
  autoconfig: 'autoconfig',
  'mx-provider': 'MX → provider',
  'mx-autoconfig': "the MX domain's autoconfig",
  srv: 'SRV records',
  autodiscover: 'Autodiscover',
  'autoconfig-http': 'autoconfig over http',
  guess: 'guessing',
};

/** One line per source: `SRV records: SRV _imaps._tcp.example.org (nothing), …`. */
export function triedSummary(attempts: readonly Attempt[]): string {
  const bySource = new Map<SourceId, Attempt[]>();
  for (const attempt of attempts) bySource.set(attempt.source, [...(bySource.get(attempt.source) ?? []), attempt]);
  return [...bySource.entries()]
    .sort(([a], [b]) => SOURCES.indexOf(a) - SOURCES.indexOf(b))
    .map(([source, list]) => {
      const shown = list.slice(0, 4).map((a) => `${a.target} (${a.outcome}${a.detail && a.outcome !== 'nothing' ? `: ${a.detail}` : ''})`);
      return `${SOURCE_NAMES[source]}: ${shown.join(', ')}${list.length > 4 ? `, and ${list.length - 4} more` : ''}`;
    })
    .join('; ');
}

export function notFoundError(result: DiscoveryResult): MailsetupError {
  const tried = triedSummary(result.attempts);
  const what =
    result.servers.length > 0
      ? `only ${result.servers.some((s) => s.protocol === 'smtp') ? 'an outgoing' : 'an incoming'} server was found for ${result.domain}`
      : `no mail servers found for ${result.domain}`;
  // Records that pointed somewhere refused explain more than everything else that was not there.
  if (result.attempts.some((a) => a.outcome === 'refused')) {
    return new MailsetupError(
      'DISCOVERY_REFUSED',
      `${result.domain}'s servers are on networks or ports this service does not connect to; nothing was contacted there. Tried: ${tried}`,
      {
        field: 'email',
        rule: 'discovery-refused',
      },
    );
  }
  if (result.attempts.some((a) => a.outcome === 'timeout')) {
    return new MailsetupError('DISCOVERY_TIMEOUT', `${what}: the answers did not come in time. Tried: ${tried}`, {
      field: 'email',
      rule: 'discovery-timeout',
    });
  }
  return new MailsetupError('NO_MAIL_SERVERS', `${what}. Tried: ${tried}`, { field: 'email', rule: 'no-mail-servers' });
}
