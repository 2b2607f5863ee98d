// `mailsetup identity`: the signing identity's diagnostics (the same ones the web app prints at
// start-up), so an operator can check a new certificate before switching to it.
import type { Command } from '../command.js';
import { cliIdentity, SIGNING_OPTIONS, SIGNING_USAGE } from '../signing.js';

export const identityCommand: Command = {
  name: 'identity',
  summary: 'Check the signing identity: key, chain, validity, key usage.',
  usage: `mailsetup identity [--json] [signing options]

  --json                the findings as JSON
${SIGNING_USAGE}
Without options it checks the configured identity (MAILSETUP_SIGNING_*), or the development one.
Exit code 0 when it can sign, 6 when it cannot.`,
  options: { json: { type: 'boolean' }, ...SIGNING_OPTIONS },
  run(run) {
    const loaded = cliIdentity(run.values, run.io, run.config());
    const findings = loaded.findings;
    const ok = !findings.some((f) => f.severity === 'error');
    if (run.values.json) {
      run.io.stdout(`${JSON.stringify({ ok, development: loaded.identity.development, findings }, null, 2)}\n`);
    } else {
      if (loaded.createdDevelopmentCa) run.io.stdout(`generated a development signing identity; its CA certificate is ${loaded.createdDevelopmentCa}\n`);
      for (const f of findings) run.io.stdout(`${f.severity === 'info' ? '' : `${f.severity}: `}${f.message}\n`);
      run.io.stdout(ok ? 'result: this identity can sign profiles\n' : 'result: this identity cannot sign profiles\n');
    }
    return Promise.resolve(ok ? 0 : 6);
  },
};
