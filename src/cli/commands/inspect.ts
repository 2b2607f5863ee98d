// `mailsetup inspect FILE`: what a .mobileconfig is (signed? by whom? valid for Apple's schema?)
// and what it would install, before anyone sends it out. Passwords are never shown.
import { readFileSync } from 'node:fs';
import { MailsetupError } from '../../errors.js';
import { inspectProfile, type CertificateSummary, type InspectReport } from '../../service/inspect.js';
import type { Command } from '../command.js';
import { resolveOutput } from '../io.js';

const day = (iso: string) => iso.slice(0, 10);
const certificateLine = (c: CertificateSummary) => `${c.subject}  [${c.key}, ${day(c.validFrom)} to ${day(c.validTo)}, ${c.status}]`;

function describe(report: InspectReport, name: string): string[] {
  const lines = [`file: ${name} (${report.size} bytes)`];
  const signature = report.signature;
  if (!signature) {
    lines.push('signed: no (devices show it as "Not Verified")');
  } else {
    lines.push(
      `signed: yes, ${signature.valid ? 'signature valid' : 'SIGNATURE INVALID'} (${signature.digestAlgorithm}${signature.signingTime ? `, signed ${signature.signingTime}` : ''})`,
    );
    for (const problem of signature.problems) lines.push(`  problem: ${problem}`);
    if (signature.signer) {
      lines.push(
        `signer: ${signature.signer.subject}`,
        `  issuer: ${signature.signer.issuer}`,
        `  valid: ${signature.signer.validFrom} to ${signature.signer.validTo} (${signature.signer.status})`,
      );
    }
    lines.push('chain in the file:');
    signature.chain.forEach((c, i) => lines.push(`  ${i}: ${certificateLine(c)}`));
    for (const c of signature.otherCertificates) lines.push(`  also included (not in the chain): ${certificateLine(c)}`);
    const rootKind = {
      embedded: 'included in the file',
      public: 'publicly trusted',
      development: 'the mailsetup development CA',
      unknown: 'not included, not publicly trusted',
    }[signature.root.kind];
    lines.push(`root: ${signature.root.subject || '(none)'} (${rootKind})`);
    lines.push(`devices will show: ${signature.deviceShows} (${signature.deviceShowsReason})`);
  }
  if (report.profileError) {
    lines.push(`profile: ${report.profileError}`);
    return lines;
  }
  const profile = report.profile!;
  lines.push(
    `profile: "${profile.displayName ?? ''}"${profile.organization ? ` from ${profile.organization}` : ''}, for ${profile.device}${profile.scope ? `, scope ${profile.scope}` : ''}`,
  );
  lines.push(`  identifier: ${profile.identifier ?? '(none)'}  uuid: ${profile.uuid ?? '(none)'}`);
  if (profile.consentText) lines.push('  asks for consent before installing');
  if (profile.removalDate) lines.push(`  removes itself on ${profile.removalDate}`);
  for (const check of report.schema) {
    if (check.problems.length === 0) lines.push(`Apple schema (${check.os}): passes`);
    else {
      lines.push(`Apple schema (${check.os}): ${check.problems.length} problem(s)`);
      for (const problem of check.problems) lines.push(`  ${problem.path || '(profile)'}: ${problem.message}`);
    }
  }
  lines.push('installs:');
  if (report.installs.length === 0) lines.push('  nothing (no payloads)');
  for (const payload of report.installs) {
    const account = payload.account;
    if (!account) {
      lines.push(
        `  ${payload.type}${payload.displayName ? ` "${payload.displayName}"` : ''}${payload.passwordKeys.length ? ` (holds ${payload.passwordKeys.join(', ')})` : ''}`,
      );
      continue;
    }
    lines.push(
      `  ${account.kind} account ${account.email ?? '(no address)'}${account.senderName ? ` for ${account.senderName}` : ''}${payload.displayName ? ` ("${payload.displayName}")` : ''}`,
    );
    for (const s of account.servers) {
      const where = `${s.host ?? '(no host)'}${s.port !== undefined ? `:${s.port}` : ''}${s.path ?? ''}`;
      const auth = s.authentication ? `, ${s.authentication}` : '';
      lines.push(
        `    ${s.protocol} ${where}, ${s.ssl ? 'TLS' : 'NO TLS'}, login ${s.username ?? '(none)'}${auth}, password ${s.passwordEmbedded ? 'embedded' : 'not embedded (asked at install)'}`,
      );
    }
  }
  lines.push(`passwords embedded: ${report.passwordsEmbedded ? 'yes (anyone with the file can read them; values not shown)' : 'no'}`);
  return lines;
}

/** A problem worth a non-zero exit: a bad signature, an unreadable profile, schema failures. */
function hasProblems(report: InspectReport): boolean {
  return Boolean(report.profileError) || (report.signature !== undefined && !report.signature.valid) || report.schema.some((s) => s.problems.length > 0);
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'Show whether a .mobileconfig is signed, by whom, and what it installs.',
  usage: `mailsetup inspect FILE [--json]

  FILE       a .mobileconfig, signed or not, made by mailsetup or anything else
  --json     the report as JSON
Exit code 0 when the file is a valid profile with a valid signature (or unsigned), 2 when the
signature, the profile or its Apple schema check has problems.`,
  options: { json: { type: 'boolean' } },
  positionals: true,
  run(run) {
    const [file, ...extra] = run.positionals;
    if (!file || extra.length > 0) throw new MailsetupError('USAGE', 'give one file to inspect: mailsetup inspect FILE', { field: 'file', rule: 'one-file' });
    const path = resolveOutput(run.io, file);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (error) {
      throw new MailsetupError('IO', `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { field: 'file', rule: 'readable' });
    }
    const report = inspectProfile(data);
    if (run.values.json) run.io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else run.io.stdout(`${describe(report, file).join('\n')}\n`);
    return Promise.resolve(hasProblems(report) ? 2 : 0);
  },
};
