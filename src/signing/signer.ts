// What the rest of mailsetup needs from a signing identity. The CMS implementation lives beside it.

export interface Signer {
  /** Wraps content in a CMS SignedData structure (attached, DER) and returns its bytes. */
  sign(content: Buffer): Buffer;
}
