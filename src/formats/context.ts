// What every format builder may be told besides the account: who issues the file, for which
// device, in which language. Builders take what they need and ignore the rest.
import type { Device } from '../model/account.js';
import type { Language, Provider, ProviderVariant } from '../model/provider.js';
import type { OutlookVersion } from '../model/request.js';

export type { OutlookVersion };

export interface Organization {
  /** Shown to people: "Example University IT". */
  name: string;
  /** Reverse-DNS prefix of every identifier we write: "org.example.mail". */
  identifier: string;
}

/** Strings a device shows, already in the person's language. */
export interface ProfileText {
  profileName: string;
  profileDescription: string;
  accountDescription: string;
  /** Keyed by language code plus `default`, as Apple's ConsentText wants. */
  consentText?: Record<string, string>;
}

export interface FormatContext {
  organization: Organization;
  device: Device;
  language: Language;
  text: ProfileText;
  /** Embed the password the account carries; without it devices prompt at install. */
  includePassword: boolean;
  provider?: Provider | undefined;
  variant?: ProviderVariant | undefined;
  /** Classic Outlook for Windows the PRF and .reg files are for (default 2016 = 16.0, also 2019/2021/365). */
  outlookVersion?: OutlookVersion | undefined;
  /** Windows folder the Outlook setup pack's files are copied to; the .reg files point there. */
  outlookFolder?: string | undefined;
  /** Declarative Device Management: the https base the MDM serves credential data under. */
  credentialUrl?: string | undefined;
  /** `https://<public host>` of this service, for links written into files; undefined: paths only. */
  publicBaseUrl?: string | undefined;
}
