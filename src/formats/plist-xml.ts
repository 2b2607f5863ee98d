// Apple XML property list writer (PropertyList-1.0 DTD), for the values profiles use.
// A direct writer: the generic builder it replaces cost as much as the profile's signature.
import type { PlistValue } from 'plist';

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
  '<plist version="1.0">\n';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };

function escapeText(text: string): string {
  return /[&<>\r]/.test(text) ? text.replace(/[&<>\r]/g, (c) => ESCAPES[c]!) : text;
}

function isoDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function write(value: PlistValue, indent: string, out: string[]): void {
  if (typeof value === 'string') {
    out.push(`${indent}<string>${escapeText(value)}</string>`);
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
    for (const item of value) write(item, `${indent}  `, out);
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
    for (const [key, item] of entries) {
      out.push(`${indent}  <key>${escapeText(key)}</key>`);
      write(item, `${indent}  `, out);
    }
    out.push(`${indent}</dict>`);
  }
}

/** The XML text of a property list, two-space indented, as Apple's tools and `plist` write it. */
export function buildPlistXml(value: PlistValue): string {
  const out: string[] = [];
  write(value, '  ', out);
  return `${HEADER}${out.join('\n')}\n</plist>`;
}
