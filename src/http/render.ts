// A small mustache-like renderer for the page templates in templates/pages/. Every value is
// HTML-escaped unless the template asks for raw output with triple braces, which pages use only
// for markup we generate ourselves (the QR code's SVG).
//
//   {{name}} {{a.b}} {{.}}      escaped value from the view (nearest enclosing context first)
//   {{{name}}}                  raw value
//   {{#name}}…{{/name}}         list: once per item; object: with it as context; true: once
//   {{^name}}…{{/name}}         when name is missing, false or an empty list
//   {{> partial}}               templates/pages/partials/partial.html
//   {{t key.name}}              the text for key.name in the page's language; its {placeholders}
//                               are filled from the view, and the result is escaped too
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR, translator } from '../i18n.js';
import type { Language } from '../model/provider.js';

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; name: string; raw: boolean }
  | { kind: 'text-key'; key: string }
  | { kind: 'partial'; name: string }
  | { kind: 'section'; name: string; inverted: boolean; children: Node[] };

export const PAGES_DIR = join(TEMPLATES_DIR, 'pages');

const TAG = /\{\{(\{)?\s*([#^/>]|t\s)?\s*([\w.-]+|\.)\s*\}?\}\}/g;

export function compile(source: string, name = 'template'): Node[] {
  const root: Node[] = [];
  const stack: { name: string; children: Node[] }[] = [{ name: '', children: root }];
  let last = 0;
  for (const match of source.matchAll(TAG)) {
    const [whole, triple, sigil, ident = ''] = match;
    const top = stack[stack.length - 1]!;
    if (match.index > last) top.children.push({ kind: 'text', text: source.slice(last, match.index) });
    last = match.index + whole.length;
    if (triple) top.children.push({ kind: 'value', name: ident, raw: true });
    else if (sigil === '#' || sigil === '^') {
      const section: Node = { kind: 'section', name: ident, inverted: sigil === '^', children: [] };
      top.children.push(section);
      stack.push({ name: ident, children: section.children });
    } else if (sigil === '/') {
      if (top.name !== ident || stack.length === 1) throw new SyntaxError(`${name}: {{/${ident}}} closes ${top.name ? `{{#${top.name}}}` : 'nothing'}`);
      stack.pop();
    } else if (sigil === '>') top.children.push({ kind: 'partial', name: ident });
    else if (sigil?.startsWith('t')) top.children.push({ kind: 'text-key', key: ident });
    else top.children.push({ kind: 'value', name: ident, raw: false });
  }
  if (stack.length > 1) throw new SyntaxError(`${name}: {{#${stack[stack.length - 1]!.name}}} is never closed`);
  if (last < source.length) root.push({ kind: 'text', text: source.slice(last) });
  return root;
}

// Every attribute in our templates is quoted, so these five (and the backtick) are enough.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any value is shown as String() shows it (numbers, URLs, dates)
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function lookup(stack: readonly unknown[], name: string): unknown {
  if (name === '.') return stack[stack.length - 1];
  const [head = '', ...rest] = name.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    const scope = stack[i];
    if (scope !== null && typeof scope === 'object' && Object.hasOwn(scope, head)) {
      return rest.reduce<unknown>(
        (value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
        (scope as Record<string, unknown>)[head],
      );
    }
  }
  return undefined;
}

function scalar(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a view's value is shown as String() shows it, as Mustache does
  return value === undefined || value === null || value === false ? '' : String(value);
}

export interface Renderer {
  render(template: string, view: object, language: Language): string;
}

/** Loads templates from a folder (once each) and renders them. */
export function createRenderer(dir: string = PAGES_DIR): Renderer {
  const cache = new Map<string, Node[]>();
  const load = (name: string): Node[] => {
    let nodes = cache.get(name);
    if (!nodes) {
      if (!/^[\w/-]+$/.test(name)) throw new RangeError(`bad template name ${name}`);
      nodes = compile(readFileSync(join(dir, `${name}.html`), 'utf8'), name);
      cache.set(name, nodes);
    }
    return nodes;
  };
  const run = (nodes: Node[], stack: unknown[], t: ReturnType<typeof translator>): string => {
    let out = '';
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out += node.text;
          break;
        case 'value': {
          const text = scalar(lookup(stack, node.name));
          out += node.raw ? text : escapeHtml(text);
          break;
        }
        case 'text-key':
          out += escapeHtml(
            t(node.key).replace(/\{(\w+)\}/g, (match, name: string) => {
              const value = lookup(stack, name);
              return value === undefined ? match : scalar(value);
            }),
          );
          break;
        case 'partial':
          out += run(load(`partials/${node.name}`), stack, t);
          break;
        case 'section': {
          const value = lookup(stack, node.name);
          const empty = value === undefined || value === null || value === false || value === '' || value === 0 || (Array.isArray(value) && value.length === 0);
          if (node.inverted) {
            if (empty) out += run(node.children, stack, t);
          } else if (!empty) {
            if (Array.isArray(value)) for (const item of value) out += run(node.children, [...stack, item], t);
            else out += run(node.children, value === true ? stack : [...stack, value], t);
          }
          break;
        }
      }
    }
    return out;
  };
  return {
    render(template, view, language) {
      return run(load(template), [view], translator(language));
    },
  };
}
