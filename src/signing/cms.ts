// CMS SignedData (RFC 5652) with attached content, DER, SHA-256 (RFC 5754), as Apple profiles use.
// Written with der.ts; read with node-forge (the only user: it also reads the BER other tools
// write); keys and signatures stay in node:crypto.
import forge from 'node-forge';
import { TAG, contextTag, encode, encodeNested, integer, nullValue, octetString, oid, sequence, set, time } from './der.js';

const { asn1 } = forge;
type Node = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;
const bin = (data: Buffer) => data.toString('latin1');
const toBuffer = (node: Node) => Buffer.from(asn1.toDer(node).getBytes(), 'latin1');

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

const DIGEST_NAMES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** The node:crypto name of a CMS digest algorithm OID, if known. */
export const digestName = (oid: string): string | undefined => DIGEST_NAMES[oid];

const attribute = (type: string, value: Buffer) => sequence(oid(type), set(value));
// Two of the three attributes change rarely (content type never, signing time once a second),
// so they are encoded once and reused; the digest attribute is a fixed prefix plus 32 bytes.
const contentTypeAttribute = attribute(OID.contentType, oid(OID.data));
const digestPrefix = attribute(OID.messageDigest, octetString(Buffer.alloc(32))).subarray(0, -32);
let lastSecond = Number.NaN;
let lastTimeAttribute: Buffer = Buffer.alloc(0);

function signingTimeAttribute(date: Date): Buffer {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSecond) {
    // RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise (der.ts's time()).
    lastTimeAttribute = attribute(OID.signingTime, time(date));
    lastSecond = second;
  }
  return lastTimeAttribute;
}

/**
 * The signed attributes as the DER SET OF that the signature covers (RFC 5652 §5.4): content
 * type, signing time and message digest (SHA-256), sorted by their encodings as DER requires.
 */
export function signedAttributes(contentDigest: Buffer, signingTime: Date): Buffer {
  if (contentDigest.length !== 32) throw new RangeError('a SHA-256 digest has 32 bytes');
  return set(contentTypeAttribute, signingTimeAttribute(signingTime), Buffer.concat([digestPrefix, contentDigest]));
}

export type SignatureKind = 'rsa' | 'ecdsa';

export interface SignedDataTemplate {
  /** DER certificates to include: the signer's and every intermediate. */
  certificates: readonly Buffer[];
  /** DER IssuerAndSerialNumber of the signer certificate. */
  issuerAndSerialNumber: Buffer;
  signatureKind: SignatureKind;
}

export type SignedDataEncoder = (content: Buffer, signedAttributes: Buffer, signature: Buffer) => Buffer;

/**
 * Returns a function that wraps content, its signed attributes and their signature into a
 * ContentInfo. Everything that does not change between profiles is encoded once, here.
 */
export function signedDataEncoder(template: SignedDataTemplate): SignedDataEncoder {
  const sha256 = sequence(oid(OID.sha256));
  // version 1 (issuer-and-serial signer, data content), digestAlgorithms.
  const head = Buffer.concat([integer(1), set(sha256)]);
  const dataType = oid(OID.data);
  // [0] IMPLICIT SET OF Certificate, sorted by encoding as DER (and OpenSSL) does.
  const certificates = encode(contextTag(0), ...[...template.certificates].sort((a, b) => Buffer.compare(a, b)));
  const signerHead = Buffer.concat([integer(1), template.issuerAndSerialNumber, sha256]);
  const signatureAlgorithm = template.signatureKind === 'rsa' ? sequence(oid(OID.rsaEncryption), nullValue()) : sequence(oid(OID.ecdsaWithSha256));
  const signedDataType = oid(OID.signedData);

  const implicitTag = Buffer.from([contextTag(0)]);

  // Nested once and written in one copy: the content is most of the bytes.
  return (content, attributes, signature) => {
    // [0] IMPLICIT: the same bytes as the signed SET, identifier 0xA0 instead of 0x31.
    const signerInfo = {
      tag: TAG.SEQUENCE,
      content: [signerHead, implicitTag, attributes.subarray(1), signatureAlgorithm, { tag: TAG.OCTET_STRING, content: [signature] }],
    };
    const encapsulated = { tag: TAG.SEQUENCE, content: [dataType, { tag: contextTag(0), content: [{ tag: TAG.OCTET_STRING, content: [content] }] }] };
    // One signer: its SET OF needs no sorting.
    const signedData = { tag: TAG.SEQUENCE, content: [head, encapsulated, certificates, { tag: TAG.SET, content: [signerInfo] }] };
    return encodeNested({ tag: TAG.SEQUENCE, content: [signedDataType, { tag: contextTag(0), content: [signedData] }] });
  };
}

// Reading, for `mailsetup inspect` and for checking what we wrote.

export interface ParsedSignerInfo {
  /** DER IssuerAndSerialNumber, when the signer is identified that way. */
  issuerAndSerialNumber: Buffer | undefined;
  /** Subject key identifier, when the signer is identified that way. */
  subjectKeyIdentifier: Buffer | undefined;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** The signed attributes as the DER SET the signature covers; undefined when absent. */
  signedAttributes: Buffer | undefined;
  /** Attribute type OIDs in the order they appear. */
  attributeTypes: string[];
  contentType: string | undefined;
  messageDigest: Buffer | undefined;
  signingTime: Date | undefined;
  signature: Buffer;
}

export interface ParsedSignedData {
  contentType: string;
  /** The attached content; undefined for a detached signature. */
  content: Buffer | undefined;
  digestAlgorithms: string[];
  certificates: Buffer[];
  signers: ParsedSignerInfo[];
}

class CmsFormatError extends Error {}

function expect(node: Node | undefined, check: (n: Node) => boolean, what: string): Node {
  if (!node || !check(node)) throw new CmsFormatError(`not a CMS SignedData structure (${what})`);
  return node;
}

const children = (node: Node): Node[] => (Array.isArray(node.value) ? node.value : []);
const isUniversal = (type: forge.asn1.Type) => (n: Node) => n.tagClass === U && n.type === type;
// A context-specific tag is a plain number ([0], [1]), not one of the universal types forge's typing names.
const isContext = (type: number) => (n: Node) => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && Number(n.type) === type;
const readOid = (node: Node | undefined, what: string) => asn1.derToOid(expect(node, isUniversal(T.OID), what).value as string);

/** An OCTET STRING's bytes, also when BER splits it into constructed segments. */
function octetBytes(node: Node): string {
  return Array.isArray(node.value) ? node.value.map(octetBytes).join('') : node.value;
}

function readTime(node: Node): Date | undefined {
  if (node.type === T.UTCTIME) return asn1.utcTimeToDate(node.value as string);
  if (node.type === T.GENERALIZEDTIME) return asn1.generalizedTimeToDate(node.value as string);
  return undefined;
}

function readSignerInfo(node: Node): ParsedSignerInfo {
  const [, sid, digestAlgorithm, ...rest] = children(expect(node, isUniversal(T.SEQUENCE), 'signer info'));
  let issuerAndSerialNumber: Buffer | undefined;
  let subjectKeyIdentifier: Buffer | undefined;
  if (sid && isUniversal(T.SEQUENCE)(sid)) issuerAndSerialNumber = toBuffer(sid);
  else if (sid && isContext(0)(sid)) subjectKeyIdentifier = Buffer.from(octetBytes(sid), 'latin1');
  const attributesNode = rest[0] && isContext(0)(rest[0]) ? rest.shift() : undefined;
  const [signatureAlgorithm, signature] = rest;
  const info: ParsedSignerInfo = {
    issuerAndSerialNumber,
    subjectKeyIdentifier,
    digestAlgorithm: readOid(children(expect(digestAlgorithm, isUniversal(T.SEQUENCE), 'digest algorithm'))[0], 'digest algorithm'),
    signatureAlgorithm: readOid(children(expect(signatureAlgorithm, isUniversal(T.SEQUENCE), 'signature algorithm'))[0], 'signature algorithm'),
    signedAttributes: undefined,
    attributeTypes: [],
    contentType: undefined,
    messageDigest: undefined,
    signingTime: undefined,
    signature: Buffer.from(octetBytes(expect(signature, isUniversal(T.OCTETSTRING), 'signature')), 'latin1'),
  };
  if (attributesNode) {
    info.signedAttributes = toBuffer(asn1.create(U, T.SET, true, children(attributesNode)));
    for (const attr of children(attributesNode)) {
      const [type, values] = children(attr);
      const oid = readOid(type, 'attribute type');
      info.attributeTypes.push(oid);
      const value = values ? children(values)[0] : undefined;
      if (!value) continue;
      if (oid === OID.contentType) info.contentType = readOid(value, 'content type attribute');
      else if (oid === OID.messageDigest) info.messageDigest = Buffer.from(octetBytes(value), 'latin1');
      else if (oid === OID.signingTime) info.signingTime = readTime(value);
    }
  }
  return info;
}

/** Whether the bytes look like DER/BER ContentInfo rather than a plist. */
export function looksLikeCms(data: Buffer): boolean {
  return data.length > 16 && data[0] === 0x30 && (data[1]! & 0x80) !== 0;
}

/** Reads a ContentInfo holding SignedData. Throws an Error saying what is wrong when it is not one. */
export function parseSignedData(data: Buffer): ParsedSignedData {
  let root: Node;
  try {
    root = (asn1.fromDer as unknown as (bytes: string, options: object) => Node)(bin(data), { strict: true, parseAllBytes: true, decodeBitStrings: false });
  } catch (error) {
    throw new CmsFormatError(`not readable as ASN.1 (${(error as Error).message})`);
  }
  const [type, wrapped] = children(expect(root, isUniversal(T.SEQUENCE), 'content info'));
  const contentType = readOid(type, 'content type');
  if (contentType !== OID.signedData) throw new CmsFormatError(`the content type is ${contentType}, not SignedData`);
  const signedData = children(expect(children(expect(wrapped, isContext(0), 'content'))[0], isUniversal(T.SEQUENCE), 'signed data'));
  const [, digestAlgorithms, encapsulated, ...rest] = signedData;
  const [eContentType, eContent] = children(expect(encapsulated, isUniversal(T.SEQUENCE), 'encapsulated content'));
  const inner = eContent ? children(expect(eContent, isContext(0), 'encapsulated content'))[0] : undefined;
  const certificatesNode = rest.find(isContext(0));
  const signerInfos = rest.find(isUniversal(T.SET));
  return {
    contentType: readOid(eContentType, 'encapsulated content type'),
    content: inner ? Buffer.from(octetBytes(inner), 'latin1') : undefined,
    digestAlgorithms: children(expect(digestAlgorithms, isUniversal(T.SET), 'digest algorithms')).map((alg) => readOid(children(alg)[0], 'digest algorithm')),
    certificates: certificatesNode ? children(certificatesNode).filter(isUniversal(T.SEQUENCE)).map(toBuffer) : [],
    signers: signerInfos ? children(signerInfos).map(readSignerInfo) : [],
  };
}
