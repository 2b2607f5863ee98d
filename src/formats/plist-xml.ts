// Apple XML property list writer (PropertyList-1.0 DTD), for the values profiles use.
// A direct writer: the generic builder it replaces cost as much as the profile's signature.
// Text is escaped here (`&` always, so `&lt;` stays text), and a string XML 1.0 cannot carry
// (a control character, U+FFFE, U+FFFF, an unpaired surrogate) is refused, never written.
import { MailsetupError } from '../errors.js';
import { isXmlText } from '../model/rules.js';

/** What a property list holds (`null` only so that writing it can be refused, as plist's parser types it). */
export type PlistValue = string | number | boolean | Date | Uint8Array | PlistValue[] | { [key: string]: PlistValue } | null;

export interface PlistXmlOptions {
  /** The field to name when a string cannot be written, from its dict key and its path. */
  fieldOf?: (key: string, path: string) => string;
}

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

function escapeText(text: string): string {
  return /[&<>\r]/.test(text) ? text.replace(/[&<>\r]/g, (c) => ESCAPES[c]!) : text;
}

function xmlText(text: string, key: string, path: string, options: PlistXmlOptions): string {
  if (!isXmlText(text)) {
    const field = options.fieldOf?.(key, path) ?? path;
    throw new MailsetupError(
      'INVALID_INPUT',
      'contains a character an Apple profile cannot carry (a control character, U+FFFE, U+FFFF or an unpaired surrogate)',
      {
        field,
        rule: 'xml-character',
      },
    );
  }
  return escapeText(text);
}

function isoDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Writes one string (a dict key or a value) as XML text, `key` and `path` naming where it is. */
type TextWriter = (text: string, key: string, path: string) => string;

function write(value: PlistValue, indent: string, out: string[], path: string, key: string, text: TextWriter): void {
  if (typeof value === 'string') {
    out.push(`${indent}<string>${text(value, key, path)}</string>`);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`a property list cannot hold ${value}`);
    out.push(Number.isInteger(value) ? `${indent}<integer>${value}</integer>` : `${indent}<real>${value}</real>`);
  } else if (typeof value === 'boolean') {
    out.push(`${indent}<${value}/>`);
  } else if (value instanceof Date) {
    out.push(`${indent}<date>${isoDate(value)}</date>`);
  } else if (value instanceof Uint8Array) {
    out.push(`${indent}<data>${Buffer.from(value).toString('base64')}</data>`);
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push(`${indent}<array/>`);
      return;
    }
    out.push(`${indent}<array>`);
    value.forEach((item, i) => write(item, `${indent}  `, out, `${path}[${i}]`, key, text));
    out.push(`${indent}</array>`);
  } else if (value === null) {
    throw new TypeError('a property list cannot hold null');
  } else {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) {
      out.push(`${indent}<dict/>`);
      return;
    }
    out.push(`${indent}<dict>`);
    for (const [name, item] of entries) {
      const itemPath = path ? `${path}.${name}` : name;
      out.push(`${indent}  <key>${text(name, name, itemPath)}</key>`);
      write(item, `${indent}  `, out, itemPath, name, text);
    }
    out.push(`${indent}</dict>`);
  }
}

/** The XML text of a property list, two-space indented, as Apple's tools and `plist` write it. */
export function buildPlistXml(value: PlistValue, options: PlistXmlOptions = {}): string {
  return document(value, (text, key, path) => xmlText(text, key, path, options));
}

function document(value: PlistValue, text: TextWriter): string {
  const out: string[] = [];
  write(value, '  ', out, '', '', text);
  return `${HEADER}${out.join('\n')}\n</plist>`;
}

// Templates: one property list written once for many people, their values filled in after.
//
// A hole is text no written string can contain: U+FFFF and U+FFFE are refused in every string
// (isXmlText), so neither a value nor a key that writes can be mistaken for one. A hole stands
// for a whole string or a part of one (`<identifier>.caldav`).

const HOLE = /\uffff(\d+)\ufffe/g;

/** The text that stands for hole `n` in a value given to `compilePlistTemplate`. */
export const plistHole = (n: number) => `\uffff${n}\ufffe`;

interface HoleUse {
  hole: number;
  /** Where the string holding the hole is, for the refusal a bad value gets. */
  key: string;
  path: string;
}

export interface PlistTemplate {
  /** The XML around the holes, UTF-8: one more part than holes used. */
  parts: readonly Buffer[];
  uses: readonly HoleUse[];
  /** Bytes of all parts. */
  length: number;
}

/**
 * Writes a property list whose strings may hold holes. Every other character is checked and
 * escaped as `buildPlistXml` does; a value it refuses makes this throw the same refusal.
 */
export function compilePlistTemplate(value: PlistValue, options: PlistXmlOptions = {}): PlistTemplate {
  const uses: HoleUse[] = [];
  const xml = document(value, (text, key, path) => {
    let written = '';
    let last = 0;
    for (const match of text.matchAll(HOLE)) {
      written += `${xmlText(text.slice(last, match.index), key, path, options)}${match[0]}`;
      uses.push({ hole: Number(match[1]), key, path });
      last = match.index + match[0].length;
    }
    return last === 0 ? xmlText(text, key, path, options) : written + xmlText(text.slice(last), key, path, options);
  });
  // Each value's text was escaped on its own: escaping works character by character, and the
  // check refuses a lone surrogate in any part, so the parts joined are what one string gives.
  const parts = xml
    .split(HOLE)
    .filter((_, i) => i % 2 === 0)
    .map((part) => Buffer.from(part, 'utf8'));
  return { parts, uses, length: parts.reduce((sum, part) => sum + part.length, 0) };
}

/**
 * The UTF-8 bytes of the XML `buildPlistXml` writes for the template's value with `valueOf(n)` in
 * place of hole n: the same bytes, and the same refusal (for the first bad value in document order).
 */
export function fillPlistTemplate(template: PlistTemplate, valueOf: (hole: number) => string, options: PlistXmlOptions = {}): Buffer {
  const { parts, uses } = template;
  const texts: string[] = [];
  // A value used in several places is checked where it first appears, as the writer would refuse it there.
  const written = new Map<number, string>();
  let length = template.length;
  for (const use of uses) {
    let text = written.get(use.hole);
    if (text === undefined) {
      text = xmlText(valueOf(use.hole), use.key, use.path, options);
      written.set(use.hole, text);
    }
    texts.push(text);
    length += Buffer.byteLength(text, 'utf8');
  }
  // Written into one buffer: the parts are bytes already, only the values are encoded.
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    out.set(parts[i]!, at);
    at += parts[i]!.length;
    at += out.write(texts[i]!, at, 'utf8');
  }
  out.set(parts[texts.length]!, at);
  return out;
}
