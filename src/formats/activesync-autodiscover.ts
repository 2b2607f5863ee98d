// ActiveSync Autodiscover response ([MS-ASCMD] 2.2.1.1, mobilesync/responseschema/2006): where an Exchange ActiveSync client syncs.
import { create } from 'xmlbuilder2';
import { MailsetupError } from '../errors.js';
import type { Account, ExchangeServer } from '../model/account.js';
import type { Language } from '../model/provider.js';
import { parseEmail, type EmailParts } from '../model/rules.js';
import { AUTODISCOVER_RESPONSE_NS } from './autodiscover.js';
import { MOBILESYNC_RESPONSE_SCHEMA } from './autodiscover-request.js';
import { oneLineValue } from './value-guard.js';
import { serializeXml } from './xml-serialize.js';

/** ActiveSync's fixed virtual directory on every Exchange server. */
export const ACTIVESYNC_PATH = '/Microsoft-Server-ActiveSync';

// Exchange writes Culture as language:country.
const CULTURES: Record<Language, string> = { en: 'en:us', ru: 'ru:ru', sv: 'sv:se' };

export interface ActiveSyncResponseOptions {
  language?: Language;
}

export function activeSyncUrl(exchange: Pick<ExchangeServer, 'host' | 'ssl'>): string {
  return `${exchange.ssl ? 'https' : 'http'}://${exchange.host}${ACTIVESYNC_PATH}`;
}

export function ewsUrl(exchange: Pick<ExchangeServer, 'host' | 'ssl' | 'port' | 'path'>): string {
  const defaultPort = exchange.ssl ? 443 : 80;
  return `${exchange.ssl ? 'https' : 'http'}://${exchange.host}${exchange.port === defaultPort ? '' : `:${exchange.port}`}${exchange.path}`;
}

/** The answer to a mobilesync Autodiscover request for an Exchange account. */
export function buildActiveSyncAutodiscoverResponse(account: Account, options: ActiveSyncResponseOptions = {}): string {
  if (account.kind !== 'exchange' || !account.exchange) {
    throw new MailsetupError('UNSUPPORTED', `ActiveSync Autodiscover needs an Exchange account, not ${account.kind}`, { field: 'type', rule: 'offered-type' });
  }
  const email = parseEmail(account.email) as EmailParts;
  const url = activeSyncUrl(account.exchange);
  const root = create({ version: '1.0', encoding: 'utf-8' }).ele(AUTODISCOVER_RESPONSE_NS, 'Autodiscover');
  const response = root.ele(MOBILESYNC_RESPONSE_SCHEMA, 'Response');
  response.ele('Culture').txt(CULTURES[options.language ?? 'en']);
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
