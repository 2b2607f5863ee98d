// The openssl command line as tests' independent judge of what we sign and build.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function openssl(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Buffer {
  return execFileSync('openssl', args, { input: options.input, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Verifies a signed profile (CMS, DER) against a CA file with `openssl cms -verify`; returns the content inside. Throws if it does not verify. */
export function opensslVerify(signed: Buffer, caFile: string, dir: string): Buffer {
  const input = join(dir, `verify-${process.hrtime.bigint()}.der`);
  const output = `${input}.out`;
  writeFileSync(input, signed);
  openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', input, '-CAfile', caFile, '-purpose', 'any', '-out', output]);
  return readFileSync(output);
}
