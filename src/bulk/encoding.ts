// The text encoding of a staff file (WHATWG Encoding Standard labels, as Node's TextDecoder
// knows them). Bytes are never replaced: a file is UTF-8 (or UTF-16 with its byte order mark),
// or the person names its encoding; anything else is refused with the line and the likely one.
import { isAscii, isUtf8 } from 'node:buffer';
import { MailsetupError } from '../errors.js';

export interface Decoding {
  /** The canonical WHATWG name: `utf-8`, `utf-16le`, `windows-1251`. */
  encoding: string;
  /** Said by the person (not read from a byte order mark). */
  explicit: boolean;
}

/** The code pages Excel and older tools write, with what people call them; tried in this order when guessing. */
const LEGACY: readonly { encoding: string; name: string }[] = [
  { encoding: 'windows-1251', name: 'Windows-1251 (Cyrillic)' },
  { encoding: 'koi8-r', name: 'KOI8-R (Cyrillic)' },
  { encoding: 'ibm866', name: 'CP866 (Cyrillic, DOS)' },
  { encoding: 'windows-1252', name: 'Windows-1252 (Western European)' },
  { encoding: 'windows-1250', name: 'Windows-1250 (Central European)' },
  { encoding: 'windows-1257', name: 'Windows-1257 (Baltic)' },
  { encoding: 'windows-1253', name: 'Windows-1253 (Greek)' },
  { encoding: 'windows-1254', name: 'Windows-1254 (Turkish)' },
];

function bomOf(head: Uint8Array): string | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

function canonical(label: string, field: string): string {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    throw new MailsetupError('INVALID_INPUT', `"${label}" is not a known text encoding (for example utf-8, windows-1251, windows-1252, koi8-r)`, {
      field,
      rule: 'known-encoding',
    });
  }
}

export const isUnicode = (encoding: string): boolean => encoding === 'utf-8' || encoding.startsWith('utf-16');

/** The length of `bytes` without a multi-byte sequence cut off at its end (it continues in the next chunk). */
function completeLength(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needs > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** Where the first byte is that does not belong to well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates). */
function firstInvalid(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      const byte = bytes[i + k];
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += length;
  }
  return -1;
}

export interface BadByte {
  byte: number;
  /** The line of the file it is on, from 1. */
  line: number;
}

function newlines(bytes: Uint8Array, end = bytes.length): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}

/** Checks UTF-8 chunk by chunk (a character may span two chunks), counting lines to name a bad byte's. */
export class Utf8Check {
  private carry: Buffer = Buffer.alloc(0);
  private lines = 0;
  /** Some byte was not ASCII (a file that is only ASCII reads the same in every code page). */
  nonAscii = false;

  push(chunk: Buffer): BadByte | undefined {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const complete = completeLength(data);
    const body = data.subarray(0, complete);
    if (!isUtf8(body)) {
      const at = Math.max(0, firstInvalid(body));
      return { byte: body[at]!, line: this.lines + newlines(body, at) + 1 };
    }
    if (!this.nonAscii && !isAscii(body)) this.nonAscii = true;
    this.lines += newlines(body);
    this.carry = Buffer.from(data.subarray(complete));
    return undefined;
  }

  /** A character cut off by the end of the file. */
  end(): BadByte | undefined {
    return this.carry.length > 0 ? { byte: this.carry[0]!, line: this.lines + 1 } : undefined;
  }
}

/** Word shapes real text has: all lower case, all upper case, or a capital first. */
function plausibleCase(word: string): boolean {
  const rest = word.slice(1);
  return word === word.toLowerCase() || word === word.toUpperCase() || (rest === rest.toLowerCase() && word[0] !== word[0]!.toLowerCase());
}

/**
 * How much a decoding reads like names and words: letters in one script per word, in a plausible
 * case shape; control characters and symbols where letters should be count against it. Latin text
 * is mostly ASCII, so a Latin word made mostly of accented letters is the sign of a wrong code page.
 */
function score(text: string): number {
  let total = 0;
  for (const [word] of text.matchAll(/[^\s,;"'\t|()[\]{}:/\\.!?-]+/gu)) {
    if (![...word].some((c) => c > '\x7f')) continue;
    const length = [...word].length;
    const letters = word.match(/\p{L}/gu) ?? [];
    const scripts = new Set(
      letters.map((c) =>
        /\p{Script=Latin}/u.test(c) ? 'Latin' : /\p{Script=Cyrillic}/u.test(c) ? 'Cyrillic' : /\p{Script=Greek}/u.test(c) ? 'Greek' : 'other',
      ),
    );
    if (/[\u0080-\u009f\ufffd]/.test(word) || letters.length < length || scripts.size !== 1 || !plausibleCase(word)) {
      total -= length;
      continue;
    }
    const accented = letters.filter((c) => c > '\x7f').length;
    total += scripts.has('Latin') && accented * 2 > letters.length ? -length : length;
  }
  return total;
}

/** The code page a sample of non-UTF-8 bytes most likely is in, when one reads clearly best. */
export function guessEncoding(sample: Uint8Array): { encoding: string; name: string } | undefined {
  let best: { encoding: string; name: string } | undefined;
  let bestScore = 0;
  for (const candidate of LEGACY) {
    const value = score(new TextDecoder(candidate.encoding).decode(sample));
    if (value > bestScore) {
      best = candidate;
      bestScore = value;
    }
  }
  return best;
}

/** The refusal for bytes that are not UTF-8, naming the line, the byte and (when it can tell) the encoding to give. */
export function notUtf8({ line, byte }: BadByte, sample: Uint8Array, field: string): MailsetupError {
  const guess = guessEncoding(sample);
  const how = field.startsWith('--') ? (encoding: string) => `give ${field} ${encoding}` : (encoding: string) => `choose the encoding ${encoding}`;
  const advice = guess
    ? `it looks like ${guess.name}: save it as UTF-8 (in Excel: "CSV UTF-8"), or ${how(guess.encoding)}`
    : `save it as UTF-8 (in Excel: "CSV UTF-8"), or ${how('NAME')} with the encoding it was saved in`;
  return new MailsetupError('INVALID_INPUT', `staff file line ${line} is not UTF-8 (byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')}); ${advice}`, {
    field,
    rule: 'utf-8',
  });
}

/**
 * The decoding for a file that starts with `head`: a byte order mark decides for UTF-8 and UTF-16,
 * a given encoding for the rest. A given encoding that contradicts the file is refused.
 */
export function chooseDecoding(head: Uint8Array, given: string | undefined, field: string): Decoding {
  const bom = bomOf(head);
  if (given === undefined || given.trim() === '') return { encoding: bom ?? 'utf-8', explicit: false };
  const encoding = canonical(given, field);
  if (bom && bom !== encoding) {
    throw new MailsetupError(
      'INVALID_INPUT',
      `the staff file starts with the byte order mark of ${bom.toUpperCase()}, not ${encoding}; leave the encoding out`,
      {
        field,
        rule: 'encoding-mismatch',
      },
    );
  }
  return { encoding, explicit: true };
}

/** The refusal for a file given as a code page whose bytes are UTF-8 text: reading it so would change its letters. */
export function utf8Given(encoding: string, field: string): MailsetupError {
  return new MailsetupError('INVALID_INPUT', `the staff file is UTF-8 (its letters are valid UTF-8), not ${encoding}; leave the encoding out`, {
    field,
    rule: 'encoding-mismatch',
  });
}

/** The refusal for bytes that the given encoding has no character for. */
export function notInEncoding(encoding: string, line: number | undefined, field: string): MailsetupError {
  const where = line === undefined ? 'the staff file has' : `staff file line ${line} has`;
  return new MailsetupError('INVALID_INPUT', `${where} bytes that are not ${encoding} text; check the encoding`, {
    field,
    rule: 'encoding-invalid',
  });
}
