// Deterministic identifiers (RFC 9562 UUIDv5): the same organisation, person and payload always
// get the same PayloadIdentifier and PayloadUUID, so reinstalling replaces instead of adding.
import { createHash } from 'node:crypto';

/** The namespace every organisation namespace is derived from (a fixed, random UUID). */
const MAILSETUP_NAMESPACE = '6f1c0c56-3f5e-4b8e-9d0a-2f8a5d4c7e31';

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
