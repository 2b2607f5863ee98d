// ActiveSync Autodiscover response ([MS-ASCMD] 2.2.1.1, mobilesync/responseschema/2006): where an Exchange ActiveSync client syncs.
import { create } from 'xmlbuilder2';
import { MailsetupError } from '../errors.js';
import type { Account } from '../model/account.js';
import type { Language } from '../model/provider.js';
import { AUTODISCOVER_RESPONSE_NS } from './autodiscover.js';
import { MOBILESYNC_RESPONSE_SCHEMA } from './autodiscover-request.js';
import { activeSyncUrl } from './exchange-urls.js';
import { oneLineValue } from './value-guard.js';
import { serializeXml } from './xml-serialize.js';
import { DEFAULTS } from '../model/defaults.js';

export { ACTIVESYNC_PATH, activeSyncUrl, ewsUrl } from './exchange-urls.js';

// Exchange writes Culture as language:country.
const CULTURES: Record<Language, string> = { en: 'en:us', ru: 'ru:ru', sv: 'sv:se' };

export interface ActiveSyncResponseOptions {
  language?: Language;
}

/** The answer to a mobilesync Autodiscover request for an Exchange account. */
export function buildActiveSyncAutodiscoverResponse(account: Account, options: ActiveSyncResponseOptions = {}): string {
  if (account.kind !== 'exchange') {
    throw new MailsetupError('UNSUPPORTED', `ActiveSync Autodiscover needs an Exchange account, not ${account.kind}`, { field: 'type', rule: 'offered-type' });
  }
  const { email } = account;
  const url = activeSyncUrl(account.exchange);
  const root = create({ version: '1.0', encoding: 'utf-8' }).ele(AUTODISCOVER_RESPONSE_NS, 'Autodiscover');
  const response = root.ele(MOBILESYNC_RESPONSE_SCHEMA, 'Response');
  response.ele('Culture').txt(CULTURES[options.language ?? DEFAULTS.language]);
  const user = response.ele('User');
  if (account.displayName) user.ele('DisplayName').txt(oneLineValue(account.displayName, 'displayName', 'activesync-autodiscover'));
  user.ele('EMailAddress').txt(email.ascii);
  const server = response.ele('Action').ele('Settings').ele('Server');
  server.ele('Type').txt('MobileSync');
  server.ele('Url').txt(url);
  // Exchange repeats the URL as the server's Name; clients that show a server name read it.
  server.ele('Name').txt(url);
  return serializeXml(root, 'activesync-autodiscover');
}
