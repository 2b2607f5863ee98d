// Signed profiles as OpenSSL sees them: `openssl cms -verify` accepts profiles signed through
// 3-level RSA and EC chains made by the openssl CLI, the content it extracts is the unsigned
// plist byte for byte, and the DER (read by `openssl asn1parse` / `cms -cmsout -print`, not by
// our code) has SHA-256 and the signed attributes in DER order.
import { expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { generate, parseGenerateRequest } from '../../src/service/generate.js';
import { createSigner } from '../../src/signing/cms-signer.js';
import { loadPemIdentity } from '../../src/signing/identity.js';
import { ENV_NAMES } from '../../src/signing/index.js';
import { makeTempDir } from '../support/tmp.js';
import { openssl, opensslVerify, TestPki, type KeyKind } from './pki.js';

const tmp = makeTempDir('mailsetup-cms-');
afterAll(() => tmp.remove());
const pki = new TestPki(tmp.path);
const catalog = ProviderCatalog.load();
const config = loadConfig({ MAILSETUP_ORG_NAME: 'Örebro universitet IT', MAILSETUP_ORG_ID: 'se.example.mail' });

/** The unsigned profile for a person with a non-ASCII name, straight from the service. */
function unsignedProfile(): Buffer {
  const request = parseGenerateRequest({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров — Ångström 😀', unsigned: true, language: 'ru' });
  return generate(request, { config, catalog }).body;
}

function signerFor(leaf: { key: string; cert: string }, chain: string[], clock?: () => Date) {
  const identity = loadPemIdentity({
    key: leaf.key,
    cert: leaf.cert,
    chain: chain.length ? pki.concat(`chain-${leaf.cert.length}-${chain.length}.pem`, ...chain) : undefined,
    names: ENV_NAMES,
  });
  return createSigner(identity, clock ? { clock } : {});
}

const chains = {} as Record<KeyKind, ReturnType<TestPki['chain']>>;
beforeAll(() => {
  chains.rsa = pki.chain('RSA', 'rsa');
  chains.ec = pki.chain('EC', 'ec');
  chains.ec384 = pki.chain('EC384', 'ec384');
});

describe.each(['rsa', 'ec', 'ec384'] as const)('a profile signed through a 3-level %s chain', (kind) => {
  it('verifies with openssl against the root, and the extracted content is the unsigned plist byte for byte', () => {
    const { root, intermediate, leaf } = chains[kind];
    const unsigned = unsignedProfile();
    expect(unsigned.toString('utf8')).toContain('Иван Петров — Ångström 😀');
    const signed = signerFor(leaf, [intermediate.cert]).sign(unsigned);
    const extracted = opensslVerify(signed, root.cert, tmp.path);
    expect(extracted.equals(unsigned)).toBe(true);
  });

  it('embeds the signer and the intermediate but not the root', () => {
    const { intermediate, leaf } = chains[kind];
    const signed = signerFor(leaf, [intermediate.cert]).sign(unsignedProfile());
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], { input: signed }).toString('utf8');
    const subjects = [...printed.matchAll(/^\s*subject: (.*)$/gm)].map((m) => m[1]!.match(/CN=([^,]+)/)?.[1]);
    const name = kind.toUpperCase();
    expect(subjects.sort()).toEqual([`${name} Intermediate`, `${name} Signer`]);
    const signatureAlgorithm = /signatureAlgorithm:\s*\n\s*algorithm: ([^\s]+)/.exec(printed.slice(printed.indexOf('signerInfos:')))?.[1];
    expect(signatureAlgorithm).toBe(kind === 'rsa' ? 'rsaEncryption' : 'ecdsa-with-SHA256');
  });
});

it('fails verification when the intermediate is left out (what makes devices say "Not Verified")', () => {
  const { root, leaf } = chains.rsa;
  const signed = signerFor(leaf, []).sign(unsignedProfile());
  expect(() => opensslVerify(signed, root.cert, tmp.path)).toThrow();
});

describe('the DER structure, read by openssl', () => {
  const pinned = new Date('2031-02-03T04:05:06Z');
  let signed: Buffer;
  let printed: string;
  beforeAll(() => {
    const { intermediate, leaf } = chains.rsa;
    signed = signerFor(leaf, [intermediate.cert], () => pinned).sign(unsignedProfile());
    printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], { input: signed }).toString('utf8');
  });

  it('is SignedData with attached data content, SHA-256 as the digest algorithm and version 1', () => {
    expect(printed).toMatch(/contentType: pkcs7-signedData/);
    expect(printed).toMatch(/eContentType: pkcs7-data/);
    expect(printed).toMatch(/d\.signedData:\s*\n\s*version: 1\b/);
    const digestAlgorithms = printed.slice(printed.indexOf('digestAlgorithms:'), printed.indexOf('encapContentInfo:'));
    expect(digestAlgorithms).toMatch(/algorithm: sha256/);
    expect(digestAlgorithms).not.toMatch(/sha1/);
    const signerInfo = printed.slice(printed.indexOf('signerInfos:'));
    expect(signerInfo).toMatch(/digestAlgorithm:\s*\n\s*algorithm: sha256/);
  });

  it('has the signed attributes contentType, signingTime (the injected clock) and messageDigest, in DER SET order', () => {
    const attributes = [...printed.matchAll(/object: (\w+) \(/g)].map((m) => m[1]);
    expect(attributes).toEqual(['contentType', 'signingTime', 'messageDigest']);
    expect(printed).toMatch(/UTCTIME:Feb\s+3 04:05:06 2031 GMT/);

    // The raw bytes of each attribute, located by `openssl asn1parse`: DER wants a SET OF sorted
    // by encoding, which is what a device recomputes the digest over.
    const derFile = join(tmp.path, 'structure.der');
    writeFileSync(derFile, signed);
    const lines = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', derFile], { encoding: 'utf8' }).split('\n');
    const parse = (line: string) => {
      const m = /^\s*(\d+):d=\s*(\d+)\s+hl=\s*(\d+)\s+l=\s*(\d+)\s+(cons|prim):\s*(.*)$/.exec(line);
      return m ? { offset: Number(m[1]), depth: Number(m[2]), header: Number(m[3]), length: Number(m[4]), what: m[6]!.trim() } : undefined;
    };
    const entries = lines.map(parse).filter((e): e is NonNullable<ReturnType<typeof parse>> => e !== undefined);
    const contentTypeOid = entries.findIndex((e) => /OBJECT\s+:contentType/.test(e.what));
    const attributeSeq = entries[contentTypeOid - 1]!;
    const setEntry = [...entries.slice(0, contentTypeOid)].reverse().find((e) => e.depth === attributeSeq.depth - 1)!;
    expect(setEntry.what).toMatch(/cont \[ 0 \]/);
    const children = entries.filter(
      (e) => e.depth === attributeSeq.depth && e.offset >= setEntry.offset && e.offset < setEntry.offset + setEntry.header + setEntry.length,
    );
    expect(children).toHaveLength(3);
    const encodings = children.map((e) => signed.subarray(e.offset, e.offset + e.header + e.length));
    expect([...encodings].sort((a, b) => Buffer.compare(a, b))).toEqual(encodings);
  });

  it('carries the message digest of the exact plist bytes', () => {
    const digest = /object: messageDigest[\s\S]*?OCTET STRING:\s*\n([\s\S]*?)\n\s*\n?\s*(?:object|\w+:)/.exec(printed);
    const hex = (digest?.[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/^\s*[0-9a-f]{4} - /, '').split(/\s{3}/)[0]!)
      .join('')
      .replace(/[^0-9a-f]/g, '');
    const expected = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: unsignedProfile(), encoding: 'utf8' }).trim().split(' ').pop();
    expect(hex).toBe(expected);
  });
});

it('writes signing times from 2050 on as GeneralizedTime (RFC 5652 §11.3), which openssl accepts', () => {
  const { root, intermediate, leaf } = chains.ec;
  const signed = signerFor(leaf, [intermediate.cert], () => new Date('2051-06-07T08:09:10Z')).sign(unsignedProfile());
  const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER'], { input: signed }).toString('utf8');
  expect(printed).toMatch(/GENERALIZEDTIME:Jun\s+7 08:09:10 2051 GMT/);
  opensslVerify(signed, root.cert, tmp.path);
});

it('reads a key and certificates from one combined PEM file', () => {
  const { root, intermediate, leaf } = chains.rsa;
  const combined = pki.concat('combined.pem', leaf.cert, intermediate.cert, leaf.key);
  const identity = loadPemIdentity({ key: combined, cert: combined, names: ENV_NAMES });
  expect(identity.certificate.commonName).toBe('RSA Signer');
  expect(identity.intermediates.map((c) => c.commonName)).toEqual(['RSA Intermediate']);
  opensslVerify(createSigner(identity).sign(Buffer.from('<plist/>')), root.cert, tmp.path);
});

it('with a pinned clock an RSA signature is deterministic (PKCS #1 v1.5), so signed files can be golden-tested', () => {
  const { intermediate, leaf } = chains.rsa;
  const clock = () => new Date('2030-01-01T00:00:00Z');
  const a = signerFor(leaf, [intermediate.cert], clock).sign(unsignedProfile());
  const b = signerFor(leaf, [intermediate.cert], clock).sign(unsignedProfile());
  expect(a.equals(b)).toBe(true);
});

describe('a key that is not its certificate’s', () => {
  // Signatures are not checked one by one: the identity proves itself once, when the signer is made.
  it.each(['ec', 'rsa'] as const)('%s: no signer is made with a key that does not match', (kind) => {
    const { intermediate, leaf } = chains[kind];
    const identity = loadPemIdentity({ key: leaf.key, cert: leaf.cert, chain: pki.concat(`mismatch-${kind}.pem`, intermediate.cert), names: ENV_NAMES });
    const other =
      kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const refused = expect.objectContaining({ code: 'SIGNING_FAILED', rule: 'signature-check' });
    expect(() => createSigner({ ...identity, key: other })).toThrow(refused);
    expect(() => createSigner(identity).sign(unsignedProfile())).not.toThrow();
  });
});
