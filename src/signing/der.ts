// ASN.1 DER (ITU-T X.690) reading and writing, just enough for X.509 details, PKCS#12, the
// development certificates and the CMS SignedData that cms.ts writes.

export interface DerNode {
  /** The identifier byte as written (class, constructed bit and tag number). */
  tag: number;
  /** The whole element: identifier, length and content. */
  bytes: Buffer;
  content: Buffer;
  /** Parsed children of a constructed element. */
  children: DerNode[];
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  BMP_STRING: 0x1e,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag [n]: constructed for EXPLICIT tagging and constructed IMPLICIT types. */
export const contextTag = (n: number, constructed = true) => 0x80 | (constructed ? 0x20 : 0) | n;

class DerError extends Error {}

function readOne(data: Buffer, offset: number, depth: number): DerNode {
  if (depth > 64) throw new DerError('ASN.1 nesting too deep');
  if (offset + 2 > data.length) throw new DerError('ASN.1 element truncated');
  const tag = data[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte ASN.1 tags are not supported');
  let length = data[offset + 1]!;
  let header = 2;
  if (length === 0x80) throw new DerError('indefinite ASN.1 lengths are not DER');
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 4 || offset + 2 + count > data.length) throw new DerError('ASN.1 length invalid');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + data[offset + 2 + i]!;
    header += count;
  }
  const end = offset + header + length;
  if (end > data.length) throw new DerError('ASN.1 element truncated');
  const content = data.subarray(offset + header, end);
  const children: DerNode[] = [];
  if (tag & 0x20) {
    let at = 0;
    while (at < content.length) {
      const child = readOne(content, at, depth + 1);
      children.push(child);
      at += child.bytes.length;
    }
  }
  return { tag, bytes: data.subarray(offset, end), content, children };
}

/** Parses one DER element that must fill `data` exactly. Throws a plain Error on malformed input. */
export function readDer(data: Buffer): DerNode {
  const node = readOne(data, 0, 0);
  if (node.bytes.length !== data.length) throw new DerError('trailing bytes after ASN.1 element');
  return node;
}

export function child(node: DerNode, index: number, tag?: number): DerNode {
  const found = node.children[index];
  if (!found || (tag !== undefined && found.tag !== tag)) throw new DerError(`unexpected ASN.1 structure (element ${index})`);
  return found;
}

export function decodeOid(node: DerNode): string {
  const bytes = node.content;
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

export function decodeInteger(node: DerNode): bigint {
  if (node.content.length === 0) return 0n;
  let value = BigInt(`0x${node.content.toString('hex')}`);
  if (node.content[0]! & 0x80) value -= 1n << BigInt(node.content.length * 8);
  return value;
}

// Writing.

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function encode(tag: number, ...content: Buffer[]): Buffer {
  const length = content.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(length), ...content]);
}

/** An element still to be written: its tag and its content, encoded bytes or further elements. */
export interface DerElement {
  tag: number;
  content: DerPart[];
  /** Its content's length, once measured (`encodeNested` measures each element once: an element is not changed after it is written). */
  measured?: number;
}
export type DerPart = Buffer | DerElement;

/** Bytes of the length field for `length` content bytes (X.690 §8.1.3). */
function lengthSize(length: number): number {
  let size = 1;
  if (length >= 0x80) for (let n = length; n > 0; n = Math.floor(n / 256)) size++;
  return size;
}

function contentLength(element: DerElement): number {
  if (element.measured !== undefined) return element.measured;
  let length = 0;
  for (const part of element.content) length += Buffer.isBuffer(part) ? part.length : elementLength(part);
  element.measured = length;
  return length;
}

function elementLength(element: DerElement): number {
  const length = contentLength(element);
  return 1 + lengthSize(length) + length;
}

function writeElement(element: DerElement, out: Buffer, offset: number): number {
  const length = contentLength(element);
  out[offset++] = element.tag;
  const size = lengthSize(length);
  if (size === 1) out[offset++] = length;
  else {
    out[offset++] = 0x80 | (size - 1);
    for (let i = size - 2; i >= 0; i--) out[offset++] = Math.floor(length / 256 ** i) & 0xff;
  }
  for (const part of element.content) {
    if (Buffer.isBuffer(part)) {
      out.set(part, offset);
      offset += part.length;
    } else offset = writeElement(part, out, offset);
  }
  return offset;
}

/**
 * The bytes of nested elements, written into one buffer: what `encode` gives for the same
 * nesting, without copying the (large) content again at every level.
 */
export function encodeNested(element: DerElement): Buffer {
  const out = Buffer.allocUnsafe(elementLength(element));
  writeElement(element, out, 0);
  return out;
}

export const sequence = (...items: Buffer[]) => encode(TAG.SEQUENCE, ...items);

/** A SET OF in DER order: elements sorted by their encodings. */
export const set = (...items: Buffer[]) => encode(TAG.SET, ...[...items].sort((a, b) => Buffer.compare(a, b)));

export function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const group = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) group.unshift((n & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return encode(TAG.OID, Buffer.from(bytes));
}

/** A non-negative INTEGER from big-endian magnitude bytes (a sign byte is added when needed). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return encode(TAG.INTEGER, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function integer(value: number): Buffer {
  const hex = value.toString(16);
  return unsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}
export const octetString = (data: Buffer) => encode(TAG.OCTET_STRING, data);
export const bitString = (data: Buffer) => encode(TAG.BIT_STRING, Buffer.from([0]), data);
export const utf8String = (text: string) => encode(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
export const boolean = (value: boolean) => encode(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0]));
export const nullValue = () => Buffer.from([TAG.NULL, 0]);
export const explicit = (n: number, ...content: Buffer[]) => encode(contextTag(n), ...content);

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return encode(TAG.UTC_TIME, Buffer.from(digits.slice(2), 'latin1'));
  return encode(TAG.GENERALIZED_TIME, Buffer.from(digits, 'latin1'));
}
