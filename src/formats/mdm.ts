// MDM template profiles (.mobileconfig, unsigned) per Apple's device-management schema, with the
// MDM's per-user variables where per-person values go: Jamf Pro payload variables ($EMAIL,
// $USERNAME, $FULLNAME), Microsoft Intune tokens ({{mail}}, {{username}}), or generic placeholders.
import type { PlistValue } from 'plist';
import type { Account } from '../model/account.js';
import { organizationNamespace, uuidV5 } from '../model/identifiers.js';
import type { FormatContext } from './context.js';
import { buildMobileconfigObject, payloadTypeFor } from './mobileconfig.js';
import { buildPlistXml } from './plist-xml.js';

export const MDM_IDS = ['jamf', 'intune', 'generic'] as const;
export type MdmId = (typeof MDM_IDS)[number];

export interface MdmVariables {
  /** The person's whole address. */
  email: string;
  /** The part before @, where the MDM has a user name that matches it. */
  localPart: string;
  /** The person's name; undefined when the MDM has no such variable (the key is then left out). */
  fullName: string | undefined;
}

/**
 * Jamf Pro substitutes $EMAIL, $USERNAME and $FULLNAME (case-sensitive) in profile values.
 * Intune substitutes {{mail}} and {{username}} in custom profiles; it has no full-name token there.
 * The generic set uses the autoconfig placeholders, for MDMs with another syntax to search-and-replace.
 */
const MDM_VARIABLES: Readonly<Record<MdmId, MdmVariables>> = Object.freeze({
  jamf: { email: '$EMAIL', localPart: '$USERNAME', fullName: '$FULLNAME' },
  intune: { email: '{{mail}}', localPart: '{{username}}', fullName: undefined },
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

/** The template profile as a plist object; `account` must be built for TEMPLATE_PERSON. */
function buildMdmProfileObject(account: Account, context: FormatContext, template: MdmTemplate): Dict {
  const variables = MDM_VARIABLES[template.mdm];
  const profile = buildMobileconfigObject(account, context);
  const replace = (text: string): string | undefined => {
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
  const substituted = substitute(profile, replace) as Dict;
  const name = mdmTemplateName(template, account, context.device);
  const ids = templateIdentity(context.organization.identifier, name);
  const [payload] = substituted.PayloadContent as Dict[];
  const suffix = PAYLOAD_SUFFIX[payloadTypeFor(account, context.device)];
  // MDMs deliver to the device type they are told to; TargetDeviceType only matters for manual installs.
  delete substituted.TargetDeviceType;
  return {
    ...substituted,
    PayloadIdentifier: ids.identifier,
    PayloadUUID: ids.uuid,
    PayloadContent: [{ ...payload!, PayloadIdentifier: `${ids.identifier}.${suffix}`, PayloadUUID: ids.payloadUuid }],
  };
}

/** Unsigned UTF-8 XML: MDMs sign profiles themselves when they deliver them. */
export function buildMdmProfile(account: Account, context: FormatContext, template: MdmTemplate): string {
  return buildPlistXml(buildMdmProfileObject(account, context, template));
}
