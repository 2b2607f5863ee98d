// Apple XML property list writer (PropertyList-1.0 DTD), for the values profiles use.
// A direct writer: the generic builder it replaces cost as much as the profile's signature.
// Text is escaped here (`&` always, so `&lt;` stays text), and a string XML 1.0 cannot carry
// (a control character, U+FFFE, U+FFFF, an unpaired surrogate) is refused, never written.
import type { PlistValue } from 'plist';
import { MailsetupError } from '../errors.js';
import { isXmlText } from '../model/rules.js';

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

function write(value: PlistValue, indent: string, out: string[], path: string, key: string, options: PlistXmlOptions): void {
  if (typeof value === 'string') {
    out.push(`${indent}<string>${xmlText(value, key, path, options)}</string>`);
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
    value.forEach((item, i) => write(item, `${indent}  `, out, `${path}[${i}]`, key, options));
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
      out.push(`${indent}  <key>${xmlText(name, name, itemPath, options)}</key>`);
      write(item, `${indent}  `, out, itemPath, name, options);
    }
    out.push(`${indent}</dict>`);
  }
}

/** The XML text of a property list, two-space indented, as Apple's tools and `plist` write it. */
export function buildPlistXml(value: PlistValue, options: PlistXmlOptions = {}): string {
  const out: string[] = [];
  write(value, '  ', out, '', '', options);
  return `${HEADER}${out.join('\n')}\n</plist>`;
}
