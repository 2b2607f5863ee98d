// The signing identity a running server uses now. A renewed or replaced identity passes the same
// checks as at start-up before it is swapped in whole; listeners (the worker pool) then get it as
// plain data they can rebuild a signer from. A request being signed keeps the signer it started with.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { createSigner } from './cms-signer.js';
import { diagnoseIdentity, refusalOf, type DiagnoseOptions, type Finding } from './diagnostics.js';
import { assembleIdentity, type SigningIdentity } from './identity.js';
import type { Signer, SignerDescription } from './signer.js';

/** An identity as structured-cloneable data, for worker threads (KeyObjects cross threads whole). */
export interface IdentityMaterial {
  key: KeyObject;
  /** DER: the signer, then its intermediates, then the root if it was given. */
  certificates: Uint8Array[];
  source: string;
  development: boolean;
}

export function identityMaterial(identity: SigningIdentity): IdentityMaterial {
  const chain = [identity.certificate, ...identity.intermediates, ...(identity.root ? [identity.root] : [])];
  return { key: identity.key, certificates: chain.map((c) => c.der), source: identity.source, development: identity.development };
}

export function identityFromMaterial(material: IdentityMaterial): SigningIdentity {
  const certificates = material.certificates.map((der) => new X509Certificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength)));
  return assembleIdentity(material.key, certificates, material.source, material.development);
}

export interface ActiveIdentity {
  identity: SigningIdentity;
  signer: Signer;
  findings: Finding[];
  material: IdentityMaterial;
}

export interface HolderOptions {
  now?: () => Date;
  /** Expiry warnings start this many days ahead (ACME renews by itself: a week). */
  expiryWarningDays?: number;
}

/**
 * Diagnoses an identity as at start-up; throws SIGNING_FAILED (listing every error) when devices
 * would reject its signatures, else returns it ready to use.
 */
export function activate(identity: SigningIdentity, options: HolderOptions = {}): ActiveIdentity {
  const diagnose: DiagnoseOptions = {
    ...(options.now ? { now: options.now() } : {}),
    ...(options.expiryWarningDays ? { expiryWarningDays: options.expiryWarningDays } : {}),
  };
  const findings = diagnoseIdentity(identity, diagnose);
  const refused = refusalOf(identity, findings);
  if (refused) throw refused;
  const signer = createSigner(identity, options.now ? { clock: options.now } : {});
  return { identity, signer, findings, material: identityMaterial(identity) };
}

/** A Signer that signs with whatever `current()` returns at the moment of each call. */
class CurrentSigner implements Signer {
  constructor(private readonly current: () => Signer) {}

  sign(content: Buffer): Buffer {
    return this.current().sign(content);
  }

  get description(): SignerDescription | undefined {
    return this.current().description;
  }
}

export class IdentityHolder {
  #active: ActiveIdentity;
  readonly #listeners = new Set<(active: ActiveIdentity) => void>();
  readonly #options: HolderOptions;

  /** Signs with whichever identity is current at the moment of each call. */
  readonly signer: Signer = new CurrentSigner(() => this.#active.signer);

  constructor(initial: ActiveIdentity, options: HolderOptions = {}) {
    this.#active = initial;
    this.#options = options;
  }

  get current(): ActiveIdentity {
    return this.#active;
  }

  /** Checks `identity` and, when it passes, makes it current; throws SIGNING_FAILED and keeps the old one when not. */
  replace(identity: SigningIdentity, options: HolderOptions = {}): ActiveIdentity {
    return this.adopt(activate(identity, { ...this.#options, ...options }));
  }

  /** Makes an identity already checked with activate() current. */
  adopt(active: ActiveIdentity): ActiveIdentity {
    this.#active = active;
    for (const listener of this.#listeners) listener(active);
    return active;
  }

  onChange(listener: (active: ActiveIdentity) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Whether two identities are the same key and certificate (a reload that changed nothing). */
export function sameIdentity(a: SigningIdentity, b: SigningIdentity): boolean {
  return a.certificate.fingerprint256 === b.certificate.fingerprint256 && a.key.equals(b.key) && a.intermediates.length === b.intermediates.length;
}
