// Outlook Autodiscover POX response (MS-OXDSCLI: responseschema/2006 with outlook/responseschema/2006a, http:// namespaces).
//
// IMAP/POP accounts get `<Action>settings</Action>` with one incoming and one SMTP <Protocol>.
//
// Exchange accounts get one answer that three readers take differently (MS-OXDSCLI sections
// 2.2.4.1.1.2 Account, 2.2.4.1.1.2.2 Action, 2.2.4.1.1.2.6 Protocol, 2.2.4.1.1.2.9 RedirectUrl,
// 3.1.5.3 on redirect answers):
// - `<Action>redirectUrl</Action>` with the Exchange server's own Autodiscover URL, for Outlook,
//   which acts on Action: only that server knows the mailbox's MAPI/HTTP and RPC settings and its
//   GUID, so guessed EXCH/EXPR settings would send Outlook to an RPC endpoint that refuses it.
// - Beside it, an EXCH and an EXPR <Protocol> carrying the EWS URL (EwsUrl, and ASUrl, which
//   Exchange serves at the same address), the server and the login. Thunderbird's Exchange reader
//   never looks at Action or RedirectUrl (it follows RedirectAddr only) and takes EwsUrl from EXCH;
//   exchangelib's POX reader looks for a `RedirectURL` element (other case), so it never sees the
//   redirect, needs a <User> element, and takes EwsUrl from EXPR, else EXCH.
// A client that does follow the redirect reaches the real server, which names the same URLs.
// The ActiveSync URL is the mobilesync answer's (activesync-autodiscover.ts): this schema has none.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { Account, ExchangeServer, MailServer, SocketType } from '../model/account.js';
import type { FormatContext } from './context.js';
import { ewsUrl } from './exchange-urls.js';
import { oneLineValue } from './value-guard.js';
import { serializeXml } from './xml-serialize.js';

export const AUTODISCOVER_RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
export const AUTODISCOVER_OUTLOOK_RESPONSE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

export interface AutodiscoverOptions {
  /** Exchange accounts: where to redirect; default `https://<exchange host>/autodiscover/autodiscover.xml`. */
  exchangeRedirectUrl?: string;
  /** Written as `<User><DisplayName>`; default the account's display name. */
  displayName?: string;
}

const FORMAT = 'Autodiscover';

/** STARTTLS is `TLS` in Autodiscover; `SSL` is implicit TLS. Never infer it from the port. */
export const AUTODISCOVER_ENCRYPTION: Readonly<Record<SocketType, 'SSL' | 'TLS' | 'None'>> = {
  SSL: 'SSL',
  STARTTLS: 'TLS',
  plain: 'None',
};

const onOff = (value: boolean) => (value ? 'on' : 'off');

function protocol(parent: XMLBuilder, type: 'IMAP' | 'POP3' | 'SMTP', server: MailServer, field: string, usePopAuth?: boolean): void {
  const element = parent.ele('Protocol');
  element.ele('Type').txt(type);
  element.ele('Server').txt(oneLineValue(server.host, `${field}.host`, FORMAT));
  element.ele('Port').txt(String(server.port));
  element.ele('DomainRequired').txt('off');
  if (server.auth !== 'none' && server.username !== undefined) element.ele('LoginName').txt(oneLineValue(server.username, `${field}.username`, FORMAT));
  // SPA (NTLM) defaults to on in Outlook: write it always, on only for NTLM servers.
  element.ele('SPA').txt(onOff(server.auth === 'NTLM'));
  element.ele('SSL').txt(onOff(server.socket !== 'plain'));
  // Encryption overrides SSL and is the only way to say STARTTLS.
  element.ele('Encryption').txt(AUTODISCOVER_ENCRYPTION[server.socket]);
  element.ele('AuthRequired').txt(onOff(server.auth !== 'none'));
  if (usePopAuth !== undefined) element.ele('UsePOPAuth').txt(onOff(usePopAuth));
}

/** An EXCH (Exchange RPC) or EXPR (RPC over HTTP) block: what EWS clients read from either. */
function exchangeProtocol(parent: XMLBuilder, type: 'EXCH' | 'EXPR', exchange: ExchangeServer): void {
  const url = oneLineValue(ewsUrl(exchange), 'exchange.path', FORMAT);
  const element = parent.ele('Protocol');
  element.ele('Type').txt(type);
  element.ele('Server').txt(oneLineValue(exchange.host, 'exchange.host', FORMAT));
  element.ele('ASUrl').txt(url);
  element.ele('EwsUrl').txt(url);
  element.ele('LoginName').txt(oneLineValue(exchange.username, 'exchange.username', FORMAT));
  // EXPR's SSL says whether the proxy is reached over HTTPS; exchangelib reads a missing one as on.
  if (type === 'EXPR') element.ele('SSL').txt(onOff(exchange.ssl));
}

/** The Autodiscover URL of an Exchange server (HTTPS: Outlook follows no other redirect). */
export function exchangeAutodiscoverUrl(host: string): string {
  return `https://${host}/autodiscover/autodiscover.xml`;
}

/** The POX response Outlook expects for this account's address. */
export function buildAutodiscoverResponse(account: Account, options: AutodiscoverOptions = {}): string {
  const root = create({ version: '1.0', encoding: 'utf-8' }).ele('Autodiscover', { xmlns: AUTODISCOVER_RESPONSE_NS });
  const response = root.ele('Response', { xmlns: AUTODISCOVER_OUTLOOK_RESPONSE_NS });
  const displayName = options.displayName ?? account.displayName;
  const exchange = account.kind === 'exchange' ? account.exchange : undefined;
  // exchangelib fails on an answer without <User>; Exchange answers name the address there.
  if (displayName || exchange) {
    const user = response.ele('User');
    if (displayName) user.ele('DisplayName').txt(oneLineValue(displayName, 'displayName', FORMAT));
    if (exchange) user.ele('AutoDiscoverSMTPAddress').txt(account.email.ascii);
  }
  const element = response.ele('Account');
  element.ele('AccountType').txt('email');
  if (account.kind === 'exchange') {
    const { exchange } = account;
    element.ele('Action').txt('redirectUrl');
    const url = options.exchangeRedirectUrl ?? exchangeAutodiscoverUrl(exchange.host);
    element.ele('RedirectUrl').txt(oneLineValue(url, 'exchangeRedirectUrl', FORMAT));
    exchangeProtocol(element, 'EXCH', exchange);
    exchangeProtocol(element, 'EXPR', exchange);
  } else {
    const { incoming, outgoing } = account;
    element.ele('Action').txt('settings');
    protocol(element, account.kind === 'pop' ? 'POP3' : 'IMAP', incoming, 'incoming');
    // UsePOPAuth: SMTP logs in with the incoming server's name and password.
    const samePerson = outgoing.auth !== 'none' && incoming.auth !== 'none' && outgoing.username === incoming.username;
    protocol(element, 'SMTP', outgoing, 'outgoing', samePerson);
  }
  return serializeXml(root, FORMAT);
}

/** The `autodiscover` format: the response Outlook would get for this person. */
export function buildAutodiscoverForAccount(account: Account, _context: FormatContext): string {
  return buildAutodiscoverResponse(account);
}
