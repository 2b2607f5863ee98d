// `mailsetup check [PROVIDER…|--all]`: connects to every server of the catalog and checks it
// against what the catalog declares; exits non-zero when one fails, so it can run from cron.
import { checkProviders, type ServerCheck } from '../../discovery/check.js';
import { MailsetupError } from '../../errors.js';
import { CATALOG_OPTIONS, type Command } from '../command.js';
import { checkLine, cliDiscovery } from '../discovery.js';

function text(checks: readonly ServerCheck[]): string {
  const lines = checks.map((check) => {
    const head = `${check.problems.length === 0 ? 'ok    ' : 'FAILED'}  ${check.usedBy.join(', ')}  ${checkLine(check.report)}`;
    return [head, ...check.problems.map((p) => `          ${p.kind}: ${p.message}`)].join('\n');
  });
  const failed = checks.filter((c) => c.problems.length > 0).length;
  lines.push(`${checks.length} server(s) checked, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'Connect to the catalog servers and check TLS, expiry, STARTTLS and AUTH against the catalog; non-zero exit on a failure.',
  usage: `mailsetup check [PROVIDER...|--all] [--json]

  PROVIDER             provider ids to check (e.g. nstu rackcorp)
  --all                every provider in the catalog
  --json               the results as JSON
  --providers PATH     add provider files or folders (repeatable)

Each server is checked for: reachable, speaking its protocol, a valid certificate for its name
(Node's trusted roots, MAILSETUP_DISCOVERY_CA, or the provider's ca), not expiring within 30
days, STARTTLS where declared, and the first declared authentication method offered.`,
  positionals: true,
  options: { all: { type: 'boolean' }, json: { type: 'boolean' }, ...CATALOG_OPTIONS },
  async run(run) {
    const catalog = run.catalog();
    if (run.values.all && run.positionals.length > 0) {
      throw new MailsetupError('USAGE', 'give provider ids or --all, not both', { field: 'providers', rule: 'usage' });
    }
    if (!run.values.all && run.positionals.length === 0) {
      throw new MailsetupError('USAGE', 'name the providers to check, or --all', { field: 'providers', rule: 'usage' });
    }
    const providers = run.values.all ? catalog.list() : run.positionals.map((id) => catalog.get(id));
    const checks = await checkProviders(providers, cliDiscovery(run));
    run.io.stdout(run.values.json ? `${JSON.stringify(checks, null, 2)}\n` : text(checks));
    const failed = checks.filter((c) => c.problems.length > 0);
    if (failed.length > 0) {
      const kinds = [...new Set(failed.flatMap((c) => c.problems.map((p) => p.kind)))].join(', ');
      throw new MailsetupError('CHECK_FAILED', `${failed.length} of ${checks.length} server(s) failed (${kinds})`, { field: 'servers', rule: 'check-failed' });
    }
    return 0;
  },
};
