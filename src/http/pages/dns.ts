// The DNS records page for administrators (/dns, and /dns/:domain when a browser asks for HTML):
// the records that point mail programs at this service and the mail servers, as a zone snippet
// and as rows a person reads.
import type { Request, Response, Router } from 'express';
import { MailsetupError } from '../../errors.js';
import { MAIL_SERVICES, type DnsRecord } from '../../formats/dns-zone.js';
import { translator, type Translate } from '../../i18n.js';
import { dnsSnippet, type DnsSnippet } from '../../service/dns.js';
import { askedHost } from '../autodiscovery.js';
import { locals } from '../middleware.js';
import { localize, providerName, type Language } from '../../model/provider.js';
import type { ProviderCatalog } from '../../providers/catalog.js';
import { fieldErrors, fieldsOf, pageSender, queryOf, type Fields, type PageKit } from './kit.js';

export interface DnsRecordRow {
  name: string;
  type: string;
  target: string;
  port: string;
  purpose: string;
  notOffered: boolean;
}

/** The locale key that says what a record is for: `web.dns.purpose.imaps`, `…autodiscover-srv`, … */
function purposeKey(record: DnsRecord): string {
  if (record.type === 'CNAME') return `web.dns.purpose.${record.purpose}`;
  if (record.purpose === '_autodiscover._tcp') return 'web.dns.purpose.autodiscover-srv';
  const service = MAIL_SERVICES.find((s) => s.label === record.purpose);
  return `web.dns.purpose.${service ? service.label.slice(1, service.label.indexOf('.')) : 'other'}`;
}

export function dnsRecordRows(records: readonly DnsRecord[], domain: string, t: Translate): DnsRecordRow[] {
  return records.map((record) => {
    const notOffered = record.target === '.';
    return {
      name: record.name,
      type: record.type,
      target: notOffered ? t('web.dns.notOffered') : record.target,
      port: record.port === undefined || notOffered ? '' : `${record.port} (${t('web.dns.priority')} ${record.priority})`,
      purpose: t(purposeKey(record), { domain }),
      notOffered,
    };
  });
}

/** Everything the dns-records template shows for one domain. */
export function dnsResultView(snippet: DnsSnippet, t: Translate, plainHref: string, language: Language = 'en') {
  return {
    domain: snippet.domain,
    serviceHost: snippet.serviceHost,
    providerName: providerName(snippet.provider, language),
    zone: snippet.zone,
    rows: dnsRecordRows(snippet.records, snippet.domain, t),
    plainHref,
    jsonHref: `${plainHref}${plainHref.includes('?') ? '&' : '?'}format=json`,
  };
}

/** Every provider's variants as the servers a domain's records can point at: `provider/variant`. */
export function serverChoices(catalog: ProviderCatalog, language: Language, chosen: { provider?: string | undefined; variant?: string | undefined }) {
  return catalog.list().map((provider) => ({
    name: providerName(provider, language),
    options: provider.variants.map((variant) => ({
      value: `${provider.id}/${variant.id}`,
      // The group's name is not shown once chosen, so each option says the provider too.
      label:
        provider.variants.length > 1
          ? `${providerName(provider, language)} · ${localize(variant.name, language, variant.id)}`
          : providerName(provider, language),
      selected: chosen.provider === provider.id && (chosen.variant ?? provider.variants[0]!.id) === variant.id,
    })),
  }));
}

/** `servers=rackcorp/us` from the form, else `provider` and `variant` as the text and JSON links carry them. */
function chosenServers(values: Fields): { provider: string | undefined; variant: string | undefined } {
  const [provider, variant] = values.servers?.split('/', 2) ?? [];
  return values.servers ? { provider, variant } : { provider: values.provider, variant: values.variant };
}

export function dnsRoutes(router: Router, kit: PageKit): void {
  const page = pageSender(kit);
  const { config, catalog } = kit.deps;
  // GET /dns/:domain reaches here when the browser asks for HTML (autodiscovery.ts answers the rest).
  const dnsPage = (req: Request, res: Response) => {
    const language = locals(res).language;
    const t = translator(language);
    const values = fieldsOf({ ...req.query, ...(req.params.domain === undefined ? {} : { domain: req.params.domain }) }, [
      'domain',
      'host',
      'provider',
      'variant',
      'servers',
    ]);
    const chosen = chosenServers(values);
    // Opened by IP address without a public host configured, nothing can be shown: the field is then required.
    const defaultHost = config.autodiscovery.publicHost ?? askedHost(req);
    const view: Record<string, unknown> = {
      domain: values.domain ?? '',
      host: values.host ?? '',
      defaultHost: defaultHost ?? '',
      serverChoices: serverChoices(catalog, language, chosen),
      serversChosen: chosen.provider !== undefined,
      errors: {},
      errorList: [],
    };
    let status = 200;
    if (values.domain !== undefined) {
      try {
        const snippet = dnsSnippet(
          { domain: values.domain, serviceHost: values.host ?? defaultHost, provider: chosen.provider, variant: chosen.variant, language },
          catalog,
        );
        const plain = queryOf({ host: values.host, ...chosen }, ['host', 'provider', 'variant']);
        plain.set('format', 'text');
        plain.set('lang', language);
        view.result = dnsResultView(snippet, t, `/dns/${encodeURIComponent(snippet.domain)}?${plain.toString()}`, language);
      } catch (thrown) {
        if (!(thrown instanceof MailsetupError) || thrown.status >= 500) throw thrown;
        // The catalog names the address's field; here the domain is the field.
        const error = thrown.field === 'email' ? new MailsetupError(thrown.code, thrown.message, { field: 'domain', rule: thrown.rule }) : thrown;
        const errors = fieldErrors(error, t);
        Object.assign(view, { errors: errors.byField, errorList: errors.list, domainUnknown: error.rule === 'known-domain' });
        status = error.status;
      }
    }
    page(req, res, 'dns', 'web.dns.title', view, { status, wide: true });
  };
  router.get('/dns', dnsPage);
  router.get('/dns/:domain', dnsPage);
}
