// Every output format mailsetup writes: its file extension, MIME type and builder.
import type { Account } from '../model/account.js';
import { renameFields, requestFieldOf } from '../model/validate.js';
import { buildAutoconfigForAccount } from './autoconfig.js';
import { buildAutodiscoverForAccount } from './autodiscover.js';
import { buildDdmArchive } from './ddm.js';
import { buildManagedApps } from './managed-apps.js';
import type { FormatContext } from './context.js';
import { buildOutlookPack } from './outlook-pack.js';
import { buildPrfForAccount } from './prf.js';
import { buildRegForAccount } from './reg.js';
import { buildMobileconfig } from './mobileconfig.js';

export interface FormatSpec {
  id: string;
  extension: string;
  contentType: string;
  /** Whether the output is signed by default (only Apple profiles are). */
  signable: boolean;
  build(account: Account, context: FormatContext): string | Buffer;
}

/**
 * Builders name the account fields a value sits in (`displayName`, `incoming.username`); a person
 * filled in the request's (`name`, `login`), so refusals on the way to them are renamed.
 */
function forPeople<T>(build: (account: Account, context: FormatContext) => T): (account: Account, context: FormatContext) => T {
  return (account, context) => {
    try {
      return build(account, context);
    } catch (thrown) {
      throw renameFields(thrown, (field) => requestFieldOf(field));
    }
  };
}

export const FORMATS = {
  mobileconfig: {
    id: 'mobileconfig',
    extension: 'mobileconfig',
    contentType: 'application/x-apple-aspen-config',
    signable: true,
    build: forPeople(buildMobileconfig),
  },
  autodiscover: {
    id: 'autodiscover',
    extension: 'xml',
    contentType: 'application/xml; charset=utf-8',
    signable: false,
    build: forPeople(buildAutodiscoverForAccount),
  },
  autoconfig: {
    id: 'autoconfig',
    extension: 'xml',
    contentType: 'application/xml; charset=utf-8',
    signable: false,
    build: forPeople(buildAutoconfigForAccount),
  },
  prf: {
    id: 'prf',
    extension: 'prf',
    // ASCII or UTF-16LE: a download, never text a browser would re-encode.
    contentType: 'application/octet-stream',
    signable: false,
    build: forPeople(buildPrfForAccount),
  },
  reg: {
    id: 'reg',
    extension: 'reg',
    contentType: 'application/octet-stream',
    signable: false,
    build: forPeople(buildRegForAccount),
  },
  ddm: {
    id: 'ddm',
    extension: 'ddm.zip',
    contentType: 'application/zip',
    signable: false,
    build: buildDdmArchive,
  },
  'managed-apps': {
    id: 'managed-apps',
    extension: 'apps.zip',
    contentType: 'application/zip',
    signable: false,
    build: buildManagedApps,
  },
  'outlook-pack': {
    id: 'outlook-pack',
    extension: 'zip',
    contentType: 'application/zip',
    signable: false,
    build: forPeople(buildOutlookPack),
  },
} as const satisfies Record<string, FormatSpec>;

export type FormatId = keyof typeof FORMATS;
export const FORMAT_IDS = Object.keys(FORMATS) as FormatId[];

export function isFormatId(value: string): value is FormatId {
  return Object.hasOwn(FORMATS, value);
}
