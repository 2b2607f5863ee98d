// MDM template profiles (.mobileconfig, unsigned) per Apple's device-management schema, and the same
// templates as Declarative Device Management declarations, with the MDM's per-user variables where
// per-person values go: Jamf Pro payload variables ($EMAIL, $USERNAME, $FULLNAME), Microsoft Intune
// tokens ({{mail}}, {{partialupn}}, {{username}}), or generic placeholders.
//
// Under MDM, iOS does not honour OutgoingPasswordSameAsIncomingPassword, so a template never
// carries it: each server names its own user name and the device asks for each password it lacks.
import type { Account } from '../model/account.js';
import { organizationNamespace, uuidV5 } from '../model/identifiers.js';
import type { FormatContext } from './context.js';
import { buildDdmArchiveFrom, buildDeclarationFiles, makeDeclaration, type JsonValue } from './ddm.js';
import { buildManagedAppsArchiveFrom, managedAppConfigs, type AppConfig } from './managed-apps.js';
import { buildMobileconfigObject, payloadTypeFor } from './mobileconfig.js';
import { buildPlistXml, type PlistValue } from './plist-xml.js';

export const MDM_IDS = ['jamf', 'intune', 'generic'] as const;
export type MdmId = (typeof MDM_IDS)[number];

/** What a template is written as: a configuration profile, DDM declarations, or mobile app configurations. */
export const MDM_FORMATS = ['mobileconfig', 'ddm', 'managed-apps'] as const;
export type MdmFormat = (typeof MDM_FORMATS)[number];

export interface MdmVariables {
  /** The person's whole address. */
  email: string;
  /** The part before @, where the MDM has a user name that matches it. */
  localPart: string;
  /** The person's name; undefined when the MDM has no such variable (the key is then left out). */
  fullName: string | undefined;
}

/**
 * The variables each MDM substitutes, as its vendor documents them:
 * - Jamf Pro, payload variables table ("$VARIABLE is replaced with the value of the corresponding
 *   attribute in Jamf Pro. Payload variables are case-sensitive."): $EMAIL "Email Address", $USERNAME
 *   "Username associated with the computer in Jamf Pro", $FULLNAME or $REALNAME "Full Name" -
 *   https://learn.jamf.com/en-US/bundle/jamf-pro-documentation-current/page/Computer_Configuration_Profiles.html
 * - Microsoft Intune custom profiles take the app configuration tokens (custom-settings-ios: "App
 *   configuration tokens includes a list of variables"; case-sensitive): {{mail}} "John@contoso.com",
 *   {{partialupn}} "John" (the UPN before @), {{username}} "John Doe" (a display name, not a login) -
 *   https://learn.microsoft.com/en-us/mem/intune/apps/app-configuration-policies-use-ios#tokens-used-in-the-property-list
 * The generic set uses the autoconfig placeholders, for MDMs with another syntax to search-and-replace.
 */
const MDM_VARIABLES: Readonly<Record<MdmId, MdmVariables>> = Object.freeze({
  jamf: { email: '$EMAIL', localPart: '$USERNAME', fullName: '$FULLNAME' },
  intune: { email: '{{mail}}', localPart: '{{partialupn}}', fullName: '{{username}}' },
  generic: { email: '%EMAILADDRESS%', localPart: '%EMAILLOCALPART%', fullName: '%REALNAME%' },
});

/**
 * The account a template is built from uses these stand-ins; they are then swapped for the MDM's
 * variables. The `.invalid` domain (RFC 2606) cannot collide with a real server name.
 */
export const TEMPLATE_PERSON = Object.freeze({
  local: 'mdm-template-user',
  domain: 'mdm-template-domain.invalid',
  email: 'mdm-template-user@mdm-template-domain.invalid',
  name: 'MDM Template Full Name',
});

export interface MdmTemplate {
  mdm: MdmId;
  providerId: string;
  variantId: string;
  /** Literal domain for logins built with %EMAILDOMAIN%; undefined when the login does not use it. */
  domain: string | undefined;
}

type Dict = { [key: string]: PlistValue };

const PAYLOAD_SUFFIX = { 'com.apple.mail.managed': 'mail', 'com.apple.eas.account': 'eas', 'com.apple.ews.account': 'ews' } as const;

function substitute(value: PlistValue, replace: (text: string) => string | undefined): PlistValue | undefined {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((v) => substitute(v, replace)).filter((v): v is PlistValue => v !== undefined);
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Dict = {};
    for (const [key, inner] of Object.entries(value as Dict)) {
      const replaced = substitute(inner, replace);
      if (replaced !== undefined) out[key] = replaced;
    }
    return out;
  }
  return value;
}

/** Identity of a template: one per organisation, provider, variant, account type and device, whatever the MDM. */
function templateIdentity(organizationIdentifier: string, name: string) {
  const namespace = organizationNamespace(organizationIdentifier);
  const uuid = uuidV5(namespace, `mdm-template:${name}`);
  return { identifier: `${organizationIdentifier}.mdm.${name}`, uuid, payloadUuid: uuidV5(namespace, `mdm-template-payload:${name}`) };
}

function mdmTemplateName(template: Pick<MdmTemplate, 'providerId' | 'variantId'>, account: Account, device: string): string {
  return `${template.providerId}.${template.variantId}.${account.kind}.${device}`;
}

/** Swaps TEMPLATE_PERSON's values for the MDM's variables; undefined removes the value. */
function replacer(template: MdmTemplate): (text: string) => string | undefined {
  const variables = MDM_VARIABLES[template.mdm];
  return (text) => {
    if (text === TEMPLATE_PERSON.name) return variables.fullName;
    // Function replacers: a `$` in what is put in (Jamf's `$EMAIL`) is text, not a pattern.
    let out = text.replaceAll(TEMPLATE_PERSON.email, () => variables.email).replaceAll(TEMPLATE_PERSON.local, () => variables.localPart);
    if (out.includes(TEMPLATE_PERSON.domain)) {
      const domain = template.domain;
      if (!domain) throw new RangeError('the login uses the mail domain; a domain is needed');
      out = out.replaceAll(TEMPLATE_PERSON.domain, () => domain);
    }
    return out;
  };
}

/** The template profile as a plist object; `account` must be built for TEMPLATE_PERSON. */
function buildMdmProfileObject(account: Account, context: FormatContext, template: MdmTemplate): Dict {
  const profile = buildMobileconfigObject(account, context);
  const substituted = substitute(profile, replacer(template)) as Dict;
  const name = mdmTemplateName(template, account, context.device);
  const ids = templateIdentity(context.organization.identifier, name);
  const payloads = substituted.PayloadContent as Dict[];
  const main = PAYLOAD_SUFFIX[payloadTypeFor(account, context.device)];
  const namespace = organizationNamespace(context.organization.identifier);
  // Every payload keeps its role suffix; the account's own keeps the UUID templates always had.
  const content = payloads.map((payload) => {
    const suffix = (payload.PayloadIdentifier as string).slice((substituted.PayloadIdentifier as string).length + 1);
    const uuid = suffix === main ? ids.payloadUuid : uuidV5(namespace, `mdm-template-payload:${name}:${suffix}`);
    return { ...withoutSamePassword(payload), PayloadIdentifier: `${ids.identifier}.${suffix}`, PayloadUUID: uuid };
  });
  // MDMs deliver to the device type they are told to; TargetDeviceType only matters for manual installs.
  delete substituted.TargetDeviceType;
  return {
    ...substituted,
    PayloadIdentifier: ids.identifier,
    PayloadUUID: ids.uuid,
    PayloadContent: content,
  };
}

function withoutSamePassword(payload: Dict): Dict {
  const rest = { ...payload };
  delete rest.OutgoingPasswordSameAsIncomingPassword;
  return rest;
}

/** Unsigned UTF-8 XML: MDMs sign profiles themselves when they deliver them. */
export function buildMdmProfile(account: Account, context: FormatContext, template: MdmTemplate): string {
  return buildPlistXml(buildMdmProfileObject(account, context, template));
}

/**
 * The template as DDM declarations in a ZIP; `account` must be built for TEMPLATE_PERSON. Identifiers
 * are per template (like the profile's) and ServerTokens are computed after the variables are in.
 */
export function buildMdmDeclarations(account: Account, context: FormatContext, template: MdmTemplate, credentialUrl?: string): Buffer {
  const name = mdmTemplateName(template, account, context.device);
  const namespace = organizationNamespace(context.organization.identifier);
  const replace = replacer(template);
  const files = buildDeclarationFiles(account, context, { identifier: (role) => uuidV5(namespace, `mdm-template-ddm:${name}:${role}`), credentialUrl }).map(
    (file) => {
      const payload = substitute(file.declaration.Payload, replace) as unknown as Record<string, JsonValue>;
      const userName = file.userName === undefined ? undefined : replace(file.userName);
      return {
        ...file,
        declaration: makeDeclaration(file.declaration.Type, file.declaration.Identifier, payload),
        ...(userName === undefined ? {} : { userName }),
      };
    },
  );
  return buildDdmArchiveFrom(files, context, `${context.text.profileName} (${template.mdm})`);
}

/** The template as managed app configurations (Gmail, Outlook, Samsung Email); `account` must be built for TEMPLATE_PERSON. */
export function buildMdmManagedApps(account: Account, context: FormatContext, template: MdmTemplate): Buffer {
  const replace = replacer(template);
  const configs = managedAppConfigs(account, context);
  const swap = (config: AppConfig | undefined): AppConfig | undefined =>
    config && Object.fromEntries(Object.entries(config).flatMap(([key, value]) => (replace(value) === undefined ? [] : [[key, replace(value)!]])));
  const base = context.publicBaseUrl ?? '';
  return buildManagedAppsArchiveFrom(
    { gmail: swap(configs.gmail), outlook: swap(configs.outlook), samsung: configs.samsung?.map(([title, value]) => [title, replace(value) ?? '']) },
    context,
    {
      title: `${context.text.profileName} (${template.mdm})`,
      settingsUrl: `${base}/settings/${template.providerId}/${template.variantId}`,
      setupUrl: `${base}/setup`,
    },
  );
}
