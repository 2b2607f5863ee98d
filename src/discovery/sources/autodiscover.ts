// Outlook's Autodiscover POX ([MS-OXDSCLI]) asked the way Outlook asks: the _autodiscover._tcp SRV
// record's host, autodiscover.<domain> and the domain itself, over https only. The answer is
// parsed with the same hardened XML reader as this service's own Autodiscover endpoint.
import { create } from 'xmlbuilder2';
import type { Element as XmlElement } from '@xmldom/xmldom';
import { AUTODISCOVER_OUTLOOK_RESPONSE_NS } from '../../formats/autodiscover.js';
import { OUTLOOK_REQUEST_SCHEMA, parseStrictXml } from '../../formats/autodiscover-request.js';
import type { SocketType } from '../../model/account.js';
import { DEFAULTS, type MailProtocol } from '../../model/defaults.js';
import { toAsciiHost } from '../../model/rules.js';
import type { FoundExchange } from '../result.js';
import { bySrvPreference } from './srv.js';
import { outcomeOf, type Candidate, type Step, type StepAnswer, type StepContext } from './context.js';

export function autodiscoverRequestBody(address: string): string {
  return create({ version: '1.0', encoding: 'utf-8' })
    .ele(OUTLOOK_REQUEST_SCHEMA, 'Autodiscover')
    .ele('Request')
    .ele('EMailAddress')
    .txt(address)
    .up()
    .ele('AcceptableResponseSchema')
    .txt(AUTODISCOVER_OUTLOOK_RESPONSE_NS)
    .up()
    .up()
    .end();
}

const ELEMENT_NODE = 1;

function children(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE && (node as XmlElement).localName === name) found.push(node as XmlElement);
  }
  return found;
}

const text = (element: XmlElement, name: string) => (children(element, name)[0]?.textContent ?? '').trim() || undefined;

const PROTOCOL_TYPES: Readonly<Record<string, MailProtocol>> = { IMAP: 'imap', POP3: 'pop3', SMTP: 'smtp' };

/** Encryption overrides SSL; TLS means STARTTLS. Never inferred from the port. */
function socketOf(protocol: XmlElement): SocketType {
  const encryption = text(protocol, 'Encryption')?.toUpperCase();
  if (encryption === 'SSL') return 'SSL';
  if (encryption === 'TLS') return 'STARTTLS';
  if (encryption === 'NONE') return 'plain';
  return text(protocol, 'SSL')?.toLowerCase() === 'off' ? 'plain' : 'SSL';
}

export type AutodiscoverAnswer =
  | { kind: 'settings'; servers: Candidate[]; exchange: FoundExchange | undefined }
  | { kind: 'redirect-url'; url: string }
  | { kind: 'redirect-address'; address: string }
  | { kind: 'error'; reason: string };

/** Reads an Autodiscover POX answer (settings, or a redirect to follow). */
export function readAutodiscoverResponse(body: Buffer, origin: string, maxBytes: number): AutodiscoverAnswer {
  let root: XmlElement;
  try {
    root = parseStrictXml(body, maxBytes);
  } catch (error) {
    return { kind: 'error', reason: (error as Error).message.replace(/^body: /, '') };
  }
  if (root.localName !== 'Autodiscover') return { kind: 'error', reason: `the root element is <${root.localName}>, not <Autodiscover>` };
  const [response] = children(root, 'Response');
  if (!response) return { kind: 'error', reason: 'the answer has no <Response>' };
  const [error] = children(response, 'Error');
  if (error) return { kind: 'error', reason: `the server answered with an error: ${text(error, 'Message') ?? text(error, 'ErrorCode') ?? 'no message'}` };
  const [account] = children(response, 'Account');
  if (!account) return { kind: 'error', reason: 'the answer has no <Account>' };
  const action = text(account, 'Action')?.toLowerCase();
  if (action === 'redirecturl') {
    const url = text(account, 'RedirectUrl');
    return url ? { kind: 'redirect-url', url } : { kind: 'error', reason: 'redirectUrl without a URL' };
  }
  if (action === 'redirectaddr') {
    const address = text(account, 'RedirectAddr');
    return address ? { kind: 'redirect-address', address } : { kind: 'error', reason: 'redirectAddr without an address' };
  }
  const servers: Candidate[] = [];
  let exchange: FoundExchange | undefined;
  for (const protocol of children(account, 'Protocol')) {
    const type = text(protocol, 'Type')?.toUpperCase() ?? '';
    const host = toAsciiHost(text(protocol, 'Server') ?? '');
    if (!host) continue;
    if (type === 'EXCH' || type === 'EXPR') {
      exchange ??= { host, ewsUrl: text(protocol, 'EwsUrl'), source: 'autodiscover', origin };
      continue;
    }
    const mail = PROTOCOL_TYPES[type];
    const port = Number(text(protocol, 'Port'));
    if (!mail || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    servers.push({
      protocol: mail,
      host,
      port,
      socket: socketOf(protocol),
      auth: [DEFAULTS.auth],
      login: text(protocol, 'LoginName'),
      source: 'autodiscover',
      origin,
    });
  }
  if (servers.length === 0 && !exchange) return { kind: 'error', reason: 'the answer names no IMAP, POP3, SMTP or Exchange server' };
  return { kind: 'settings', servers, exchange };
}

async function ask(context: StepContext, url: string): Promise<StepAnswer | undefined> {
  let address = context.email.ascii;
  let target = url;
  // One redirect of each kind, as Outlook follows them; https only.
  for (let hops = 0; hops < 3; hops++) {
    let answer: AutodiscoverAnswer;
    try {
      const fetched = await context.fetch(target, {
        method: 'POST',
        body: autodiscoverRequestBody(address),
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        maxBytes: context.maxDocumentBytes,
        maxRedirects: 1,
      });
      answer = readAutodiscoverResponse(fetched.body, fetched.url, context.maxDocumentBytes);
    } catch (error) {
      context.attempt({ source: 'autodiscover', target, ...outcomeOf(error) });
      return undefined;
    }
    if (answer.kind === 'settings') {
      context.attempt({
        source: 'autodiscover',
        target,
        outcome: 'found',
        detail: `${answer.servers.length} server(s)${answer.exchange ? ' and Exchange' : ''}`,
      });
      return { servers: answer.servers, exchange: answer.exchange };
    }
    if (answer.kind === 'error') {
      context.attempt({ source: 'autodiscover', target, outcome: 'failed', detail: answer.reason });
      return undefined;
    }
    if (answer.kind === 'redirect-url') {
      if (!answer.url.startsWith('https://')) {
        context.attempt({ source: 'autodiscover', target, outcome: 'failed', detail: `redirects to ${answer.url}, which is not https` });
        return undefined;
      }
      context.attempt({ source: 'autodiscover', target, outcome: 'skipped', detail: `redirects to ${answer.url}` });
      target = answer.url;
    } else {
      context.attempt({ source: 'autodiscover', target, outcome: 'skipped', detail: `redirects to the address ${answer.address}` });
      address = answer.address;
    }
  }
  return undefined;
}

export const autodiscoverStep: Step = {
  source: 'autodiscover',
  async run(context) {
    const domain = context.email.asciiDomain;
    const srvName = `_autodiscover._tcp.${domain}`;
    const fromSrv = (async () => {
      try {
        const [record] = bySrvPreference(await context.dns.srv(srvName));
        if (!record || record.name === '' || record.name === '.') {
          context.attempt({ source: 'autodiscover', target: `SRV ${srvName}`, outcome: 'nothing' });
          return undefined;
        }
        context.attempt({ source: 'autodiscover', target: `SRV ${srvName}`, outcome: 'found', detail: `${record.name}:${record.port}` });
        const host = record.name.replace(/\.$/, '');
        return ask(context, `https://${host}${record.port === 443 ? '' : `:${record.port}`}/autodiscover/autodiscover.xml`);
      } catch (error) {
        context.attempt({ source: 'autodiscover', target: `SRV ${srvName}`, ...outcomeOf(error) });
        return undefined;
      }
    })();
    const direct = [`https://autodiscover.${domain}/autodiscover/autodiscover.xml`, `https://${domain}/autodiscover/autodiscover.xml`].map((url) =>
      ask(context, url),
    );
    for (const answer of [fromSrv, ...direct]) {
      const found = await answer;
      if (found) return found;
    }
    return undefined;
  },
};
