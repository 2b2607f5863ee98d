// Independent XML readers for tests: libxml2's xmllint and Python's xml.etree.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './tmp.js';

export interface EtreeNode {
  /** `{namespace}localName`, as ElementTree names elements. */
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: EtreeNode[];
}

/** Parses XML with Python's xml.etree.ElementTree; returns the element tree as plain data. */
export function etreeParse(xml: string | Buffer): EtreeNode {
  const script = [
    'import sys, json, xml.etree.ElementTree as ET',
    'def conv(e): return {"tag": e.tag, "attrib": dict(e.attrib), "text": (e.text or "").strip(), "children": [conv(c) for c in e]}',
    'print(json.dumps(conv(ET.fromstring(sys.stdin.buffer.read())), ensure_ascii=False))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script], { input: xml, encoding: 'utf8' })) as EtreeNode;
}

/** The first descendant (depth first) whose path of tags ends with the given ones. */
export function etreeFind(node: EtreeNode, ...path: string[]): EtreeNode | undefined {
  return etreeFindAll(node, ...path)[0];
}

export function etreeFindAll(node: EtreeNode, ...path: string[]): EtreeNode[] {
  const found: EtreeNode[] = [];
  const walk = (current: EtreeNode, trail: string[]) => {
    const next = [...trail, current.tag];
    if (next.length >= path.length && path.every((tag, i) => next[next.length - path.length + i] === tag)) found.push(current);
    for (const child of current.children) walk(child, next);
  };
  walk(node, []);
  return found;
}

/** Runs xmllint on the document (with extra arguments such as --relaxng FILE); throws with its output on failure. */
export function xmllint(xml: string | Buffer, args: string[] = []): string {
  const dir = makeTempDir('mailsetup-xmllint-');
  try {
    const file = join(dir.path, 'document.xml');
    writeFileSync(file, xml);
    return execFileSync('xmllint', ['--noout', '--nonet', ...args, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    dir.remove();
  }
}
