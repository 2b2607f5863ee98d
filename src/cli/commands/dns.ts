// `mailsetup dns DOMAIN`: the zone-file records that make mail clients find this service and the mail servers.
import { checkDnsRecords } from '../../discovery/dns-check.js';
import { MailsetupError } from '../../errors.js';
import { port as portRule } from '../../model/rules.js';
import { dnsSnippet } from '../../service/dns.js';
import { CATALOG_OPTIONS, languageOption, type Command, type CommandRun } from '../command.js';
import { cliDiscovery } from '../discovery.js';
import type { DnsSnippet } from '../../service/dns.js';

/** --check: the records as published now, compared with what they should be. */
async function checkPublished(run: CommandRun, snippet: DnsSnippet): Promise<number> {
  const portText = run.string('https-port') ?? '443';
  const parsed = portRule.safeParse(portText);
  if (!parsed.success)
    throw new MailsetupError('INVALID_INPUT', `"${portText}" is not a port between 1 and 65535`, { field: '--https-port', rule: 'port-range' });
  const service = cliDiscovery(run);
  const checks = await checkDnsRecords(snippet.records, snippet.serviceHost, {
    dns: service.dns,
    network: service.network({ extraPorts: [parsed.data] }),
    now: Date.now,
    httpsPort: parsed.data,
  });
  if (run.values.json) run.io.stdout(`${JSON.stringify({ domain: snippet.domain, serviceHost: snippet.serviceHost, checks }, null, 2)}\n`);
  else run.io.stdout(checks.map((c) => `${c.ok ? 'ok    ' : 'FAILED'}  ${c.message}\n`).join(''));
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    throw new MailsetupError('CHECK_FAILED', `${failed.length} of ${checks.length} DNS and certificate check(s) failed for ${snippet.domain}`, {
      field: 'domain',
      rule: 'check-failed',
    });
  }
  return 0;
}

export const dnsCommand: Command = {
  name: 'dns',
  summary: 'Print the DNS records to publish for a mail domain (autoconfig, Autodiscover, RFC 6186 SRV).',
  usage: `mailsetup dns DOMAIN [--service-host HOST] [--provider ID] [--variant ID] [--language en|ru|sv] [--json]

  DOMAIN                the mail domain, e.g. nstu.ru
  --service-host HOST   the host this service answers on (default: MAILSETUP_PUBLIC_HOST)
  --provider ID         provider serving the domain (default: found from the domain, then the default provider)
  --variant ID          provider variant or region, e.g. rackcorp: global, us, mn
  --language LANG       language of the comments (default: en)
  --json                the records as JSON instead of a zone-file snippet
  --check               check the records as published now: autoconfig and autodiscover names reach the
                        service host, SRV records name the catalog's servers, the service's TLS
                        certificate covers every name (exit 17 when one does not)
  --https-port N        the port the service answers HTTPS on, for --check (default 443)
  --providers PATH      add provider files or folders (repeatable)
  --default-provider ID provider for domains no provider lists`,
  positionals: true,
  options: {
    'service-host': { type: 'string' },
    provider: { type: 'string' },
    variant: { type: 'string' },
    language: { type: 'string' },
    json: { type: 'boolean' },
    check: { type: 'boolean' },
    'https-port': { type: 'string' },
    ...CATALOG_OPTIONS,
  },
  run(run) {
    const [domain, ...extra] = run.positionals;
    if (domain === undefined || extra.length > 0) {
      throw new MailsetupError('USAGE', 'give exactly one domain: mailsetup dns DOMAIN', { field: 'domain', rule: 'usage' });
    }
    const language = languageOption(run);
    const snippet = dnsSnippet(
      {
        domain,
        serviceHost: run.string('service-host') ?? run.config().autodiscovery.publicHost,
        provider: run.string('provider'),
        variant: run.string('variant'),
        ...(language !== undefined ? { language } : {}),
      },
      run.catalog(),
    );
    if (run.values.check) return checkPublished(run, snippet);
    if (run.values.json) {
      const { domain: name, serviceHost, provider, variant, records } = snippet;
      run.io.stdout(`${JSON.stringify({ domain: name, serviceHost, provider: provider.id, variant: variant.id, records }, null, 2)}\n`);
    } else {
      run.io.stdout(snippet.zone);
    }
    return Promise.resolve(0);
  },
};
