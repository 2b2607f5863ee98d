// The URLs of an Exchange server's client services, shared by the Autodiscover answers and autoconfig.
import type { ExchangeServer } from '../model/account.js';

/** ActiveSync's fixed virtual directory on every Exchange server. */
export const ACTIVESYNC_PATH = '/Microsoft-Server-ActiveSync';

export function activeSyncUrl(exchange: Pick<ExchangeServer, 'host' | 'ssl'>): string {
  return `${exchange.ssl ? 'https' : 'http'}://${exchange.host}${ACTIVESYNC_PATH}`;
}

export function ewsUrl(exchange: Pick<ExchangeServer, 'host' | 'ssl' | 'port' | 'path'>): string {
  const defaultPort = exchange.ssl ? 443 : 80;
  return `${exchange.ssl ? 'https' : 'http'}://${exchange.host}${exchange.port === defaultPort ? '' : `:${exchange.port}`}${exchange.path}`;
}
