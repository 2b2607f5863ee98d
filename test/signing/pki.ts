// Test certificate authorities made with the openssl command line (never with our own code):
// root → intermediate → signer, RSA or EC, with whatever flaw a test needs.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openssl, opensslVerify } from '../support/openssl.js';

export type KeyKind = 'rsa' | 'ec' | 'ec384';

export interface Issued {
  name: string;
  key: string;
  cert: string;
}

export { openssl, opensslVerify };

const EXTENSIONS = `
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer_no_digital_signature]
basicConstraints = CA:FALSE
keyUsage = critical, keyEncipherment
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:mail.example.test
`;

const stamp = (date: Date) => `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

export class TestPki {
  private serial = 1;

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'newcerts'), { recursive: true });
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'ext.cnf'), EXTENSIONS);
    writeFileSync(
      join(dir, 'ca.cnf'),
      `[ca]\ndefault_ca = test\n[test]\ndir = ${dir}\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}/newcerts\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\nemail_in_dn = no\n[any]\ncommonName = supplied\norganizationName = optional\n`,
    );
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  key(name: string, kind: KeyKind): string {
    const file = this.path(`${name}.key`);
    const options =
      kind === 'rsa'
        ? ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
        : ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${kind === 'ec' ? 'P-256' : 'P-384'}`];
    openssl(['genpkey', ...options, '-out', file]);
    return file;
  }

  /** A self-signed root. */
  root(name: string, kind: KeyKind): Issued {
    const key = this.key(name, kind);
    const cert = this.path(`${name}.pem`);
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-subj',
      `/O=mailsetup tests/CN=${name}`,
      '-days',
      '3650',
      '-sha256',
      '-config',
      this.path('ext.cnf'),
      '-extensions',
      'ca',
      '-out',
      cert,
    ]);
    return { name, key, cert };
  }

  /** A certificate for `name` issued by `issuer` through `openssl ca`, which allows any dates. */
  issue(
    name: string,
    kind: KeyKind,
    issuer: Issued,
    options: { extensions?: string; md?: string; notBefore?: Date; notAfter?: Date; key?: string; serverNames?: string[] } = {},
  ): Issued {
    const key = options.key ?? this.key(name, kind);
    const csr = this.path(`${name}.csr`);
    const cert = this.path(`${name}.pem`);
    openssl(['req', '-new', '-key', key, '-subj', `/O=mailsetup tests/CN=${name}`, '-out', csr]);
    writeFileSync(this.path('serial'), `${(this.serial++).toString(16).padStart(4, '0')}\n`);
    const now = Date.now();
    openssl([
      'ca',
      '-batch',
      '-notext',
      '-config',
      this.path('ca.cnf'),
      '-cert',
      issuer.cert,
      '-keyfile',
      issuer.key,
      '-in',
      csr,
      '-out',
      cert,
      '-md',
      options.md ?? 'sha256',
      '-startdate',
      stamp(options.notBefore ?? new Date(now - 24 * 3600 * 1000)),
      '-enddate',
      stamp(options.notAfter ?? new Date(now + 3 * 365 * 24 * 3600 * 1000)),
      '-extfile',
      options.serverNames ? this.serverExtensions(name, options.serverNames) : this.path('ext.cnf'),
      '-extensions',
      options.serverNames ? 'server' : (options.extensions ?? 'signer'),
    ]);
    return { name, key, cert };
  }

  /** A TLS server certificate's extensions for these DNS names. */
  private serverExtensions(name: string, names: string[]): string {
    const file = this.path(`${name.replace(/[^\w.-]/g, '_')}.server.cnf`);
    writeFileSync(
      file,
      `[server]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = ${names.map((n) => `DNS:${n}`).join(', ')}\n`,
    );
    return file;
  }

  /** root → intermediate → signer, all of one key kind. */
  chain(prefix: string, kind: KeyKind, signer: { extensions?: string; notBefore?: Date; notAfter?: Date; intermediateMd?: string } = {}) {
    const root = this.root(`${prefix} Root`, kind);
    const intermediate = this.issue(`${prefix} Intermediate`, kind, root, {
      extensions: 'ca',
      ...(signer.intermediateMd ? { md: signer.intermediateMd } : {}),
    });
    const leaf = this.issue(`${prefix} Signer`, kind, intermediate, signer);
    return { root, intermediate, leaf };
  }

  /** Concatenates PEM files into a new one (fullchain.pem style). */
  concat(file: string, ...parts: string[]): string {
    const path = this.path(file);
    writeFileSync(path, parts.map((p) => readFileSync(p, 'utf8')).join(''));
    return path;
  }

  /** A PKCS #12 file written by this OpenSSL with its defaults (or the given extra options). */
  p12(file: string, issued: Issued, chain: string[], password: string, extra: string[] = []): string {
    const path = this.path(file);
    const certfile = chain.length > 0 ? ['-certfile', this.concat(`${file}.chain.pem`, ...chain)] : [];
    openssl(['pkcs12', '-export', '-inkey', issued.key, '-in', issued.cert, ...certfile, '-passout', 'env:P12_PASSWORD', '-out', path, ...extra], {
      env: { P12_PASSWORD: password },
    });
    return path;
  }
}
