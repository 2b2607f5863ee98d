// How three Autodiscover clients read a POX answer, each rewritten from its own rules so tests can
// assert what that client would take from ours:
// - Outlook: MS-OXDSCLI 3.1.5 (the Action element decides: follow RedirectUrl or RedirectAddr,
//   or take the <Protocol> settings).
// - Thunderbird: mail/components/accountcreation/modules/ExchangeAutoDiscover.sys.mjs (the
//   response as JXON: element names as keys, `$Name` lists, leaf text as string/number/boolean;
//   RedirectAddr is the only redirect it follows; EXCH/EXHTTP give the EWS URL, EXPR is ignored).
// - exchangelib up to 4.x (its POX reader, exchangelib/autodiscover/properties.py): namespaced
//   ElementTree lookups, exact element names (`RedirectURL`), EXPR before EXCH, a <User> needed.
import { execFileSync } from 'node:child_process';
import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import { xmllint } from './xml-check.js';

const BASE_NS = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';
const OUTLOOK_NS = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';

function documentOf(xml: string): Element {
  xmllint(xml);
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(xml, 'text/xml');
  if (errors.length > 0) throw new Error(`not well-formed: ${errors[0]}`);
  return doc.documentElement as unknown as Element;
}

const childElements = (parent: Element) => Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === 1);

// ---------------------------------------------------------------------------------------------
// Outlook (MS-OXDSCLI).

export type OutlookReading =
  { action: 'redirectUrl'; url: string } | { action: 'redirectAddr'; address: string } | { action: 'settings'; protocols: Record<string, string>[] };

/** What Outlook does next: the Action element names it; only HTTPS redirect URLs are followed. */
export function outlookRead(xml: string): OutlookReading {
  const root = documentOf(xml);
  if (root.namespaceURI !== BASE_NS || root.localName !== 'Autodiscover') throw new Error('not an Autodiscover response');
  const inOutlookNs = (parent: Element, name: string) => childElements(parent).filter((e) => e.namespaceURI === OUTLOOK_NS && e.localName === name);
  const response = inOutlookNs(root, 'Response')[0];
  const account = response && inOutlookNs(response, 'Account')[0];
  if (!account) throw new Error('no Account');
  const text = (name: string) => inOutlookNs(account, name)[0]?.textContent?.trim();
  const action = text('Action');
  if (action === 'redirectUrl') {
    const url = text('RedirectUrl');
    if (!url?.startsWith('https://')) throw new Error(`Outlook follows HTTPS redirect URLs only, not ${url}`);
    return { action, url };
  }
  if (action === 'redirectAddr') return { action, address: text('RedirectAddr') ?? '' };
  if (action !== 'settings') throw new Error(`unknown Action ${action}`);
  const protocols = inOutlookNs(account, 'Protocol').map((p) => Object.fromEntries(childElements(p).map((c) => [c.localName!, c.textContent?.trim() ?? ''])));
  if (protocols.length === 0) throw new Error('settings without a Protocol');
  return { action, protocols };
}

// ---------------------------------------------------------------------------------------------
// Thunderbird.

type Jxon = string | number | boolean | JxonObject;
interface JxonObject {
  [key: string]: Jxon | Jxon[];
}

/** Leaf text as Thunderbird's JXON turns it into a value. */
function jxonText(value: string): string | number | boolean {
  if (/^(?:true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  return Number.isFinite(Number(value)) ? Number.parseFloat(value) : value;
}

/** The JXON tree (verbosity 1) of a node: keys are node names, `$name` lists every child of that name. */
function jxon(node: Node): Jxon {
  const elements = Array.from(node.childNodes).filter((n): n is Element => n.nodeType === 1);
  const text = Array.from(node.childNodes)
    .filter((n) => n.nodeType === 3 || n.nodeType === 4)
    .map((n) => n.nodeValue ?? '')
    .join('');
  const attributes = (node as Element).attributes;
  if (elements.length === 0 && (!attributes || attributes.length === 0)) return text === '' ? true : jxonText(text);
  const result: JxonObject = {};
  for (const element of elements) {
    const name = element.nodeName;
    const value = jxon(element);
    if (!(name in result)) {
      result[name] = value;
      result[`$${name}`] = [];
    }
    (result[`$${name}`] as Jxon[]).push(value);
  }
  for (const attribute of Array.from(attributes ?? [])) result[`@${attribute.name}`] = jxonText(attribute.value);
  return result;
}

export interface ThunderbirdServer {
  type: string;
  hostname: string;
  port: number;
  username: string;
  exchangeURL?: string;
}

export type ThunderbirdReading =
  | { redirectAddr: string }
  | { incoming: ThunderbirdServer; incomingAlternatives: ThunderbirdServer[]; outgoing: ThunderbirdServer | 'global preferred server' };

const isObject = (value: unknown): value is JxonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
/** A leaf's text as Thunderbird's code gets it (numbers and booleans as JXON made them). */
const leaf = (value: Jxon | Jxon[] | undefined): string => (typeof value === 'object' || value === undefined ? '' : String(value));

/**
 * Thunderbird's reading: a RedirectAddr starts over with that address; otherwise the Account must
 * hold <Protocol> elements, or it fails ("no autodiscover"). EXCH/EXHTTP give the Exchange server
 * (EWS URL from EwsUrl, else ASUrl; host and port from that URL); IMAP/POP3/SMTP become servers.
 * The config counts only when complete (an incoming server with host, port and username).
 */
export function thunderbirdRead(xml: string, username?: string): ThunderbirdReading {
  const tree = jxon(new DOMParser().parseFromString(xml, 'text/xml'));
  const account = isObject(tree) && isObject(tree.Autodiscover) && isObject(tree.Autodiscover.Response) ? tree.Autodiscover.Response.Account : undefined;
  if (isObject(account) && account.RedirectAddr !== undefined) return { redirectAddr: leaf(account.RedirectAddr) };
  if (!isObject(account) || !('Protocol' in account)) throw new Error('no autodiscover');
  const login = username ?? '%EMAILADDRESS%';
  let incoming: ThunderbirdServer | undefined;
  const incomingAlternatives: ThunderbirdServer[] = [];
  let outgoing: ThunderbirdServer | undefined;
  for (const protocol of (account.$Protocol as Jxon[]).filter(isObject)) {
    const type = leaf(protocol.Type);
    if (type === 'EXCH' || type === 'EXHTTP') {
      const url = typeof protocol.EwsUrl === 'string' ? protocol.EwsUrl : typeof protocol.ASUrl === 'string' ? protocol.ASUrl : undefined;
      if (!url || !/^https?:\/\//.test(url)) continue;
      const parsed = new URL(url);
      incoming = { type: 'exchange', hostname: parsed.hostname, port: parsed.port ? Number(parsed.port) : 443, username: login, exchangeURL: url };
    } else if (type === 'IMAP' || type === 'POP3' || type === 'SMTP') {
      const server: ThunderbirdServer = {
        type: type.toLowerCase(),
        hostname: leaf(protocol.Server),
        port: Number(protocol.Port),
        username: protocol.LoginName !== undefined ? leaf(protocol.LoginName) : login,
      };
      if (type === 'SMTP') outgoing ??= server;
      else if (!incoming) incoming = server;
      else incomingAlternatives.push(server);
    }
    // EXPR is not read; WEB (Outlook Web App links) is never in our answers.
  }
  if (!incoming || !incoming.hostname || !incoming.port || !incoming.username) throw new Error('No valid configs found in AutoDiscover XML');
  // An Exchange config sends through the global preferred SMTP server.
  return { incoming, incomingAlternatives, outgoing: outgoing ?? 'global preferred server' };
}

// ---------------------------------------------------------------------------------------------
// exchangelib (POX, up to 4.x), in Python's ElementTree as exchangelib reads it.

export type ExchangelibReading =
  { redirectAddress: string } | { redirectUrl: string } | { ewsUrl: string; protocol: string; authType: string | null; smtpAddress: string };

const EXCHANGELIB_SCRIPT = String.raw`
import sys, json, xml.etree.ElementTree as ET
BASE = '{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}'
R = '{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}'
root = ET.fromstring(sys.stdin.buffer.read())
if root.tag != BASE + 'Autodiscover':
    sys.exit('Unknown root element')
response = root.find(R + 'Response')
if response is None:
    sys.exit('Unknown autodiscover error response')
account = response.find(R + 'Account')
action = account.findtext(R + 'Action')
if action not in ('redirectUrl', 'redirectAddr', 'settings'):
    sys.exit('invalid Action %r' % action)
if action == 'redirectAddr' and account.findtext(R + 'RedirectAddr'):
    print(json.dumps({'redirectAddress': account.findtext(R + 'RedirectAddr')})); sys.exit(0)
if action == 'redirectUrl' and account.findtext(R + 'RedirectURL'):
    print(json.dumps({'redirectUrl': account.findtext(R + 'RedirectURL')})); sys.exit(0)
user = response.find(R + 'User')
smtp = user.findtext(R + 'AutoDiscoverSMTPAddress') if (user is not None and action == 'settings') else None
if not smtp:
    if user is None:
        sys.exit("AttributeError: 'NoneType' object has no attribute 'autodiscover_smtp_address'")
    smtp = sys.argv[1]
protocols = {}
for p in account.findall(R + 'Protocol'):
    if p.findtext(R + 'EwsUrl'):
        protocols[p.findtext(R + 'Type')] = p
chosen = protocols.get('EXPR') if 'EXPR' in protocols else protocols.get('EXCH')
if chosen is None:
    sys.exit('No EWS URL found in any of the available protocols')
auth_required = (chosen.findtext(R + 'AuthRequired') or 'on').lower() in ('on', 'true')
package = chosen.findtext(R + 'AuthPackage')
auth = 'NOAUTH' if not auth_required else ({'basic': 'basic', 'kerb': 'GSSAPI', 'kerbntlm': 'NTLM', 'ntlm': 'NTLM', 'certificate': 'CBA', 'negotiate': 'SSPI', 'nego2': 'GSSAPI', 'anonymous': 'NOAUTH'}.get(package.lower()) if package else None)
print(json.dumps({'ewsUrl': chosen.findtext(R + 'EwsUrl'), 'protocol': chosen.findtext(R + 'Type'), 'authType': auth, 'smtpAddress': smtp}))
`;

/** exchangelib's reading of the answer to `email`; throws with its failure when it gives up. */
export function exchangelibRead(xml: string, email: string): ExchangelibReading {
  xmllint(xml);
  return JSON.parse(
    execFileSync('python3', ['-c', EXCHANGELIB_SCRIPT, email], { input: xml, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }),
  ) as ExchangelibReading;
}
