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

// The digest is asked for as hex: Node makes a hex string from a one-shot hash several times
// faster than a Buffer, and a UUID is hex text anyway.
const VARIANT = '89ab';

export function uuidV5(namespace: string, name: string): string {
  const ns = bytesOfNamespace(namespace);
  const input = Buffer.allocUnsafe(ns.length + Buffer.byteLength(name, 'utf8'));
  input.set(ns);
  input.write(name, ns.length, 'utf8');
  const hex = hash('sha1', input, 'hex');
  // Version 5 in the high nibble of byte 6; variant 10xx in the high bits of byte 8.
  const variant = VARIANT[Number.parseInt(hex[16]!, 16) & 0x3]!;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
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
