// How an email address may appear in logs: as given, or (MAILSETUP_LOG_ADDRESSES=false) as a keyed
// hash that lets one run's log lines about the same person be matched, but cannot be reversed by
// hashing guessed addresses: the key is random per process and never written anywhere.
import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from '../config.js';

const KEY = randomBytes(32);

export function addressHash(address: string, key: Buffer = KEY): string {
  return createHmac('sha256', key).update(address.trim().toLowerCase(), 'utf8').digest('hex').slice(0, 16);
}

/** Log fields for an address: `{ address }` or `{ addressHash }`, plus the domain either way. */
export function addressFields(address: string, domain: string | undefined, config: Pick<Config, 'autodiscovery'>): Record<string, string> {
  const who: Record<string, string> = config.autodiscovery.logAddresses ? { address } : { addressHash: addressHash(address) };
  return domain ? { ...who, domain } : who;
}
