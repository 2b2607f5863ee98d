// A Signer over a loaded identity: SHA-256 digest, signed attributes, the native signature
// (RSA PKCS #1 v1.5 or ECDSA), a check of RSA signatures, then the CMS envelope from cms.ts.
import { hash, sign, verify } from 'node:crypto';
import { MailsetupError } from '../errors.js';
import { signedAttributes, signedDataEncoder } from './cms.js';
import type { SigningIdentity } from './identity.js';
import type { Signer } from './signer.js';

export interface SignerOptions {
  /** The signing time written into each signature; injectable so tests and golden files are stable. */
  clock?: () => Date;
}

export function createSigner(identity: SigningIdentity, options: SignerOptions = {}): Signer {
  const clock = options.clock ?? (() => new Date());
  const { key, certificate } = identity;
  const kind = key.asymmetricKeyType === 'rsa' ? 'rsa' : key.asymmetricKeyType === 'ec' ? 'ecdsa' : undefined;
  if (!kind)
    throw new MailsetupError('SIGNING_FAILED', `the key type ${key.asymmetricKeyType} cannot sign Apple profiles; use RSA or EC P-256/P-384`, {
      rule: 'key-type',
    });
  const encode = signedDataEncoder({
    certificates: [certificate.der, ...identity.intermediates.map((c) => c.der)],
    issuerAndSerialNumber: certificate.issuerAndSerialNumber,
    signatureKind: kind,
  });
  const publicKey = certificate.x509.publicKey;
  const mismatch = () =>
    new MailsetupError(
      'SIGNING_FAILED',
      `the signature made with the key of "${certificate.subject}" does not verify with its certificate; check that the key and certificate are a pair`,
      { rule: 'signature-check' },
    );
  // Checked with the certificate's key, as a device will, so a key that does not match its
  // certificate never signs a file. What a check after every signature would catch is settled
  // once, here: whether key and certificate are a pair does not change between signatures. A
  // faulty result is OpenSSL's to catch: for RSA it checks each CRT result with the public key
  // and recomputes without CRT on a mismatch (rsa_ossl_mod_exp), and ECDSA has no CRT shortcut
  // whose fault a later check must catch. An ECDSA check also costs two to three times the
  // signature, an RSA one a tenth; both kinds prove themselves with one signature over a fixed
  // text when the signer is made, and sign() does not repeat it.
  const probe = Buffer.from('mailsetup signing self-test');
  if (!verify('sha256', probe, publicKey, sign('sha256', probe, key))) throw mismatch();
  return {
    description: {
      subject: certificate.subject,
      issuer: certificate.issuer,
      validTo: certificate.validTo,
      fingerprint256: certificate.fingerprint256,
      development: identity.development,
    },
    sign(content) {
      const attributes = signedAttributes(hash('sha256', content, 'buffer'), clock());
      return encode(content, attributes, sign('sha256', attributes, key));
    },
  };
}
