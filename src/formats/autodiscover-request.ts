// Autodiscover POX requests ([MS-OXDSCLI] outlook/requestschema/2006, [MS-ASCMD] mobilesync/requestschema/2006), read defensively.
//
// Bodies come from anyone on the internet, so parsing refuses before it works: a size cap, no
// document type declaration at all (that alone rules out external entities and entity-expansion
// bombs such as "billion laughs", which are refused without being expanded), no entity other
// than XML's five predefined ones, and a strict parser that rejects anything not well formed.
import { DOMParser, type Element as XmlElement } from '@xmldom/xmldom';
import { MailsetupError, type Rule } from '../errors.js';
import { AUTODISCOVER_OUTLOOK_RESPONSE_NS } from './autodiscover.js';

export const OUTLOOK_REQUEST_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006';
/** The schema Outlook asks for is the one its answer is written in. */
export const OUTLOOK_RESPONSE_SCHEMA = AUTODISCOVER_OUTLOOK_RESPONSE_NS;
export const MOBILESYNC_REQUEST_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006';
export const MOBILESYNC_RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006';

/** Request bodies are a few hundred bytes; 16 KiB leaves room for odd clients and nothing else. */
export const AUTODISCOVER_REQUEST_MAX_BYTES = 16 * 1024;

export type AutodiscoverFlavor = 'outlook' | 'mobilesync';

export interface AutodiscoverRequest {
  /** Which answer the client wants: Outlook's POX settings or ActiveSync's MobileSync URL. */
  flavor: AutodiscoverFlavor;
  /** As sent, trimmed; the caller validates it as an address. */
  email: string;
  acceptableResponseSchema: string | undefined;
}

const FIELD = 'body';

function rejected(rule: Rule, message: string): MailsetupError {
  return new MailsetupError('INVALID_INPUT', message, { field: FIELD, rule });
}

// Characters XML 1.0 never allows (C0 controls other than tab, LF, CR; lone surrogates; U+FFFE/F).
// eslint-disable-next-line no-control-regex -- the controls are what it finds
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;
const NUMERIC_REFERENCE = /&#(x[0-9a-f]+|[0-9]+);/gi;

/** Schema URIs compared without the scheme: some Microsoft pages print https:// where servers use http://. */
function sameSchema(value: string | undefined, schema: string): boolean {
  if (value === undefined) return false;
  return (
    value
      .trim()
      .replace(/^https?:\/\//i, '')
      .toLowerCase() === schema.replace(/^http:\/\//, '').toLowerCase()
  );
}

function decode(body: Buffer | string): string {
  if (typeof body === 'string') return body;
  if (body.length >= 2 && ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff))) {
    throw rejected('xml-encoding', 'only UTF-8 request bodies are accepted');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw rejected('xml-encoding', 'the body is not valid UTF-8');
  }
}

/** Checks a body before any parser sees it. */
export function screenXml(text: string): void {
  if (text.trim() === '') throw rejected('required', 'an Autodiscover request body is required');
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw rejected('xml-doctype', 'document type declarations and entity declarations are not accepted');
  }
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/i.exec(text.replace(/^\ufeff/, ''))?.[1];
  if (declared !== undefined && !/^(utf-8|utf8|us-ascii)$/i.test(declared)) {
    throw rejected('xml-encoding', `the body declares ${declared}; only UTF-8 is accepted`);
  }
  if (FORBIDDEN_CHARACTERS.test(text)) throw rejected('xml-well-formed', 'the body contains characters XML does not allow');
  for (const match of text.matchAll(NUMERIC_REFERENCE)) {
    const digits = match[1]!;
    const code = digits[0] === 'x' || digits[0] === 'X' ? Number.parseInt(digits.slice(1), 16) : Number.parseInt(digits, 10);
    const allowed =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      (code >= 0x10000 && code <= 0x10ffff);
    if (!allowed) throw rejected('xml-well-formed', `the character reference ${match[0]} is not an XML character`);
  }
}

/** Parses a small XML document strictly; any warning, error or fatal error rejects it. */
export function parseStrictXml(body: Buffer | string, maxBytes = AUTODISCOVER_REQUEST_MAX_BYTES): XmlElement {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size > maxBytes) {
    throw new MailsetupError('PAYLOAD_TOO_LARGE', `the request is ${size} bytes; at most ${maxBytes} are accepted`, { field: FIELD, rule: 'max-size' });
  }
  const text = decode(body);
  screenXml(text);
  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (_level, message) => {
      problem ??= String(message).split('\n')[0];
      throw new Error(problem);
    },
  });
  let root: XmlElement | null = null;
  try {
    root = parser.parseFromString(text.replace(/^\ufeff/, ''), 'text/xml').documentElement;
  } catch {
    // The message collected by onError says what was wrong; the parser's own wrapping adds nothing.
  }
  if (problem !== undefined || !root) throw rejected('xml-well-formed', `not well-formed XML (${problem ?? 'no root element'})`);
  return root;
}

const ELEMENT_NODE = 1;

function children(element: XmlElement, localName: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE && (node as XmlElement).localName === localName) found.push(node as XmlElement);
  }
  return found;
}

function childText(element: XmlElement, localName: string): string | undefined {
  const [first] = children(element, localName);
  return first ? (first.textContent ?? '').trim() : undefined;
}

/**
 * Reads an Autodiscover request. The wanted answer comes from AcceptableResponseSchema; without
 * it, from the request's namespace (a missing namespace is read as Outlook's, as lenient servers do).
 */
export function parseAutodiscoverRequest(body: Buffer | string): AutodiscoverRequest {
  const root = parseStrictXml(body);
  if (root.localName !== 'Autodiscover') throw rejected('autodiscover-request', `the root element is <${root.localName}>, not <Autodiscover>`);
  const namespace = root.namespaceURI ?? undefined;
  const isMobilesync = sameSchema(namespace, MOBILESYNC_REQUEST_SCHEMA);
  if (namespace !== undefined && namespace !== '' && !isMobilesync && !sameSchema(namespace, OUTLOOK_REQUEST_SCHEMA)) {
    throw rejected('request-schema', `the request namespace ${namespace} is neither Outlook's nor ActiveSync's Autodiscover request schema`);
  }
  const [request] = children(root, 'Request');
  if (!request) throw rejected('autodiscover-request', 'the request has no <Request> element');
  const acceptable = childText(request, 'AcceptableResponseSchema') || undefined;
  let flavor: AutodiscoverFlavor;
  if (acceptable === undefined) flavor = isMobilesync ? 'mobilesync' : 'outlook';
  else if (sameSchema(acceptable, OUTLOOK_RESPONSE_SCHEMA)) flavor = 'outlook';
  else if (sameSchema(acceptable, MOBILESYNC_RESPONSE_SCHEMA)) flavor = 'mobilesync';
  else
    throw rejected(
      'response-schema',
      `AcceptableResponseSchema ${acceptable} is not one this service answers (${OUTLOOK_RESPONSE_SCHEMA} or ${MOBILESYNC_RESPONSE_SCHEMA})`,
    );
  const email = childText(request, 'EMailAddress');
  if (!email) {
    throw new MailsetupError('INVALID_INPUT', 'the request names no email address', { field: 'EMailAddress', rule: 'required' });
  }
  return { flavor, email, acceptableResponseSchema: acceptable };
}
