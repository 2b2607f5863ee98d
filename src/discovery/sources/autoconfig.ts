// Thunderbird autoconfig published by a domain (draft-ietf-mailmaint-autoconfig):
// autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=… and <domain>/.well-known/autoconfig/…,
// read with the ISPDB importer's hardened reader. Over https they are trusted; over http (as
// Thunderbird also tries) anyone on the path could have changed them, so they rank lower.
import type { EmailParts } from '../../model/rules.js';
import { readClientConfig } from '../../providers/ispdb.js';
import type { SourceId } from '../result.js';
import { outcomeOf, type Candidate, type Step, type StepAnswer, type StepContext } from './context.js';

export function autoconfigUrls(domain: string, email: EmailParts, scheme: 'https' | 'http'): string[] {
  const query = new URLSearchParams({ emailaddress: email.ascii }).toString();
  return [`${scheme}://autoconfig.${domain}/mail/config-v1.1.xml?${query}`, `${scheme}://${domain}/.well-known/autoconfig/mail/config-v1.1.xml?${query}`];
}

/** The servers of a clientConfig document, host names filled in for the address's domain. */
export function serversOfDocument(body: Buffer, origin: string, email: EmailParts, source: SourceId): { servers: Candidate[] } | { reason: string } {
  const read = readClientConfig({ file: origin, content: body });
  if (!read.ok) return { reason: read.reason };
  return {
    servers: read.servers.map((server) => ({
      protocol: server.protocol,
      host: server.host.replaceAll('%EMAILDOMAIN%', email.asciiDomain).toLowerCase(),
      port: server.port,
      socket: server.socket,
      auth: server.auth,
      login: server.login,
      source,
      origin,
    })),
  };
}

/** Fetches the documents in parallel; the first URL (in order) with a usable document wins. */
export async function fetchAutoconfig(context: StepContext, urls: string[], source: SourceId): Promise<StepAnswer | undefined> {
  const answers = urls.map(async (url) => {
    try {
      const fetched = await context.fetch(url, { maxBytes: context.maxDocumentBytes, maxRedirects: 2 });
      const read = serversOfDocument(fetched.body, fetched.url, context.email, source);
      if ('reason' in read) {
        context.attempt({ source, target: url, outcome: 'failed', detail: read.reason });
        return undefined;
      }
      context.attempt({ source, target: url, outcome: 'found', detail: `${read.servers.length} server(s)` });
      return read.servers;
    } catch (error) {
      context.attempt({ source, target: url, ...outcomeOf(error) });
      return undefined;
    }
  });
  for (const answer of answers) {
    const servers = await answer;
    if (servers) return { servers, ...(source === 'autoconfig-http' ? { lessTrusted: servers[0]!.origin } : {}) };
  }
  return undefined;
}

export const autoconfigStep: Step = {
  source: 'autoconfig',
  run: (context) => fetchAutoconfig(context, autoconfigUrls(context.email.asciiDomain, context.email, 'https'), 'autoconfig'),
};

export const autoconfigHttpStep: Step = {
  source: 'autoconfig-http',
  run: (context) => fetchAutoconfig(context, autoconfigUrls(context.email.asciiDomain, context.email, 'http'), 'autoconfig-http'),
};
