// Windows folder paths for the Outlook setup pack: where its files are copied and the .reg files point.

/** Characters Windows refuses in a file or folder name, plus controls. */
// eslint-disable-next-line no-control-regex -- the controls are among what it finds
const FORBIDDEN_CHARACTER = /[<>:"/\\|?*\u0000-\u001f\u007f]/;
const FORBIDDEN_IN_NAME = new RegExp(FORBIDDEN_CHARACTER.source, 'g');
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** One folder name from free text (an organisation name): forbidden characters become `_`. */
export function windowsFolderName(text: string): string {
  const cleaned = text
    .normalize('NFC')
    .replace(FORBIDDEN_IN_NAME, '_')
    .replace(/\s+/g, ' ')
    .trim()
    // Windows drops trailing dots and spaces, which would make the path point elsewhere.
    .replace(/[. ]+$/, '')
    .slice(0, 64)
    .trim();
  if (cleaned === '' || /^_+$/.test(cleaned)) return 'mailsetup';
  return RESERVED_NAMES.test(cleaned) ? `${cleaned}_` : cleaned;
}

/** `C:\ProgramData\<organisation>\mailsetup`: per machine, readable by every user, not roaming. */
export function defaultOutlookFolder(organizationName: string): string {
  return `C:\\ProgramData\\${windowsFolderName(organizationName)}\\mailsetup`;
}

/**
 * Why a folder cannot be used, or undefined when it can: an absolute drive (`C:\…`) or UNC
 * (`\\server\share\…`) path whose parts are valid Windows names.
 */
export function windowsFolderProblem(path: string): string | undefined {
  const drive = /^[A-Za-z]:\\/.exec(path);
  const unc = /^\\\\[^\\]+\\[^\\]+/.exec(path);
  if (!drive && !unc) return 'an absolute Windows folder such as C:\\ProgramData\\Example\\mailsetup';
  const rest = drive ? path.slice(3) : path.slice(2);
  const parts = rest.split('\\').filter((part, index, all) => !(part === '' && index === all.length - 1));
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') return 'a folder path without empty, "." or ".." parts';
    if (FORBIDDEN_CHARACTER.test(part)) return 'a folder path without < > : " / | ? * or control characters';
    if (/[. ]$/.test(part)) return 'folder names that do not end with a dot or a space';
  }
  if (path.length > 200) return 'a folder path of at most 200 characters';
  return undefined;
}

/** The folder without a trailing backslash, so file names can be appended with one. */
export function trimFolder(path: string): string {
  return path.replace(/\\+$/, '');
}
