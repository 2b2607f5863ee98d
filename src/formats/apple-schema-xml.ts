// Apple XML property list (PropertyList-1.0.dtd), read with its types intact so the schema check
// can tell `<real>` from `<integer>`, which a plain plist parse turns into the same number.
import { DOMParser } from '@xmldom/xmldom';
import { MailsetupError } from '../errors.js';
import { PlistReal, validateProfile, type Problem } from './apple-schema.js';
import type { AppleOs, AppleSchemas } from './apple-schema-types.js';

const ELEMENT = 1;

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
}

function invalid(message: string): MailsetupError {
  return new MailsetupError('INVALID_INPUT', `not an Apple property list: ${message}`, { field: 'profile', rule: 'plist-xml' });
}

function elements(node: DomNode): DomNode[] {
  const out: DomNode[] = [];
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === ELEMENT) out.push(child);
    else if (child.nodeType === 3 && (child.textContent ?? '').trim() !== '') throw invalid(`stray text inside <${node.nodeName}>`);
  }
  return out;
}

function value(node: DomNode): unknown {
  const text = node.textContent ?? '';
  switch (node.nodeName) {
    case 'string':
      return text;
    case 'integer': {
      if (!/^\s*[+-]?(\d+|0x[0-9a-f]+)\s*$/i.test(text)) throw invalid(`<integer>${text}</integer> is not a whole number`);
      const big = BigInt(text.trim().replace(/^\+/, ''));
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    case 'real': {
      const n = Number(text.trim());
      if (text.trim() === '' || Number.isNaN(n)) throw invalid(`<real>${text}</real> is not a number`);
      return new PlistReal(n);
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'date': {
      const date = new Date(text.trim());
      if (Number.isNaN(date.getTime())) throw invalid(`<date>${text}</date> is not a date`);
      return date;
    }
    case 'data':
      return Buffer.from(text.replace(/\s+/g, ''), 'base64');
    case 'array':
      return elements(node).map(value);
    case 'dict': {
      const children = elements(node);
      const dict: Record<string, unknown> = {};
      for (let i = 0; i < children.length; i += 2) {
        const key = children[i]!;
        const item = children[i + 1];
        if (key.nodeName !== 'key') throw invalid(`<${key.nodeName}> where a <key> belongs`);
        if (!item) throw invalid(`<key>${key.textContent}</key> has no value`);
        const name = key.textContent ?? '';
        if (Object.hasOwn(dict, name)) throw invalid(`<key>${name}</key> appears twice in one dictionary`);
        dict[name] = value(item);
      }
      return dict;
    }
    default:
      throw invalid(`<${node.nodeName}> is not a property list element`);
  }
}

/** Parses XML plist text; reals come back as PlistReal, integers beyond 2^53 as bigint. */
export function readPlistXml(xml: string | Buffer): unknown {
  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (level, message) => {
      if (level === 'warning') return;
      problem ??= String(message).split('\n')[0];
      throw new Error(problem);
    },
  });
  let root: DomNode | null = null;
  try {
    const text = (typeof xml === 'string' ? xml : xml.toString('utf8')).replace(/^\ufeff/, '');
    root = parser.parseFromString(text, 'text/xml').documentElement;
  } catch {
    // onError has kept the parser's own first message; its wrapping adds nothing.
  }
  if (problem !== undefined || !root) throw invalid(`not well-formed XML (${problem ?? 'no root element'})`);
  if (root.nodeName !== 'plist') throw invalid(`the root element is <${root.nodeName}>, not <plist>`);
  const [top, ...rest] = elements(root);
  if (!top || rest.length > 0) throw invalid('<plist> must hold exactly one value');
  return value(top);
}

/** Reads XML plist text and checks it as a configuration profile (see validateProfile). */
export function validateProfileXml(xml: string | Buffer, os: AppleOs, schemas?: AppleSchemas): Problem[] {
  return validateProfile(readPlistXml(xml), os, schemas);
}
