// `mailsetup dns DOMAIN`: the zone-file records that make mail clients find this service and the mail servers.
import { MailsetupError } from '../../errors.js';
import { dnsSnippet } from '../../service/dns.js';
import { CATALOG_OPTIONS, languageOption, type Command } from '../command.js';

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
  --providers PATH      add provider files or folders (repeatable)
  --default-provider ID provider for domains no provider lists`,
  positionals: true,
  options: {
    'service-host': { type: 'string' },
    provider: { type: 'string' },
    variant: { type: 'string' },
    language: { type: 'string' },
    json: { type: 'boolean' },
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
    if (run.values.json) {
      const { domain: name, serviceHost, provider, variant, records } = snippet;
      run.io.stdout(`${JSON.stringify({ domain: name, serviceHost, provider: provider.id, variant: variant.id, records }, null, 2)}\n`);
    } else {
      run.io.stdout(snippet.zone);
    }
    return Promise.resolve(0);
  },
};
