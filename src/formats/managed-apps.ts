// Managed app configuration for mobile mail apps (Android Enterprise managed configurations and iOS
// managed app configuration), for an MDM to push with the app. Key names are the vendors' own:
//
// - Gmail for Android, Exchange accounts: "Configure Gmail with managed configurations",
//   https://support.google.com/work/android/answer/7065453 : `email_address`, `exchange_host` ("The
//   port number is optional. If not specified, the default port number is 443"; the SSL setting
//   "is ignored if port 443 is specified in the Host field", so we write the port).
// - Outlook for iOS and Android, Exchange accounts, "Key value pairs" with basic authentication:
//   https://learn.microsoft.com/en-us/exchange/clients/outlook-for-ios-and-android/use-basic-auth :
//   com.microsoft.outlook.EmailProfile.EmailAccountName, .EmailAddress, .EmailUPN,
//   .ServerAuthentication ('Username and Password'), .ServerHostName (ActiveSync FQDN),
//   .AccountType (BasicAuth); with modern authentication (Microsoft 365), "Account setup
//   configuration": .EmailAddress, .EmailUPN, .AccountType = ModernAuth -
//   https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/outlook-for-ios-and-android/outlook-for-ios-and-android-configuration-with-microsoft-intune
// - Samsung Email: https://docs.samsungknox.com/dev/managed-configurations/samsung-email shows its
//   schema (assets/email-schema.html) only by field title, and only for Exchange ActiveSync
//   accounts, so the README lists the values by those titles and no file is written for it.
//
// IMAP and POP: none of these documents gives managed-configuration keys for IMAP or POP, so the
// archive then holds only a README that says so and points to the settings page and its QR code.
import { textTemplate } from '../i18n.js';
import type { Account } from '../model/account.js';
import type { EmailParts } from '../model/rules.js';
import type { FormatContext } from './context.js';
import { buildPlistXml, type PlistValue } from './plist-xml.js';
import { buildZip, type ZipEntry } from './zip.js';

/** One app's configuration: flat string keys to values, as both managed-configuration channels take them. */
export type AppConfig = Record<string, string>;

export interface ManagedAppConfigs {
  /** Gmail (com.google.android.gm) managed configuration; Exchange only. */
  gmail?: AppConfig;
  /** Outlook (com.microsoft.office.outlook on Android, com.microsoft.Office.Outlook on iOS); Exchange only. */
  outlook?: AppConfig;
  /** Samsung Email, by the field titles of its published schema; Exchange only. */
  samsung?: Array<[title: string, value: string]>;
}

const OUTLOOK = 'com.microsoft.outlook.EmailProfile.';

/** What each app is given for this account (nothing for IMAP and POP). */
export function managedAppConfigs(account: Account, context: Pick<FormatContext, 'text'>): ManagedAppConfigs {
  if (account.kind !== 'exchange') return {};
  const email = account.email;
  const exchange = account.exchange;
  const hostWithPort = `${exchange.host}:${exchange.ssl ? 443 : 80}`;
  // Modern sign-in (Microsoft 365): Outlook's documented ModernAuth keys; it signs in itself.
  const outlook: AppConfig = exchange.oauth
    ? { [`${OUTLOOK}EmailAddress`]: email.ascii, [`${OUTLOOK}EmailUPN`]: exchange.username, [`${OUTLOOK}AccountType`]: 'ModernAuth' }
    : {
        [`${OUTLOOK}EmailAccountName`]: context.text.accountDescription,
        [`${OUTLOOK}EmailAddress`]: email.ascii,
        [`${OUTLOOK}EmailUPN`]: exchange.username,
        [`${OUTLOOK}ServerAuthentication`]: 'Username and Password',
        [`${OUTLOOK}ServerHostName`]: exchange.host,
        [`${OUTLOOK}AccountType`]: 'BasicAuth',
      };
  return {
    gmail: { email_address: email.ascii, exchange_host: hostWithPort },
    outlook,
    samsung: [
      ['Email address', email.ascii],
      ['User name', exchange.username],
      ['Exchange server name', hostWithPort],
      ['Use SSL', exchange.ssl ? 'on' : 'off'],
      ['Account name', context.text.accountDescription],
    ],
  };
}

export interface ManagedAppsReadme {
  /** The person's address or the template's name. */
  title: string;
  /** The settings page and the setup page (its QR code opens setup on the phone), when known. */
  settingsUrl: string;
  setupUrl: string;
}

/** The archive: README.txt, and per app a JSON file (Android) and for Outlook a plist (iOS). */
export function buildManagedAppsArchiveFrom(configs: ManagedAppConfigs, context: Pick<FormatContext, 'language'>, readme: ManagedAppsReadme): Buffer {
  const entries: ZipEntry[] = [];
  const json = (value: AppConfig) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  if (configs.gmail) entries.push({ name: 'android/gmail.json', data: json(configs.gmail) });
  if (configs.outlook) {
    entries.push({ name: 'android/outlook.json', data: json(configs.outlook) });
    entries.push({ name: 'ios/outlook.plist', data: Buffer.from(buildPlistXml(configs.outlook as Record<string, PlistValue>), 'utf8') });
  }
  const exchange = entries.length > 0;
  const samsung = (configs.samsung ?? []).map(([title, value]) => `  ${title}: ${value}`).join('\n');
  const text = textTemplate(exchange ? 'managed-apps/README-exchange.{lang}.txt' : 'managed-apps/README-mail.{lang}.txt', context.language, {
    ...readme,
    samsung,
  });
  return buildZip([{ name: 'README.txt', data: Buffer.from(text, 'utf8') }, ...entries]);
}

/** Where a person finds their settings: on the public host when configured, else as paths. */
export function personLinks(email: EmailParts, context: FormatContext): Pick<ManagedAppsReadme, 'settingsUrl' | 'setupUrl'> {
  const base = context.publicBaseUrl ?? '';
  const query = new URLSearchParams({ email: email.address }).toString();
  const settings = context.provider && context.variant ? `/settings/${context.provider.id}/${context.variant.id}` : '/settings';
  return { settingsUrl: `${base}${settings}?${query}`, setupUrl: `${base}/setup?${query}` };
}

/** The `managed-apps` format. */
export function buildManagedApps(account: Account, context: FormatContext): Buffer {
  const email = account.email;
  return buildManagedAppsArchiveFrom(managedAppConfigs(account, context), context, { title: email.address, ...personLinks(email, context) });
}
