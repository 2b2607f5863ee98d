// Deterministic identifiers (RFC 9562 UUIDv5): the same organisation, person and payload always
// get the same PayloadIdentifier and PayloadUUID, so reinstalling replaces instead of adding.
import { hash } from 'node:crypto';

/** The namespace every organisation namespace is derived from (a fixed, random UUID). */
const MAILSETUP_NAMESPACE = '6f1c0c56-3f5e-4b8e-9d0a-2f8a5d4c7e31';

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** Namespaces in use are few (the fixed one and one per organisation): their bytes are kept. */
const namespaceBytes = new Map<string, Buffer>();

function bytesOfNamespace(namespace: string): Buffer {
  let bytes = namespaceBytes.get(namespace);
  if (bytes === undefined) {
    bytes = uuidBytes(namespace);
    if (namespaceBytes.size < 64) namespaceBytes.set(namespace, bytes);
  }
  return bytes;
}

// Upper-case hex of each byte value: a UUID is 16 table look-ups.
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0').toUpperCase());

export function uuidV5(namespace: string, name: string): string {
  const ns = bytesOfNamespace(namespace);
  const input = Buffer.allocUnsafe(ns.length + Buffer.byteLength(name, 'utf8'));
  input.set(ns);
  input.write(name, ns.length, 'utf8');
  const digest = hash('sha1', input, 'buffer');
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const h = (from: number, to: number) => {
    let out = '';
    for (let i = from; i < to; i++) out += HEX[digest[i]!]!;
    return out;
  };
  return `${h(0, 4)}-${h(4, 6)}-${h(6, 8)}-${h(8, 10)}-${h(10, 16)}`;
}

/** The UUID namespace of one organisation, from its reverse-DNS identifier. */
export function organizationNamespace(organizationIdentifier: string): string {
  const key = organizationIdentifier.toLowerCase();
  let namespace = namespaces.get(key);
  if (namespace === undefined) {
    namespace = uuidV5(MAILSETUP_NAMESPACE, key);
    if (namespaces.size < 64) namespaces.set(key, namespace);
  }
  return namespace;
}

/** Organisations are few; their namespaces are computed once. */
const namespaces = new Map<string, string>();
