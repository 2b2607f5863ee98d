// Every output format mailsetup writes: its file extension, MIME type and builder.
import type { Account } from '../model/account.js';
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

export const FORMATS = {
  mobileconfig: {
    id: 'mobileconfig',
    extension: 'mobileconfig',
    contentType: 'application/x-apple-aspen-config',
    signable: true,
    build: buildMobileconfig,
  },
  autodiscover: {
    id: 'autodiscover',
    extension: 'xml',
    contentType: 'application/xml; charset=utf-8',
    signable: false,
    build: buildAutodiscoverForAccount,
  },
  autoconfig: {
    id: 'autoconfig',
    extension: 'xml',
    contentType: 'application/xml; charset=utf-8',
    signable: false,
    build: buildAutoconfigForAccount,
  },
  prf: {
    id: 'prf',
    extension: 'prf',
    // ASCII or UTF-16LE: a download, never text a browser would re-encode.
    contentType: 'application/octet-stream',
    signable: false,
    build: buildPrfForAccount,
  },
  reg: {
    id: 'reg',
    extension: 'reg',
    contentType: 'application/octet-stream',
    signable: false,
    build: buildRegForAccount,
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
    build: buildOutlookPack,
  },
} as const satisfies Record<string, FormatSpec>;

export type FormatId = keyof typeof FORMATS;
export const FORMAT_IDS = Object.keys(FORMATS) as FormatId[];

export function isFormatId(value: string): value is FormatId {
  return Object.hasOwn(FORMATS, value);
}
