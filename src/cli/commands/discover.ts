// `mailsetup discover ADDRESS`: finds the servers of an address's domain (catalog, autoconfig,
// MX, SRV, Autodiscover, guessing), checks them by connecting, and says where each came from.
import { MailsetupError } from '../../errors.js';
import { emailPartsOf } from '../../model/rules.js';
import { notFoundError, SOURCE_NAMES } from '../../discovery/explain.js';
import { discoveryJson } from '../../discovery/json.js';
import type { DiscoveryResult } from '../../discovery/result.js';
import { CATALOG_OPTIONS, type Command } from '../command.js';
import { checkLine, cliDiscovery, protocolName } from '../discovery.js';

function text(result: DiscoveryResult): string {
  const lines: string[] = [];
  const from = result.source ? SOURCE_NAMES[result.source] : 'nothing';
  lines.push(
    `${result.email}: ${result.found ? `found by ${from}` : 'no complete set of servers found'}${result.provider ? ` (${result.provider.name})` : ''}${result.cached ? ', from the cache' : ''}`,
  );
  for (const server of result.servers) {
    const state = result.probed ? (server.verified ? 'verified' : 'not verified') : 'not checked';
    lines.push(
      `  ${protocolName(server.protocol)}  ${server.host}:${server.port}  ${server.socket}  from ${SOURCE_NAMES[server.source]} (${server.origin})  ${state}`,
    );
  }
  if (result.exchange) lines.push(`  Exchange  ${result.exchange.host}  from ${SOURCE_NAMES[result.exchange.source]}`);
  if (result.checks.length > 0) lines.push('checks:', ...result.checks.map((c) => `  ${checkLine(c)}`));
  if (result.warnings.length > 0) lines.push('warnings:', ...result.warnings.map((w) => `  ${w.message}`));
  lines.push('tried:', ...result.attempts.map((a) => `  ${SOURCE_NAMES[a.source]}: ${a.target}: ${a.outcome}${a.detail ? ` (${a.detail})` : ''}`));
  return `${lines.join('\n')}\n`;
}

export const discoverCommand: Command = {
  name: 'discover',
  summary: "Find an address's mail servers (catalog, autoconfig, MX, SRV, Autodiscover, guessing) and check them.",
  usage: `mailsetup discover ADDRESS [--json] [--no-probe] [--password-stdin [--login LOGIN]]

  ADDRESS              the email address, e.g. ivan@example.org
  --json               the whole answer as JSON (servers, sources, checks, warnings, what was tried)
  --no-probe           look things up only: connect to nothing (no checks, no guessing)
  --password-stdin     also try logging in with the password read from standard input (never stored)
  --login LOGIN        the login for that test (default: the servers' own, else the address)
  --providers PATH     add provider files or folders (repeatable)
  --default-provider ID provider for domains no provider lists (not used by discovery)`,
  positionals: true,
  options: { json: { type: 'boolean' }, 'no-probe': { type: 'boolean' }, 'password-stdin': { type: 'boolean' }, login: { type: 'string' }, ...CATALOG_OPTIONS },
  async run(run) {
    const [address, ...extra] = run.positionals;
    if (address === undefined || extra.length > 0) {
      throw new MailsetupError('USAGE', 'give exactly one address: mailsetup discover ADDRESS', { field: 'address', rule: 'usage' });
    }
    const probe = !run.values['no-probe'];
    if (run.values['password-stdin'] && !probe) {
      throw new MailsetupError('USAGE', '--password-stdin tests a login, which needs connections: leave out --no-probe', {
        field: '--password-stdin',
        rule: 'usage',
      });
    }
    const password = run.values['password-stdin'] ? (await run.io.readStdin()).replace(/\r?\n$/, '') : undefined;
    const result = await cliDiscovery(run).discover({ email: emailPartsOf(address), probe, password, login: run.string('login') });
    run.io.stdout(run.values.json ? `${JSON.stringify(discoveryJson(result), null, 2)}\n` : text(result));
    if (!result.found) throw notFoundError(result);
    return 0;
  },
};
