// What the rest of mailsetup needs from a signing identity. The CMS implementation lives beside it.

export interface Signer {
  /** Wraps content in a CMS SignedData structure (attached, DER) and returns its bytes. */
  sign(content: Buffer): Buffer;
  /** Who signs, for pages and logs (no secrets). */
  readonly description?: SignerDescription;
}

export interface SignerDescription {
  subject: string;
  issuer: string;
  validTo: Date;
  fingerprint256: string;
  /** The generated development identity: devices show its profiles as "Not Verified". */
  development: boolean;
}
