// Signing for the rest of mailsetup: load the configured identity (or the development one),
// check it, and hand back a Signer. The web app, the CLI and bulk workers all come through here.
import { resolve } from 'node:path';
import type { Config, SigningConfig } from '../config.js';
import { MailsetupError } from '../errors.js';
import { createSigner } from './cms-signer.js';
import { developmentIdentity } from './development.js';
import { diagnoseIdentity, type Finding } from './diagnostics.js';
import { loadConfiguredIdentity, type IdentityFiles, type SigningIdentity } from './identity.js';
import type { Signer } from './signer.js';

export type { Finding, Severity } from './diagnostics.js';
export type { SigningIdentity } from './identity.js';
export type { Signer, SignerDescription } from './signer.js';
export { diagnoseIdentity } from './diagnostics.js';

/** The names people set the signing settings by, used in messages. */
export const ENV_NAMES: IdentityFiles['names'] = {
  key: 'MAILSETUP_SIGNING_KEY',
  cert: 'MAILSETUP_SIGNING_CERT',
  chain: 'MAILSETUP_SIGNING_CHAIN',
  p12: 'MAILSETUP_SIGNING_P12',
  p12Password: 'MAILSETUP_SIGNING_P12_PASSWORD',
};

export interface SigningOptions {
  /** Receives each warning, one line, without a prefix. */
  log?: (line: string) => void;
  /** "Now" for validity checks and signing times; tests pin it. */
  now?: () => Date;
  /** How each setting was given, when not from the environment (the CLI passes its flag names). */
  names?: Partial<IdentityFiles['names']>;
  /** Folder relative paths are resolved from (default: the working folder). */
  cwd?: string;
}

export interface LoadedIdentity {
  identity: SigningIdentity;
  findings: Finding[];
  /** Set when this call generated the development identity. */
  createdDevelopmentCa?: string;
}

/**
 * Loads the configured identity, or reads (generating on first use) the development identity,
 * and diagnoses it. Throws SIGNING_FAILED when files are missing or unreadable; findings of
 * severity "error" are returned, not thrown, so `mailsetup identity` can show them all.
 */
export function loadSigningIdentity(config: Pick<Config, 'organization' | 'signing'>, options: SigningOptions = {}): LoadedIdentity {
  const signing: SigningConfig = config.signing;
  const cwd = options.cwd ?? process.cwd();
  const path = (p: string | undefined) => (p ? resolve(cwd, p) : undefined);
  const now = options.now?.() ?? new Date();
  const configured = loadConfiguredIdentity({
    key: path(signing.keyFile),
    cert: path(signing.certFile),
    chain: path(signing.chainFile),
    p12: path(signing.p12File),
    p12Password: signing.p12Password,
    names: { ...ENV_NAMES, ...options.names },
  });
  if (configured) return { identity: configured, findings: diagnoseIdentity(configured, { now }) };
  const development = developmentIdentity(resolve(cwd, signing.certsDir), config.organization.name, now);
  const findings = diagnoseIdentity(development.identity, { now });
  return { identity: development.identity, findings, ...(development.created ? { createdDevelopmentCa: development.caPath } : {}) };
}

/** One message listing every error finding, for the SIGNING_FAILED error. */
function refusal(identity: SigningIdentity, findings: readonly Finding[]): MailsetupError | undefined {
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length === 0) return undefined;
  const first = errors[0]!;
  return new MailsetupError('SIGNING_FAILED', `cannot sign with ${identity.source}: ${errors.map((f) => f.message).join('; ')}`, {
    field: 'signing',
    rule: first.code,
  });
}

/**
 * The Signer for Apple profiles. Warnings go to `log`; problems that would make devices reject
 * the signature throw SIGNING_FAILED. Safe to call from several threads or processes at once on
 * first use: the development identity is created atomically.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- async so that a refusal is a rejection: callers .catch() it
export async function signerFromConfig(config: Config, options: SigningOptions = {}): Promise<Signer> {
  const loaded = loadSigningIdentity(config, options);
  const refused = refusal(loaded.identity, loaded.findings);
  if (refused) throw refused;
  if (loaded.createdDevelopmentCa) options.log?.(`generated a development signing identity; its CA certificate is ${loaded.createdDevelopmentCa}`);
  for (const finding of loaded.findings) if (finding.severity === 'warning') options.log?.(finding.message);
  return createSigner(loaded.identity, options.now ? { clock: options.now } : {});
}
