// PKCS #12 (RFC 7292) reading: the private key and certificates of a .p12/.pfx file. Handles
// the PBES2/PBKDF2/AES files OpenSSL 3 writes by default and the older SHA-1/3DES ones.
import { createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { child, decodeInteger, decodeOid, readDer, TAG, type DerNode } from './der.js';

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  pbeSha1Rc2_40: '1.2.840.113549.1.12.1.6',
  pbeSha1Rc2_128: '1.2.840.113549.1.12.1.5',
} as const;

const HASHES: Record<string, { name: string; block: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', block: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', block: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', block: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', block: 128 },
};

const HMAC_PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** Why a PKCS #12 file could not be read; `reason` lets callers word the error. */
export class Pkcs12Error extends Error {
  constructor(
    readonly reason: 'wrong-password' | 'unsupported' | 'malformed' | 'no-key',
    message: string,
  ) {
    super(message);
  }
}

export interface Pkcs12Contents {
  key: KeyObject;
  /** DER certificates in file order. */
  certificates: Buffer[];
}

/** The password as PKCS #12 wants it for its own KDF: UTF-16BE with a terminating zero. */
function bmpPassword(password: string): Buffer {
  const le = Buffer.from(`${password}\0`, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return le;
}

/** RFC 7292 Appendix B.2 key derivation (ID 1 key, 2 IV, 3 MAC key). */
function pkcs12Kdf(hash: { name: string; block: number }, password: Buffer, salt: Buffer, id: number, iterations: number, length: number): Buffer {
  const v = hash.block;
  const fill = (data: Buffer) => {
    const out = Buffer.alloc(data.length === 0 ? 0 : v * Math.ceil(data.length / v));
    for (let i = 0; i < out.length; i++) out[i] = data[i % data.length]!;
    return out;
  };
  const d = Buffer.alloc(v, id);
  const input = Buffer.concat([fill(salt), fill(password)]);
  const output: Buffer[] = [];
  let produced = 0;
  while (produced < length) {
    let a = createHash(hash.name).update(d).update(input).digest();
    for (let i = 1; i < iterations; i++) a = createHash(hash.name).update(a).digest();
    output.push(a);
    produced += a.length;
    const b = fill(a);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[j + k]! + b[k]! + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(output).subarray(0, length);
}

function decrypt(algorithm: DerNode, encrypted: Buffer, password: string): Buffer {
  const oid = decodeOid(child(algorithm, 0, TAG.OID));
  const params = child(algorithm, 1, TAG.SEQUENCE);
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (oid === OIDS.pbes2) {
    const kdf = child(params, 0, TAG.SEQUENCE);
    const scheme = child(params, 1, TAG.SEQUENCE);
    if (decodeOid(child(kdf, 0, TAG.OID)) !== OIDS.pbkdf2) throw new Pkcs12Error('unsupported', 'the file uses a key derivation other than PBKDF2');
    const kdfParams = child(kdf, 1, TAG.SEQUENCE);
    const salt = child(kdfParams, 0, TAG.OCTET_STRING).content;
    const iterations = Number(decodeInteger(child(kdfParams, 1, TAG.INTEGER)));
    const prfNode = kdfParams.children.find((node) => node.tag === TAG.SEQUENCE);
    const prf = prfNode ? HMAC_PRFS[decodeOid(child(prfNode, 0, TAG.OID))] : 'sha1';
    const spec = CIPHERS[decodeOid(child(scheme, 0, TAG.OID))];
    if (!prf || !spec) throw new Pkcs12Error('unsupported', 'the file is encrypted with an algorithm mailsetup does not read');
    cipher = spec.name;
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, spec.keyLength, prf);
    iv = child(scheme, 1, TAG.OCTET_STRING).content;
  } else if (oid === OIDS.pbeSha1TripleDes) {
    const salt = child(params, 0, TAG.OCTET_STRING).content;
    const iterations = Number(decodeInteger(child(params, 1, TAG.INTEGER)));
    const sha1 = HASHES['1.3.14.3.2.26']!;
    cipher = 'des-ede3-cbc';
    key = pkcs12Kdf(sha1, bmpPassword(password), salt, 1, iterations, 24);
    iv = pkcs12Kdf(sha1, bmpPassword(password), salt, 2, iterations, 8);
  } else if (oid === OIDS.pbeSha1Rc2_40 || oid === OIDS.pbeSha1Rc2_128) {
    throw new Pkcs12Error(
      'unsupported',
      'the file uses the legacy RC2 encryption; export it again with a current OpenSSL (openssl pkcs12 -export, AES by default)',
    );
  } else {
    throw new Pkcs12Error('unsupported', `the file is encrypted with an algorithm mailsetup does not read (${oid})`);
  }
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    throw new Pkcs12Error('wrong-password', 'the passphrase is wrong (the file cannot be decrypted)');
  }
}

function verifyMac(pfx: DerNode, authSafe: Buffer, password: string): void {
  const macData = pfx.children[2];
  if (!macData) return; // Unprotected files exist (public-key integrity); nothing to check.
  const digestInfo = child(macData, 0, TAG.SEQUENCE);
  const hashOid = decodeOid(child(child(digestInfo, 0, TAG.SEQUENCE), 0, TAG.OID));
  const hash = HASHES[hashOid];
  if (!hash) throw new Pkcs12Error('unsupported', `the file's integrity check uses an algorithm mailsetup does not read (${hashOid})`);
  const expected = child(digestInfo, 1, TAG.OCTET_STRING).content;
  const salt = child(macData, 1, TAG.OCTET_STRING).content;
  const iterations = macData.children[2] ? Number(decodeInteger(macData.children[2])) : 1;
  const macKey = pkcs12Kdf(hash, bmpPassword(password), salt, 3, iterations, createHash(hash.name).digest().length);
  const actual = createHmac(hash.name, macKey).update(authSafe).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new Pkcs12Error('wrong-password', "the passphrase is wrong (the file's integrity check fails with it)");
  }
}

function safeContents(contentInfo: DerNode, password: string): DerNode[] {
  const type = decodeOid(child(contentInfo, 0, TAG.OID));
  const wrapped = child(child(contentInfo, 1), 0);
  if (type === OIDS.data) return readDer(wrapped.content).children;
  if (type === OIDS.encryptedData) {
    const encryptedContentInfo = child(wrapped, 1, TAG.SEQUENCE);
    const algorithm = child(encryptedContentInfo, 1, TAG.SEQUENCE);
    const encrypted = encryptedContentInfo.children[2];
    if (!encrypted) return [];
    // [0] IMPLICIT OCTET STRING, primitive or (BER) constructed.
    const bytes = encrypted.children.length > 0 ? Buffer.concat(encrypted.children.map((c) => c.content)) : encrypted.content;
    return readDer(decrypt(algorithm, bytes, password)).children;
  }
  return [];
}

/** Reads a PKCS #12 file; throws Pkcs12Error saying what is wrong. */
export function readPkcs12(data: Buffer, password: string): Pkcs12Contents {
  let pfx: DerNode;
  let authSafe: Buffer;
  try {
    pfx = readDer(data);
    const authSafeInfo = child(pfx, 1, TAG.SEQUENCE);
    if (decodeOid(child(authSafeInfo, 0, TAG.OID)) !== OIDS.data)
      throw new Pkcs12Error('unsupported', 'the file is protected with public keys, not a passphrase');
    authSafe = child(child(authSafeInfo, 1), 0, TAG.OCTET_STRING).content;
  } catch (error) {
    if (error instanceof Pkcs12Error) throw error;
    throw new Pkcs12Error('malformed', 'the file is not a PKCS #12 (.p12/.pfx) file');
  }
  verifyMac(pfx, authSafe, password);
  let key: KeyObject | undefined;
  const certificates: Buffer[] = [];
  try {
    for (const contentInfo of readDer(authSafe).children) {
      for (const bag of safeContents(contentInfo, password)) {
        const bagType = decodeOid(child(bag, 0, TAG.OID));
        const value = child(child(bag, 1), 0);
        if (bagType === OIDS.certBag && decodeOid(child(value, 0, TAG.OID)) === OIDS.x509Certificate) {
          certificates.push(Buffer.from(child(child(value, 1), 0, TAG.OCTET_STRING).content));
        } else if (bagType === OIDS.keyBag && !key) {
          key = createPrivateKey({ key: value.bytes, format: 'der', type: 'pkcs8' });
        } else if (bagType === OIDS.shroudedKeyBag && !key) {
          const algorithm = child(value, 0, TAG.SEQUENCE);
          const plain = decrypt(algorithm, child(value, 1, TAG.OCTET_STRING).content, password);
          key = createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
        }
      }
    }
  } catch (error) {
    if (error instanceof Pkcs12Error) throw error;
    throw new Pkcs12Error('malformed', `the file's contents cannot be read (${(error as Error).message})`);
  }
  if (!key) throw new Pkcs12Error('no-key', 'the file holds no private key');
  return { key, certificates };
}
