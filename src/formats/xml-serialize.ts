// The one way our xmlbuilder2 documents become text: every text node and attribute value goes
// through the shared text rule, and `&` always comes back as `&`.
//
// xmlbuilder2 (4.x) does not escape an `&` that starts something shaped like a reference
// (`&lt;`, `&#10;`, `&foo;`): typed text such as `x&#10;y` would come back with a line break,
// `&lt;` as `<`, and `&foo;` would make the document not well-formed. Turning every `&` into
// `&amp;` first gives it only `&amp;` to see, which it leaves alone. Whether the library needs
// this is checked once: a version that escapes every `&` itself is not escaped twice.
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { oneLineValue } from './value-guard.js';

const KEEPS_REFERENCES = create().ele('t').txt('&amp;').end({ headless: true }) === '<t>&amp;</t>';

// The parts of the DOM xmlbuilder2 builds on that are used here.
interface DomNode {
  nodeType: number;
  firstChild: DomNode | null;
  nextSibling: DomNode | null;
}
interface DomText extends DomNode {
  data: string;
}
interface DomElement extends DomNode {
  localName: string;
  attributes: ArrayLike<{ name: string; value: string }>;
}

const ELEMENT = 1;
const TEXT = 3;

/** The text checked, and with every `&` as `&amp;` when the library would leave some raw. */
function prepared(text: string, field: string, format: string): string {
  oneLineValue(text, field, format);
  return KEEPS_REFERENCES && text.includes('&') ? text.replaceAll('&', '&amp;') : text;
}

/** Checks and prepares every text and attribute below `node`, named by its element path. */
function prepare(node: DomNode, path: string, format: string): void {
  if (node.nodeType === TEXT) {
    const text = node as DomText;
    const data = prepared(text.data, path, format);
    // Only changed text is written back: the DOM's setter is costly.
    if (data !== text.data) text.data = data;
    return;
  }
  if (node.nodeType === ELEMENT) {
    const element = node as DomElement;
    for (let i = 0; i < element.attributes.length; i++) {
      const attribute = element.attributes[i]!;
      // Namespace declarations are ours, not input.
      if (attribute.name === 'xmlns' || attribute.name.startsWith('xmlns:')) continue;
      const value = prepared(attribute.value, `${path}@${attribute.name}`, format);
      if (value !== attribute.value) attribute.value = value;
    }
  }
  for (let child = node.firstChild; child; child = child.nextSibling) {
    prepare(child, child.nodeType === ELEMENT ? `${path}/${(child as DomElement).localName}` : path, format);
  }
}

/**
 * The document `builder` belongs to, as UTF-8 text (two-space indent, LF, final newline). Call
 * it once per document: it escapes the document's text in place.
 */
export function serializeXml(builder: XMLBuilder, format: string): string {
  const document = builder.doc();
  const root = (document.node as unknown as { documentElement: DomElement }).documentElement;
  prepare(root, root.localName, format);
  return `${document.end({ prettyPrint: true, indent: '  ', newline: '\n' })}\n`;
}
