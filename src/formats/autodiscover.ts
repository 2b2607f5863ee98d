// Outlook Autodiscover POX response (MS-OXDSCLI: responseschema/2006 with outlook/responseschema/2006a, http:// namespaces).
//
// IMAP/POP accounts get `<Action>settings</Action>` with one incoming and one SMTP <Protocol>.
// Exchange accounts get `<Action>redirectUrl</Action>` pointing at the Exchange server's own
// Autodiscover endpoint: only that server knows the mailbox's internal settings (EXCH/EXPR,
// EWS and MAPI/HTTP URLs, the mailbox GUID), and Outlook follows an HTTPS redirect after asking
// the user once. Writing guessed EXCH/EXPR settings instead would break as soon as they drift.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { Account, MailServer, SocketType } from '../model/account.js';
import type { FormatContext } from './context.js';
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
  if (server.auth !== 'none' && server.username !== undefined) element.ele('LoginName').txt(oneLineValue(server.username!, `${field}.username`, FORMAT));
  // SPA (NTLM) defaults to on in Outlook: write it always, on only for NTLM servers.
  element.ele('SPA').txt(onOff(server.auth === 'NTLM'));
  element.ele('SSL').txt(onOff(server.socket !== 'plain'));
  // Encryption overrides SSL and is the only way to say STARTTLS.
  element.ele('Encryption').txt(AUTODISCOVER_ENCRYPTION[server.socket]);
  element.ele('AuthRequired').txt(onOff(server.auth !== 'none'));
  if (usePopAuth !== undefined) element.ele('UsePOPAuth').txt(onOff(usePopAuth));
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
  if (displayName)
    response
      .ele('User')
      .ele('DisplayName')
      .txt(oneLineValue(displayName, 'displayName', FORMAT));
  const element = response.ele('Account');
  element.ele('AccountType').txt('email');
  if (account.kind === 'exchange') {
    element.ele('Action').txt('redirectUrl');
    const url = options.exchangeRedirectUrl ?? exchangeAutodiscoverUrl(account.exchange!.host);
    element.ele('RedirectUrl').txt(oneLineValue(url, 'exchangeRedirectUrl', FORMAT));
  } else {
    const incoming = account.incoming!;
    const outgoing = account.outgoing!;
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
