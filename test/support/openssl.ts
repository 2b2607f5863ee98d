// The openssl command line as tests' independent judge of what we sign and build.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function openssl(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Buffer {
  return execFileSync('openssl', args, { input: options.input, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Verifies a signed profile (CMS, DER) against a CA file with `openssl cms -verify`; returns the content inside. Throws if it does not verify. */
export function opensslVerify(signed: Buffer, caFile: string, dir: string): Buffer {
  return opensslVerifySigned(signed, caFile, dir).content;
}

/** The same check, also giving the signer's certificate as openssl read it from the envelope. */
export function opensslVerifySigned(signed: Buffer, caFile: string, dir: string): { content: Buffer; signer: X509Certificate } {
  const input = join(dir, `verify-${process.hrtime.bigint()}.der`);
  writeFileSync(input, signed);
  openssl([
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    input,
    '-CAfile',
    caFile,
    '-purpose',
    'any',
    '-signer',
    `${input}.signer.pem`,
    '-out',
    `${input}.out`,
  ]);
  return { content: readFileSync(`${input}.out`), signer: new X509Certificate(readFileSync(`${input}.signer.pem`)) };
}

/** A self-signed P-256 server certificate for 127.0.0.1, valid two days, made with the openssl command line. */
export function selfSignedLoopback(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl([
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert],
    ...['-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1'],
  ]);
  return { key, cert };
}
