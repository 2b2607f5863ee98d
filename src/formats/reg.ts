// Windows Registry Editor 5.00 files (.reg) for classic Outlook: the regedit import format, UTF-16LE with BOM and CRLF.
//
// Each snippet is data (keys with values to set or delete) and comes with an undo built from the
// same data, so the undo removes exactly the values the snippet set and nothing else. Strings
// escape `\` and `"`; line breaks and control characters cannot be written and are refused.
import { MailsetupError } from '../errors.js';
import type { Account } from '../model/account.js';
import type { FormatContext, OutlookVersion } from './context.js';
import { safeFileName } from './filename.js';
import { DEFAULT_OUTLOOK_VERSION, OFFICE_VERSION_KEY, prfPossible } from './prf.js';
import { oneLineValue } from './value-guard.js';
import { defaultOutlookFolder, trimFolder, windowsFolderProblem } from '../model/windows-path.js';

export const REG_HEADER = 'Windows Registry Editor Version 5.00';

export type RegValue = { name: string; type: 'string'; data: string } | { name: string; type: 'dword'; data: number } | { name: string; type: 'delete' };

export interface RegKey {
  /** Full path starting with the hive, e.g. `HKEY_CURRENT_USER\Software\…`. */
  path: string;
  values: readonly RegValue[];
}

export interface RegSnippet {
  /** Comment lines written under the header. */
  comments: readonly string[];
  keys: readonly RegKey[];
}

/** A pair: what to merge, and the file that takes it back out. */
export interface RegPair {
  setup: RegSnippet;
  undo: RegSnippet;
}

export function outlookKey(version: OutlookVersion, subkey: 'AutoDiscover' | 'Setup'): string {
  return `HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\${OFFICE_VERSION_KEY[version]}\\Outlook\\${subkey}`;
}

/** The same setting as a user policy: Outlook reads Software\Policies before the user's own key. */
export function outlookPolicyKey(version: OutlookVersion, subkey: 'Setup'): string {
  return `HKEY_CURRENT_USER\\Software\\Policies\\Microsoft\\Office\\${OFFICE_VERSION_KEY[version]}\\Outlook\\${subkey}`;
}

/** A regedit string literal: quotes around, `\` and `"` escaped, nothing that ends a line. */
export function regString(value: string, field: string): string {
  oneLineValue(value, field, '.reg');
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function dword(value: number, field: string): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new MailsetupError('INVALID_INPUT', 'a DWORD is a whole number from 0 to 4294967295', { field, rule: 'dword-range' });
  }
  return `dword:${value.toString(16).padStart(8, '0')}`;
}

function keyLine(path: string): string {
  oneLineValue(path, 'registry key', '.reg');
  if (/[\]]/.test(path) || !/^HKEY_[A-Z_]+(\\[^\\]+)+$/.test(path)) {
    throw new MailsetupError('INVALID_INPUT', `"${path}" is not a registry key path`, { field: 'registry key', rule: 'reg-key' });
  }
  return `[${path}]`;
}

/** The text of a .reg file (CRLF line ends); `encodeReg` turns it into the bytes regedit wants. */
export function renderReg(snippet: RegSnippet): string {
  const lines: string[] = [REG_HEADER, ''];
  for (const comment of snippet.comments) lines.push(`; ${oneLineValue(comment, 'comment', '.reg')}`);
  for (const key of snippet.keys) {
    if (snippet.comments.length > 0 || key !== snippet.keys[0]) lines.push('');
    lines.push(keyLine(key.path));
    for (const value of key.values) {
      const name = regString(value.name, 'registry value name');
      const field = `registry value ${value.name.slice(0, 60)}`;
      if (value.type === 'delete') lines.push(`${name}=-`);
      else if (value.type === 'dword') lines.push(`${name}=${dword(value.data, field)}`);
      else lines.push(`${name}=${regString(value.data, field)}`);
    }
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** UTF-16LE with a byte order mark: what regedit itself writes, and safe for any script. */
export function encodeReg(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

export function buildReg(snippet: RegSnippet): Buffer {
  return encodeReg(renderReg(snippet));
}

/** The undo of a snippet: every value it sets becomes a deletion; deletions it made cannot be restored. */
export function undoOf(snippet: RegSnippet, comments: readonly string[]): RegSnippet {
  const keys = snippet.keys
    .map((key) => ({ path: key.path, values: key.values.filter((v) => v.type !== 'delete').map((v): RegValue => ({ name: v.name, type: 'delete' })) }))
    .filter((key) => key.values.length > 0);
  return { comments, keys };
}

function pair(setup: RegSnippet, undoComments: readonly string[]): RegPair {
  return { setup, undo: undoOf(setup, undoComments) };
}

export interface AutodiscoverPointerOptions {
  version: OutlookVersion;
  /** The mail domain (punycode): the value's name. */
  domain: string;
  /** Absolute Windows path of the local Autodiscover XML. */
  xmlPath: string;
  /** Also stop Outlook asking Microsoft 365 first (default true: the domain is not hosted there). */
  excludeO365?: boolean;
}

/** Outlook reads this domain's Autodiscover answer from a local file before asking any server. */
export function autodiscoverPointerReg(options: AutodiscoverPointerOptions): RegPair {
  const values: RegValue[] = [
    { name: options.domain, type: 'string', data: options.xmlPath },
    { name: 'PreferLocalXML', type: 'dword', data: 1 },
  ];
  if (options.excludeO365 !== false) values.push({ name: 'ExcludeExplicitO365Endpoint', type: 'dword', data: 1 });
  return pair(
    {
      comments: [`Outlook reads the Autodiscover answer for ${options.domain} from ${options.xmlPath}.`],
      keys: [{ path: outlookKey(options.version, 'AutoDiscover'), values }],
    },
    [`Removes the local Autodiscover answer for ${options.domain}.`],
  );
}

/**
 * Brings back the classic Add Account wizard, which uses Autodiscover and the settings given. Set
 * under the Policies key as well, where a policy value wins over the user's own; the undo removes both.
 */
export function simplifiedAccountCreationReg(version: OutlookVersion): RegPair {
  const values: RegValue[] = [{ name: 'DisableOffice365SimplifiedAccountCreation', type: 'dword', data: 1 }];
  return pair(
    {
      comments: ['Classic Add Account wizard instead of the simplified one (which asks a Microsoft service first).'],
      keys: [
        { path: outlookKey(version, 'Setup'), values },
        { path: outlookPolicyKey(version, 'Setup'), values },
      ],
    },
    ['Brings back the simplified Add Account wizard.'],
  );
}

/** Outlook imports the PRF at its next start; deleting FirstRun and First-Run makes it look again. */
export function importPrfReg(version: OutlookVersion, prfPath: string): RegPair {
  return pair(
    {
      comments: [`Outlook imports ${prfPath} the next time it starts.`],
      keys: [
        {
          path: outlookKey(version, 'Setup'),
          values: [
            { name: 'ImportPRF', type: 'string', data: prfPath },
            { name: 'FirstRun', type: 'delete' },
            { name: 'First-Run', type: 'delete' },
          ],
        },
      ],
    },
    ['Stops Outlook importing the PRF file (the profile already created stays).'],
  );
}

/** Several snippets as one file: values of the same key are merged into one section. */
export function combineReg(snippets: readonly RegSnippet[], comments: readonly string[]): RegSnippet {
  const byPath = new Map<string, RegValue[]>();
  for (const key of snippets.flatMap((s) => s.keys)) byPath.set(key.path, [...(byPath.get(key.path) ?? []), ...key.values]);
  return { comments, keys: [...byPath].map(([path, values]) => ({ path, values })) };
}

export interface OutlookFiles {
  folder: string;
  prfName: string;
  autodiscoverName: string;
  prfPath: string;
  autodiscoverPath: string;
}

/** Where the pack's files live on the Windows machine, and their names. */
export function outlookFiles(account: Account, context: Pick<FormatContext, 'outlookFolder' | 'organization'>): OutlookFiles {
  const { email } = account;
  const folder = trimFolder(context.outlookFolder ?? defaultOutlookFolder(context.organization.name));
  const problem = windowsFolderProblem(folder);
  if (problem) throw new MailsetupError('INVALID_INPUT', `use ${problem}`, { field: 'outlookFolder', rule: 'windows-folder' });
  const prfName = safeFileName(email.ascii, 'prf');
  const autodiscoverName = safeFileName(`autodiscover-${email.asciiDomain}`, 'xml');
  return { folder, prfName, autodiscoverName, prfPath: `${folder}\\${prfName}`, autodiscoverPath: `${folder}\\${autodiscoverName}` };
}

export type OutlookRegPart = 'autodiscover' | 'classic-wizard' | 'import-prf';

/** The separate snippets for one account: local Autodiscover pointer, classic wizard, and (when a PRF is possible) the PRF import. */
export function outlookRegParts(
  account: Account,
  context: Pick<FormatContext, 'outlookFolder' | 'organization' | 'outlookVersion'>,
  withPrf: boolean,
): { id: OutlookRegPart; pair: RegPair }[] {
  // Modern sign-in (Microsoft 365): Outlook finds and signs in to such a mailbox itself; a local
  // Autodiscover answer and the classic wizard would only stand in its way.
  if (account.kind === 'exchange' && account.exchange.oauth) {
    throw new MailsetupError(
      'UNSUPPORTED',
      'Outlook for Windows sets up a mailbox with modern sign-in by itself: File › Add Account, type the address and sign in',
      { field: 'format', rule: 'oauth-outlook' },
    );
  }
  const version = context.outlookVersion ?? DEFAULT_OUTLOOK_VERSION;
  const { email } = account;
  const files = outlookFiles(account, context);
  const parts: { id: OutlookRegPart; pair: RegPair }[] = [
    { id: 'autodiscover', pair: autodiscoverPointerReg({ version, domain: email.asciiDomain, xmlPath: files.autodiscoverPath }) },
    { id: 'classic-wizard', pair: simplifiedAccountCreationReg(version) },
  ];
  if (withPrf) parts.push({ id: 'import-prf', pair: importPrfReg(version, files.prfPath) });
  return parts;
}

/** The setup and undo snippets for one account, each combined into one file (from `parts` when the caller has them already). */
export function outlookSetupReg(
  account: Account,
  context: Pick<FormatContext, 'outlookFolder' | 'organization' | 'outlookVersion'>,
  withPrf: boolean,
  regParts: readonly { pair: RegPair }[] = outlookRegParts(account, context, withPrf),
): RegPair {
  const version = context.outlookVersion ?? DEFAULT_OUTLOOK_VERSION;
  const { email } = account;
  const files = outlookFiles(account, context);
  const parts = regParts.map((part) => part.pair);
  const office = OFFICE_VERSION_KEY[version];
  return {
    setup: combineReg(
      parts.map((p) => p.setup),
      [`Mail setup for ${email.ascii}, Outlook ${office}. Files expected in ${files.folder}.`],
    ),
    undo: combineReg(
      parts.map((p) => p.undo),
      [`Undoes the mail setup for ${email.ascii}, Outlook ${office}: removes exactly the values it set.`],
    ),
  };
}

/** The `reg` format: the combined setup snippet for the files in the configured folder. */
export function buildRegForAccount(account: Account, context: FormatContext): Buffer {
  const version = context.outlookVersion ?? DEFAULT_OUTLOOK_VERSION;
  return buildReg(outlookSetupReg(account, context, prfPossible(account, version)).setup);
}
