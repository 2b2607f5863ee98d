// Signing for the rest of mailsetup: load the configured identity (files, the stored ACME
// certificate, or the development one), check it, and hand back a Signer. The web app, the CLI
// and bulk workers all come through here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config, SigningConfig } from '../config.js';
import { MailsetupError } from '../errors.js';
import { AcmeStore, orderMismatch, type RenewalStatus } from './acme-store.js';
import { createSigner } from './cms-signer.js';
import { developmentIdentity } from './development.js';
import { diagnoseIdentity, refusalOf, type Finding } from './diagnostics.js';
import { identityFromPem, loadConfiguredIdentity, type IdentityFiles, type SigningIdentity } from './identity.js';
import { URGENT_DAYS } from './renewal.js';
import type { Signer } from './signer.js';

export type { Finding, Severity } from './diagnostics.js';
export type { SigningIdentity } from './identity.js';
export type { Signer, SignerDescription } from './signer.js';
export { diagnoseIdentity, refusalOf } from './diagnostics.js';

/** The names people set the signing settings by, used in messages. */
export const ENV_NAMES: IdentityFiles['names'] = {
  key: 'MAILSETUP_SIGNING_KEY',
  cert: 'MAILSETUP_SIGNING_CERT',
  chain: 'MAILSETUP_SIGNING_CHAIN',
  p12: 'MAILSETUP_SIGNING_P12',
  p12Password: 'MAILSETUP_SIGNING_P12_PASSWORD',
  keyPassword: 'MAILSETUP_SIGNING_KEY_PASSWORD',
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

/** Where the identity comes from, for `mailsetup identity` and the server's log. */
export type IdentityOrigin =
  | { kind: 'files' }
  | { kind: 'development' }
  | {
      kind: 'acme';
      folder: string;
      domains: readonly string[];
      directoryUrl: string;
      /** False while no certificate for these settings is stored (the server gets one when it starts). */
      issued: boolean;
      status: RenewalStatus | undefined;
    };

export interface LoadedIdentity {
  identity: SigningIdentity;
  findings: Finding[];
  origin: IdentityOrigin;
  /** Set when this call generated the development identity. */
  createdDevelopmentCa?: string;
}

type SigningSettings = Pick<Config, 'organization' | 'signing'> & Partial<Pick<Config, 'acme'>>;

/** A passphrase file holds the passphrase on its first line (what `echo … > file` writes). */
function keyPassword(signing: SigningConfig, cwd: string): { value: string | undefined; name: string } {
  if (!signing.keyPasswordFile) return { value: signing.keyPassword, name: ENV_NAMES.keyPassword };
  const name = 'MAILSETUP_SIGNING_KEY_PASSWORD_FILE';
  const path = resolve(cwd, signing.keyPasswordFile);
  try {
    return { value: readFileSync(path, 'utf8').replace(/\r?\n$/, ''), name };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MailsetupError('SIGNING_FAILED', `the passphrase file ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`, {
      field: name,
      rule: 'file-readable',
      cause: error,
    });
  }
}

/** The stored ACME certificate for these settings, or why there is none. */
export function storedAcmeIdentity(config: SigningSettings & Pick<Config, 'acme'>, cwd: string): { identity: SigningIdentity } | { missing: string } {
  const acme = config.acme!;
  const store = AcmeStore.in(resolve(cwd, config.signing.certsDir));
  const stored = store.certificate();
  if (!stored) return { missing: `no ACME certificate for ${acme.domains.join(', ')} is stored in ${store.folder} yet` };
  const mismatch = orderMismatch(stored.order, { directoryUrl: acme.directoryUrl, domains: [...acme.domains], keyType: acme.keyType });
  if (mismatch) return { missing: `the ACME certificate in ${store.folder} does not fit the settings: ${mismatch}` };
  try {
    return {
      identity: identityFromPem(stored.keyPem, stored.chainPem, `ACME certificate for ${acme.domains.join(', ')} from ${acme.directoryUrl} (${store.folder})`),
    };
  } catch (error) {
    return { missing: `the ACME certificate in ${store.folder} cannot be read (${(error as Error).message})` };
  }
}

/** What the renewal loop last did, as findings (a failed renewal is a warning until one succeeds). */
function renewalFindings(status: RenewalStatus | undefined): Finding[] {
  if (!status) return [];
  const findings: Finding[] = [];
  if (status.lastError) {
    findings.push({
      severity: 'warning',
      code: 'renewal-failed',
      message: `the last renewal attempt${status.lastAttempt ? ` (${status.lastAttempt})` : ''} failed: ${status.lastError}; the current certificate keeps serving`,
    });
  }
  findings.push(
    { severity: 'info', code: 'renewal-next', message: `next renewal: ${status.nextRenewal ?? 'not scheduled'}` },
    { severity: 'info', code: 'renewal-last', message: `last renewal: ${status.lastRenewal ?? 'none since the first certificate'}` },
    { severity: 'info', code: 'renewal-error', message: `last renewal error: ${status.lastError ?? 'none'}` },
  );
  return findings;
}

/**
 * Loads the configured identity (files win), else the stored ACME certificate when ACME is on,
 * else reads (generating on first use) the development identity, and diagnoses it. Throws
 * SIGNING_FAILED when files are missing or unreadable; findings of severity "error" are
 * returned, not thrown, so `mailsetup identity` can show them all.
 */
export function loadSigningIdentity(config: SigningSettings, options: SigningOptions = {}): LoadedIdentity {
  const signing: SigningConfig = config.signing;
  const cwd = options.cwd ?? process.cwd();
  const path = (p: string | undefined) => (p ? resolve(cwd, p) : undefined);
  const now = options.now?.() ?? new Date();
  const files = { key: path(signing.keyFile), cert: path(signing.certFile), chain: path(signing.chainFile), p12: path(signing.p12File) };
  const configuredAny = Object.values(files).some(Boolean);
  const password = configuredAny ? keyPassword(signing, cwd) : { value: undefined, name: ENV_NAMES.keyPassword };
  const configured = loadConfiguredIdentity({
    ...files,
    p12Password: signing.p12Password,
    keyPassword: password.value,
    names: { ...ENV_NAMES, keyPassword: password.name, ...options.names },
  });
  if (configured) return { identity: configured, findings: diagnoseIdentity(configured, { now }), origin: { kind: 'files' } };
  const extra: Finding[] = [];
  if (config.acme) {
    const acme = config.acme;
    const stored = storedAcmeIdentity({ ...config, acme }, cwd);
    const store = AcmeStore.in(resolve(cwd, signing.certsDir));
    const status = store.status();
    const origin = { kind: 'acme', folder: store.folder, domains: acme.domains, directoryUrl: acme.directoryUrl, status } as const;
    if ('identity' in stored) {
      // Renewal is automatic: only its failure, or a week left, is worth a warning.
      const findings = [...renewalFindings(status), ...diagnoseIdentity(stored.identity, { now, expiryWarningDays: URGENT_DAYS })];
      return { identity: stored.identity, findings: sortFindings(findings), origin: { ...origin, issued: true } };
    }
    extra.push({
      severity: 'warning',
      code: 'acme-not-issued',
      message: `${stored.missing}: the server gets one when it starts; until then the development identity signs`,
    });
    const development = developmentIdentity(resolve(cwd, signing.certsDir), config.organization.name, now);
    const findings = sortFindings([...extra, ...renewalFindings(status), ...diagnoseIdentity(development.identity, { now })]);
    return {
      identity: development.identity,
      findings,
      origin: { ...origin, issued: false },
      ...(development.created ? { createdDevelopmentCa: development.caPath } : {}),
    };
  }
  const development = developmentIdentity(resolve(cwd, signing.certsDir), config.organization.name, now);
  const findings = diagnoseIdentity(development.identity, { now });
  return {
    identity: development.identity,
    findings,
    origin: { kind: 'development' },
    ...(development.created ? { createdDevelopmentCa: development.caPath } : {}),
  };
}

const ORDER: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };
const sortFindings = (findings: Finding[]) => findings.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);

/**
 * The Signer for Apple profiles. Warnings go to `log`; problems that would make devices reject
 * the signature throw SIGNING_FAILED. Safe to call from several threads or processes at once on
 * first use: the development identity is created atomically.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- async so that a refusal is a rejection: callers .catch() it
export async function signerFromConfig(config: Config, options: SigningOptions = {}): Promise<Signer> {
  const loaded = loadSigningIdentity(config, options);
  const refused = refusalOf(loaded.identity, loaded.findings);
  if (refused) throw refused;
  if (loaded.createdDevelopmentCa) options.log?.(`generated a development signing identity; its CA certificate is ${loaded.createdDevelopmentCa}`);
  for (const finding of loaded.findings) if (finding.severity === 'warning') options.log?.(finding.message);
  return createSigner(loaded.identity, options.now ? { clock: options.now } : {});
}
