// How an email address may appear in logs: as given, or (MAILSETUP_LOG_ADDRESSES=false) as a keyed
// hash that lets one run's log lines about the same person be matched, but cannot be reversed by
// hashing guessed addresses: the key is random per process and never written anywhere.
import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

const KEY = randomBytes(32);

export function addressHash(address: string, key: Buffer = KEY): string {
  return createHmac('sha256', key).update(address.trim().toLowerCase(), 'utf8').digest('hex').slice(0, 16);
}

/** Log fields for an address: `{ address }` or `{ addressHash }`, plus the domain either way. */
export function addressFields(address: string, domain: string | undefined, config: Pick<Config, 'autodiscovery'>): Record<string, string> {
  const who: Record<string, string> = config.autodiscovery.logAddresses ? { address } : { addressHash: addressHash(address) };
  return domain ? { ...who, domain } : who;
}

/** The line an autodiscovery answer is logged with: which endpoint, for whom (as addressFields allows), which request. */
export function logAutodiscovery(
  logger: Logger,
  config: Pick<Config, 'autodiscovery'>,
  answer: { requestId: string | undefined; endpoint: string; address: string | undefined; domain: string; method: string | undefined },
): void {
  const who = answer.address === undefined ? { domain: answer.domain } : addressFields(answer.address, answer.domain, config);
  logger.info({ requestId: answer.requestId, endpoint: answer.endpoint, ...who, method: answer.method }, 'autodiscovery');
}

/** A QR link's token in a path (`/l/TOKEN`, `/l/TOKEN/profile`; routes ignore case). */
const LINK_TOKEN = /^(\/l\/)[^/]+/i;

/** Percent-decoding, repeated (a proxy may encode twice), and never throwing on a broken escape. */
function decoded(segment: string): string {
  let text = segment;
  for (let round = 0; round < 3 && /%[0-9a-f]{2}/i.test(text); round++) {
    try {
      text = decodeURIComponent(text);
    } catch {
      break;
    }
  }
  return text.normalize('NFKC');
}

/**
 * A request path as it may be logged: a link token is as good as the link, so it never appears;
 * with MAILSETUP_LOG_ADDRESSES=false a segment holding an address (`@`, however encoded) becomes
 * its keyed hash, so even an address typed into the address bar stays out.
 */
export function loggedPath(path: string, config: Pick<Config, 'autodiscovery'>, key: Buffer = KEY): string {
  const redacted = path.replace(LINK_TOKEN, '$1[token]');
  if (config.autodiscovery.logAddresses) return redacted;
  return redacted
    .split('/')
    .map((segment) => {
      const text = decoded(segment);
      return text.includes('@') ? `[address ${addressHash(text, key)}]` : segment;
    })
    .join('/');
}
