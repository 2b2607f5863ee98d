// `mailsetup identity`: where the signing identity comes from and its diagnostics (the same ones
// the web app prints at start-up), with the ACME renewal status the server keeps, so an operator
// can check a new certificate before switching to it, or see why a renewal failed.
import type { IdentityOrigin } from '../../signing/index.js';
import type { Command } from '../command.js';
import { cliIdentity, SIGNING_OPTIONS, SIGNING_USAGE } from '../signing.js';

function describeOrigin(origin: IdentityOrigin): string {
  if (origin.kind === 'files') return 'configured files';
  if (origin.kind === 'development') return 'the development identity (no certificate configured)';
  return `ACME, ${origin.domains.join(', ')} from ${origin.directoryUrl}${origin.issued ? '' : ' (no certificate issued yet)'}`;
}

export const identityCommand: Command = {
  name: 'identity',
  summary: 'Check the signing identity: where it comes from, key, chain, validity, renewal.',
  usage: `mailsetup identity [--json] [signing options]

  --json                the findings as JSON
${SIGNING_USAGE}
Without options it checks the configured identity (MAILSETUP_SIGNING_*), else the ACME
certificate the server keeps in certs/acme/ (MAILSETUP_ACME_DOMAINS) with its next renewal and
last renewal error, else the development one. Exit code 0 when it can sign, 6 when it cannot.`,
  options: { json: { type: 'boolean' }, ...SIGNING_OPTIONS },
  run(run) {
    const loaded = cliIdentity(run.values, run.io, run.config());
    const findings = loaded.findings;
    const ok = !findings.some((f) => f.severity === 'error');
    if (run.values.json) {
      run.io.stdout(`${JSON.stringify({ ok, development: loaded.identity.development, origin: loaded.origin, findings }, null, 2)}\n`);
    } else {
      if (loaded.createdDevelopmentCa) run.io.stdout(`generated a development signing identity; its CA certificate is ${loaded.createdDevelopmentCa}\n`);
      run.io.stdout(`from: ${describeOrigin(loaded.origin)}\n`);
      for (const f of findings) run.io.stdout(`${f.severity === 'info' ? '' : `${f.severity}: `}${f.message}\n`);
      run.io.stdout(ok ? 'result: this identity can sign profiles\n' : 'result: this identity cannot sign profiles\n');
    }
    return Promise.resolve(ok ? 0 : 6);
  },
};
