// The ACME account and certificate on disk, in certs/acme/: every file mode 0600 in a 0700
// folder, each written to a temporary file and renamed into place, so a crash or a reader never
// sees half a file. Reused across restarts; `mailsetup identity` reads the renewal status here.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MailsetupError } from '../errors.js';

export const ACME_FOLDER = 'acme';

const FILES = {
  accountKey: 'account-key.pem',
  accounts: 'accounts.json',
  key: 'key.pem',
  chain: 'fullchain.pem',
  certificate: 'certificate.json',
  status: 'status.json',
} as const;

/** What the stored certificate was ordered for: a change of any of these orders a new one. */
export interface CertificateOrder {
  directoryUrl: string;
  domains: string[];
  keyType: 'ecdsa' | 'rsa';
}

export interface StoredCertificate {
  keyPem: string;
  chainPem: string;
  order: CertificateOrder;
  /** When it was stored (ISO 8601). */
  issuedAt: string;
}

/** What the renewal loop last did and plans next; ISO 8601 times. */
export interface RenewalStatus {
  /** The certificate in use: its expiry and SHA-256 fingerprint. */
  validTo?: string;
  fingerprint256?: string;
  nextRenewal?: string;
  /** Why that time: `two-thirds` of the lifetime, the CA's `ari` window, or `retry` after a failure. */
  nextRenewalReason?: 'two-thirds' | 'ari' | 'retry';
  lastRenewal?: string;
  lastAttempt?: string;
  /** The last failure, kept until a renewal succeeds. */
  lastError?: string;
  failures: number;
}

export class AcmeStore {
  constructor(readonly folder: string) {}

  static in(certsDir: string): AcmeStore {
    return new AcmeStore(join(certsDir, ACME_FOLDER));
  }

  path(file: keyof typeof FILES): string {
    return join(this.folder, FILES[file]);
  }

  private read(file: keyof typeof FILES): string | undefined {
    try {
      return readFileSync(this.path(file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.failure(error, 'read');
    }
  }

  private readJson<T>(file: keyof typeof FILES): T | undefined {
    const text = this.read(file);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }

  private write(files: Partial<Record<keyof typeof FILES, string>>): void {
    try {
      mkdirSync(this.folder, { recursive: true, mode: 0o700 });
      chmodSync(this.folder, 0o700);
      const temporary = Object.entries(files).map(([file, text]) => {
        const path = this.path(file as keyof typeof FILES);
        const partial = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
        writeFileSync(partial, text, { mode: 0o600 });
        return [partial, path] as const;
      });
      for (const [partial, path] of temporary) renameSync(partial, path);
    } catch (error) {
      throw this.failure(error, 'write');
    }
  }

  private failure(error: unknown, what: 'read' | 'write'): MailsetupError {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return new MailsetupError(
      'IO',
      `cannot ${what} the ACME files in ${this.folder} (${code}); the folder must be writable by the account that runs mailsetup`,
      {
        field: 'MAILSETUP_CERTS_DIR',
        rule: 'writable',
        cause: error,
      },
    );
  }

  accountKey(): string | undefined {
    return this.read('accountKey');
  }

  saveAccountKey(pem: string): void {
    this.write({ accountKey: pem });
  }

  /** The account's URL at a CA, one per directory (the same key may hold accounts at several). */
  accountUrl(directoryUrl: string): string | undefined {
    return this.readJson<Record<string, string>>('accounts')?.[directoryUrl];
  }

  saveAccountUrl(directoryUrl: string, accountUrl: string): void {
    this.write({ accounts: `${JSON.stringify({ ...this.readJson<Record<string, string>>('accounts'), [directoryUrl]: accountUrl }, null, 2)}\n` });
  }

  /** The certificate key, kept across renewals so the signer's key stays the same. */
  certificateKey(): string | undefined {
    return this.read('key');
  }

  certificate(): StoredCertificate | undefined {
    const keyPem = this.read('key');
    const chainPem = this.read('chain');
    const meta = this.readJson<{ order: CertificateOrder; issuedAt: string }>('certificate');
    if (!keyPem || !chainPem || !meta?.order) return undefined;
    return { keyPem, chainPem, order: meta.order, issuedAt: meta.issuedAt };
  }

  saveCertificate(certificate: StoredCertificate): void {
    const meta = { order: certificate.order, issuedAt: certificate.issuedAt };
    this.write({ key: certificate.keyPem, chain: certificate.chainPem, certificate: `${JSON.stringify(meta, null, 2)}\n` });
  }

  status(): RenewalStatus | undefined {
    return this.readJson<RenewalStatus>('status');
  }

  saveStatus(status: RenewalStatus): void {
    this.write({ status: `${JSON.stringify(status, null, 2)}\n` });
  }
}

/** Why a stored certificate does not fit the configuration (undefined when it does). */
export function orderMismatch(stored: CertificateOrder, wanted: CertificateOrder): string | undefined {
  if (stored.directoryUrl !== wanted.directoryUrl) return `it is from ${stored.directoryUrl}, and MAILSETUP_ACME_DIRECTORY is now ${wanted.directoryUrl}`;
  const names = (list: readonly string[]) => [...list].sort().join(', ');
  if (names(stored.domains) !== names(wanted.domains)) return `it names ${names(stored.domains)}, and MAILSETUP_ACME_DOMAINS is now ${names(wanted.domains)}`;
  if (stored.keyType !== wanted.keyType) return `its key is ${stored.keyType}, and MAILSETUP_ACME_KEY_TYPE is now ${wanted.keyType}`;
  return undefined;
}
