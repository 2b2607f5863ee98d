// Thunderbird ISPDB importer: `clientConfig` v1.1 XML (draft-ietf-mailmaint-autoconfig) into
// provider catalog entries. Each file is either loaded or skipped with a reason people can act on.
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { MailsetupError } from '../errors.js';
import { AUTH_METHODS, SOCKET_TYPES, type AuthMethod, type SocketType } from '../model/account.js';
import { DEFAULTS } from '../model/defaults.js';
import { providerFileEntrySchema, type LocalizedText, type Provider, type ProviderFileEntry } from '../model/provider.js';
import { PLACEHOLDERS, hasControlCharacters, toAsciiHost, toUnicodeDomain } from '../model/rules.js';
import { issuesOf } from '../model/validate.js';
import { normalizeProvider } from './catalog.js';

/** ISPDB files are a few kilobytes; anything this large is not one. */
const MAX_FILE_BYTES = 1024 * 1024;
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LANGUAGE_KEY = /^[a-z]{2}(-[A-Za-z]{2})?$/;
const ELEMENT_NODE = 1;

/** Thunderbird's older names for two methods, still accepted by its reader. */
const AUTH_ALIASES: Readonly<Record<string, AuthMethod>> = { plain: 'password-cleartext', secure: 'password-encrypted' };
/**
 * Outgoing values that mean "no login": the server takes mail from the provider's own network, or
 * after a POP3 login. Thunderbird's reader (readFromXML) sends through such a server without
 * authentication, so they import as `none`; on incoming servers it knows neither, nor do we.
 */
const OUTGOING_WITHOUT_LOGIN: ReadonlySet<string> = new Set(['client-IP-address', 'smtp-after-pop']);
const SERVER_TYPES = { incomingServer: ['imap', 'pop3'], outgoingServer: ['smtp'] } as const;

export interface IspdbSource {
  /** Shown in reasons and notes; only its base name is written to output files. */
  file: string;
  content: string | Buffer;
}

export interface IspdbSkip {
  file: string;
  reason: string;
}

export interface IspdbNote {
  file: string;
  note: string;
}

export interface IspdbLoaded {
  file: string;
  /** Validated, in the provider file format (what an organisation's file holds). */
  entry: ProviderFileEntry;
  /** The same entry as the catalog completes it. */
  provider: Provider;
}

export interface IspdbImport {
  loaded: IspdbLoaded[];
  skipped: IspdbSkip[];
  notes: IspdbNote[];
}

export interface IspdbImportOptions {
  /** Domains already served elsewhere (domain → provider id): imported entries leave them out. */
  knownDomains?: ReadonlyMap<string, string>;
  /** Ids already in the catalog: an imported entry never takes one (it would replace that provider). */
  reservedIds?: Iterable<string>;
}

/** Why a file is not loaded; thrown inside the converter, reported as a skip. */
class Skip extends Error {
  /** When set, the file's notes (why each server was left out) are appended to the reason. */
  constructor(
    message: string,
    readonly explainedByNotes = false,
  ) {
    super(message);
  }
}

interface ParsedServer {
  /** `outgoingServer #1 (smtp)`: how notes name it. */
  label: string;
  protocol: 'imap' | 'pop3' | 'smtp';
  /** May hold %EMAILDOMAIN%, expanded per domain when the entry is built. */
  host: string;
  port: number;
  socket: SocketType;
  auth: AuthMethod[];
  login: string | undefined;
}

interface ParsedConfig {
  file: string;
  providerId: string;
  name: string;
  shortName: string | undefined;
  domains: string[];
  servers: ParsedServer[];
  documentation: { url: string; description: LocalizedText }[];
  enable: { url: string; instruction: LocalizedText } | undefined;
  webmail: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading XML: strict, UTF-8 only, no DOCTYPE (so no entity declarations to expand).

function decode(content: string | Buffer): string {
  if (typeof content === 'string') return content.replace(/^\uFEFF/, '');
  if (content.length > MAX_FILE_BYTES) throw new Skip(`larger than ${MAX_FILE_BYTES / 1024} KiB; ISPDB files are a few kilobytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(content);
  } catch {
    throw new Skip('not valid UTF-8 text');
  }
}

function parseXml(text: string): Element {
  if (text.length > MAX_FILE_BYTES) throw new Skip(`larger than ${MAX_FILE_BYTES / 1024} KiB; ISPDB files are a few kilobytes`);
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new Skip('declares a DOCTYPE or entities; such files are refused so that no entity is ever expanded');
  }
  const declared = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']/i.exec(text)?.[1];
  if (declared && !/^(utf-8|us-ascii)$/i.test(declared)) throw new Skip(`declares encoding ${declared}; only UTF-8 files are read`);
  const problems: string[] = [];
  let document;
  try {
    document = new DOMParser({ onError: (level, message) => void problems.push(`${level}: ${message.split('\n')[0]}`) }).parseFromString(text, 'text/xml');
  } catch (error) {
    throw new Skip(`not well-formed XML (${problems[0] ?? (error as Error).message.split('\n')[0]})`);
  }
  if (problems.length > 0) throw new Skip(`not well-formed XML (${problems[0]})`);
  const root = document.documentElement;
  if (!root) throw new Skip('not well-formed XML (no root element)');
  if (localName(root) !== 'clientConfig') throw new Skip(`the root element is <${root.nodeName}>, not <clientConfig>`);
  return root;
}

function localName(element: Element): string {
  return element.localName ?? element.nodeName;
}

function children(parent: Element, name?: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE && (name === undefined || localName(node as Element) === name)) found.push(node as Element);
  }
  return found;
}

/** Text as people read it: whitespace (including line breaks) collapsed, controls removed. */
function text(element: Element | undefined): string {
  return (element?.textContent ?? '')
    .replace(/\s+/gu, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu, '') // eslint-disable-line no-control-regex -- controls are what it removes
    .trim();
}

function attribute(element: Element, name: string): string | undefined {
  const value = element.getAttribute(name)?.trim();
  return value ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// From the XML tree to plain data.

function webUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Texts keyed by language. A text without `lang` is taken as English (ISPDB's default); a regional
 * tag becomes its language (`en-US` → `en`) unless that is taken, so lookups by `en` find it.
 */
function localized(elements: Element[], what: string, note: (text: string) => void): LocalizedText | undefined {
  const texts = elements.map((el) => ({ lang: attribute(el, 'lang'), value: text(el) })).filter((t) => t.value !== '');
  if (texts.length === 0) return undefined;
  if (texts.length === 1 && texts[0]!.lang === undefined) return texts[0]!.value;
  const result: Record<string, string> = {};
  for (const { lang, value } of texts) {
    const [primary = '', region] = (lang ?? 'en').toLowerCase().replace('_', '-').split('-');
    const key = primary in result && region ? `${primary}-${region.toUpperCase()}` : primary;
    if (!LANGUAGE_KEY.test(key)) {
      note(`${what} in language "${lang}" left out: language codes look like en or pt-BR`);
      continue;
    }
    if (!(key in result)) result[key] = value;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function checkLogin(value: string): string | undefined {
  const rest = PLACEHOLDERS.reduce((acc, placeholder) => acc.replaceAll(placeholder, ''), value);
  if (rest.includes('%REALNAME%')) return "builds the login from the person's name (%REALNAME%), which mailsetup does not ask for";
  if (rest.includes('%')) return `has a placeholder mailsetup does not know ("${value}"; known: ${PLACEHOLDERS.join(', ')})`;
  if (/\s/u.test(value) || hasControlCharacters(value)) return `"${value}" contains spaces`;
  return undefined;
}

function parseServer(element: Element, protocol: ParsedServer['protocol'], label: string, note: (text: string) => void): ParsedServer | undefined {
  const skip = (why: string) => {
    note(`${label} skipped: ${why}`);
    return undefined;
  };
  const host = text(children(element, 'hostname')[0]);
  if (!host) return skip('no hostname');
  const hostRest = host.replaceAll('%EMAILDOMAIN%', 'example.org');
  if (hostRest.includes('%')) return skip(`hostname "${host}" has a placeholder other than %EMAILDOMAIN%`);
  if (!toAsciiHost(hostRest)) return skip(`"${host}" is not a valid host name`);
  const portText = text(children(element, 'port')[0]);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return skip(portText ? `port "${portText}" is not between 1 and 65535` : 'no port');
  const socketText = text(children(element, 'socketType')[0]);
  const socket = SOCKET_TYPES.find((s) => s === socketText);
  if (!socket) return skip(socketText ? `socketType "${socketText}" is not SSL, STARTTLS or plain` : 'no socketType');
  const auth: AuthMethod[] = [];
  for (const el of children(element, 'authentication')) {
    const value = text(el);
    let method = (AUTH_METHODS as readonly string[]).includes(value) ? (value as AuthMethod) : AUTH_ALIASES[value];
    if (!method && protocol === 'smtp' && OUTGOING_WITHOUT_LOGIN.has(value)) {
      method = 'none';
      note(`${label}: authentication "${value}" imported as none (sending needs no login, as Thunderbird reads it)`);
    }
    if (!method) note(`${label}: authentication "${value}" left out (mailsetup knows ${AUTH_METHODS.join(', ')})`);
    else if (!auth.includes(method)) auth.push(method);
  }
  // Thunderbird, too, drops a server none of whose methods it knows (and keeps the provider's others).
  if (auth.length === 0) return skip('no authentication method mailsetup supports');
  const usernames = children(element, 'username');
  const login = usernames.length > 0 ? text(usernames[0]) : undefined;
  if (login) {
    const problem = checkLogin(login);
    if (problem) return skip(`username ${problem}`);
  }
  return { label, protocol, host, port, socket, auth, login: login || undefined };
}

/** Reads one clientConfig file; throws Skip when nothing usable is in it. */
function parseClientConfig(source: IspdbSource, note: (text: string) => void): ParsedConfig {
  const root = parseXml(decode(source.content));
  const providers = children(root, 'emailProvider');
  const provider = providers[0];
  if (!provider) throw new Skip('no <emailProvider> element');
  if (providers.length > 1) note(`${providers.length} <emailProvider> elements; only the first is read`);
  const providerId = attribute(provider, 'id');
  if (!providerId) throw new Skip('<emailProvider> has no id');

  const domains: string[] = [];
  for (const el of children(provider, 'domain')) {
    const value = text(el);
    // purpose="mx" names the provider's MX hosts (Thunderbird matches them after an MX lookup),
    // not addresses' domains; the catalog looks providers up by address, so they are left out.
    if (attribute(el, 'purpose') === 'mx') {
      note(`domain ${value} left out: it is an MX host name (purpose="mx"), not a mail domain`);
      continue;
    }
    const ascii = toAsciiHost(value);
    if (!ascii || !ascii.includes('.')) {
      note(`domain "${value}" left out: not a domain name`);
      continue;
    }
    if (!domains.includes(ascii)) domains.push(ascii);
  }

  const servers: ParsedServer[] = [];
  const counters: Record<string, number> = {};
  for (const el of children(provider)) {
    const kind = localName(el);
    if (kind !== 'incomingServer' && kind !== 'outgoingServer') continue;
    const type = attribute(el, 'type') ?? '';
    const index = (counters[kind] = (counters[kind] ?? 0) + 1);
    const label = `${kind} #${index} (${type || 'no type'})`;
    const allowed = SERVER_TYPES[kind] as readonly string[];
    if (!allowed.includes(type)) {
      note(`${label} skipped: mailsetup imports ${kind === 'incomingServer' ? 'IMAP and POP3' : 'SMTP'} servers only`);
      continue;
    }
    const server = parseServer(el, type as ParsedServer['protocol'], label, note);
    if (server) servers.push(server);
  }
  if (!servers.some((s) => s.protocol !== 'smtp')) throw new Skip('no usable IMAP or POP3 server', true);
  if (!servers.some((s) => s.protocol === 'smtp')) throw new Skip('no usable SMTP server', true);

  const documentation: ParsedConfig['documentation'] = [];
  // Some old files use <instruction url> for help pages; it means the same as <documentation>.
  const docElements = children(provider).filter((el) => localName(el) === 'documentation' || (localName(el) === 'instruction' && el.hasAttribute('url')));
  for (const el of docElements) {
    const raw = attribute(el, 'url');
    const url = webUrl(raw);
    if (!url) {
      note(`documentation "${raw ?? ''}" left out: not an http(s) address`);
      continue;
    }
    if (documentation.some((d) => d.url === url)) continue;
    documentation.push({ url, description: localized(children(el, 'descr'), 'documentation text', note) ?? url });
  }

  // <enable> sits inside <emailProvider> in most files and beside it in a few (yandex.ru, googlemail.com).
  let enable: ParsedConfig['enable'];
  const enableElement = children(provider, 'enable')[0] ?? children(root, 'enable')[0];
  if (enableElement) {
    const raw = attribute(enableElement, 'visiturl');
    const url = webUrl(raw);
    const instruction = localized(children(enableElement, 'instruction'), 'enable instruction', note);
    if (!url) note(`enable step left out: visiturl "${raw ?? ''}" is not an http(s) address`);
    else if (!instruction) note('enable step left out: it has no instruction text');
    else enable = { url, instruction };
  }

  const loginPage = children(root, 'webMail').flatMap((el) => children(el, 'loginPage'))[0];
  const webmail = loginPage ? webUrl(attribute(loginPage, 'url')) : undefined;

  // A few files name the provider after the address (%EMAILDOMAIN%): the first domain stands in.
  const nameText = (element: string) => {
    const value = text(children(provider, element)[0]);
    const filled = domains[0] ? value.replaceAll('%EMAILDOMAIN%', toUnicodeDomain(domains[0])) : value;
    if (filled.includes('%')) {
      note(`${element} "${value}" left out: it holds a placeholder`);
      return '';
    }
    return filled;
  };
  const displayName = nameText('displayName');
  let shortName = nameText('displayShortName') || undefined;
  if (shortName && shortName.length > 40) {
    note('displayShortName left out: longer than 40 characters');
    shortName = undefined;
  }
  return {
    file: source.file,
    providerId,
    name: (displayName || shortName || providerId).slice(0, 120),
    shortName,
    domains,
    servers,
    documentation,
    enable,
    webmail,
  };
}

// ---------------------------------------------------------------------------------------------
// From plain data to a catalog entry.

/** A catalog id from an ISPDB id: lower case; characters ids cannot hold become hyphens. */
export function ispdbIdentifier(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64)
    .replace(/[._-]+$/, '');
}

/** The login most servers use becomes the provider's; servers that differ keep their own. */
function providerLogin(servers: readonly ParsedServer[]): string {
  const counts = new Map<string, number>();
  for (const server of servers) if (server.login) counts.set(server.login, (counts.get(server.login) ?? 0) + 1);
  let best: [string, number] = [DEFAULTS.login, 0];
  for (const entry of counts) if (entry[1] > best[1]) best = entry;
  return best[0];
}

function buildEntry(config: ParsedConfig, id: string, domains: string[], note: (text: string) => void): Record<string, unknown> {
  const login = providerLogin(config.servers);
  // A server that needs a login but names none gets the provider's (the username its other servers
  // use); one that takes mail without a login needs none.
  for (const server of config.servers) {
    if (!server.login && server.auth.some((method) => method !== 'none')) note(`${server.label} has no username: it uses the provider's login ${login}`);
  }
  const serversFor = (domain: string | undefined) =>
    config.servers.map((s) => ({
      protocol: s.protocol,
      host: domain === undefined ? s.host : s.host.replaceAll('%EMAILDOMAIN%', domain),
      port: s.port,
      socket: s.socket,
      auth: s.auth,
      ...(s.login && s.login !== login ? { login: s.login } : {}),
    }));
  const perDomain = config.servers.some((s) => s.host.includes('%EMAILDOMAIN%'));
  const entry: Record<string, unknown> = {
    id,
    name: config.name,
    ...(config.shortName ? { shortName: config.shortName } : {}),
    domains,
    login,
  };
  if (!perDomain) entry.servers = serversFor(undefined);
  else if (domains.length === 1) entry.servers = serversFor(domains[0]);
  else {
    // A host named after the address's domain: one variant per domain, picked by the domain.
    note(`server host names depend on the address's domain; one variant per domain (${domains.length})`);
    entry.variants = domains.map((domain) => ({ id: domain, name: toUnicodeDomain(domain), domains: [domain], servers: serversFor(domain) }));
  }
  if (config.webmail) entry.webmail = config.webmail;
  if (config.documentation.length > 0) entry.documentation = config.documentation;
  if (config.enable) entry.enable = config.enable;
  return entry;
}

/** Claims catalog ids in a stable way: a file named after its id keeps it; later clashes fall back to the file name. */
function assignIds(configs: readonly ParsedConfig[], reserved: Iterable<string>, notes: IspdbNote[]): Map<ParsedConfig, string> {
  const ids = new Map<ParsedConfig, string>();
  const taken = new Set<string>(reserved);
  const fileId = (config: ParsedConfig) => ispdbIdentifier(basename(config.file).replace(/\.xml$/i, ''));
  for (const config of configs) {
    const wanted = ispdbIdentifier(config.providerId);
    if (ID_PATTERN.test(wanted) && fileId(config) === wanted && !taken.has(wanted)) {
      ids.set(config, wanted);
      taken.add(wanted);
    }
  }
  for (const config of configs) {
    if (ids.has(config)) continue;
    const wanted = ispdbIdentifier(config.providerId);
    let id = ID_PATTERN.test(wanted) && !taken.has(wanted) ? wanted : fileId(config);
    for (let n = 2; taken.has(id) || !ID_PATTERN.test(id); n++) id = `${fileId(config).slice(0, 60) || 'ispdb'}-${n}`;
    if (id !== wanted)
      notes.push({
        file: config.file,
        note: `id "${config.providerId}" is ${ID_PATTERN.test(wanted) ? 'already taken' : 'not a valid id'}; imported as "${id}"`,
      });
    ids.set(config, id);
    taken.add(id);
  }
  return ids;
}

export interface ClientConfigServer {
  protocol: 'imap' | 'pop3' | 'smtp';
  /** May hold %EMAILDOMAIN%. */
  host: string;
  port: number;
  socket: SocketType;
  auth: AuthMethod[];
  login: string | undefined;
}

export type ClientConfigRead =
  { ok: true; providerId: string; name: string; domains: string[]; servers: ClientConfigServer[]; notes: string[] } | { ok: false; reason: string };

/**
 * Reads one clientConfig document (an autoconfig answer fetched from a domain) with the same
 * checks as an import, without turning it into a catalog entry. Host names keep %EMAILDOMAIN%.
 */
export function readClientConfig(source: IspdbSource): ClientConfigRead {
  const notes: string[] = [];
  try {
    const config = parseClientConfig(source, (note) => notes.push(note));
    return { ok: true, providerId: config.providerId, name: config.name, domains: config.domains, servers: config.servers, notes };
  } catch (error) {
    if (!(error instanceof Skip)) throw error;
    const details = error.explainedByNotes && notes.length > 0 ? ` (${notes.join('; ')})` : '';
    return { ok: false, reason: `${error.message}${details}` };
  }
}

/**
 * Converts ISPDB files (in the order given) into catalog entries. Pure: no file system access.
 * A domain listed by several files stays with the first; `knownDomains` are left to their owner.
 */
export function importIspdb(sources: readonly IspdbSource[], options: IspdbImportOptions = {}): IspdbImport {
  const result: IspdbImport = { loaded: [], skipped: [], notes: [] };
  const configs: ParsedConfig[] = [];
  for (const source of sources) {
    const fileNotes: IspdbNote[] = [];
    try {
      configs.push(parseClientConfig(source, (note) => fileNotes.push({ file: source.file, note })));
      result.notes.push(...fileNotes);
    } catch (error) {
      if (!(error instanceof Skip)) throw error;
      const details = error.explainedByNotes && fileNotes.length > 0 ? ` (${fileNotes.map((n) => n.note).join('; ')})` : '';
      result.skipped.push({ file: source.file, reason: `${error.message}${details}` });
      result.notes.push(...fileNotes);
    }
  }

  const ids = assignIds(configs, options.reservedIds ?? [], result.notes);
  const owners = new Map<string, string>(options.knownDomains ?? []);
  for (const config of configs) {
    const note = (text: string) => result.notes.push({ file: config.file, note: text });
    const id = ids.get(config)!;
    const domains = config.domains.filter((domain) => {
      const owner = owners.get(domain);
      if (owner !== undefined) note(`domain ${domain} left out: already served by ${owner}`);
      return owner === undefined;
    });
    if (domains.length === 0) {
      const served = [...new Set(config.domains.map((d) => owners.get(d)))].join(', ');
      result.skipped.push({
        file: config.file,
        reason: config.domains.length === 0 ? 'lists no mail domain' : `every domain it lists is already served by ${served}`,
      });
      continue;
    }
    const parsed = providerFileEntrySchema.safeParse(buildEntry(config, id, domains, note));
    if (!parsed.success) {
      const issue = issuesOf(parsed.error)[0]!;
      result.skipped.push({ file: config.file, reason: `does not fit the provider format: ${issue.field}: ${issue.message} (rule ${issue.rule})` });
      continue;
    }
    try {
      const provider = normalizeProvider(parsed.data, config.file);
      for (const domain of domains) owners.set(domain, id);
      result.loaded.push({ file: config.file, entry: parsed.data, provider });
    } catch (error) {
      if (!(error instanceof MailsetupError)) throw error;
      result.skipped.push({ file: config.file, reason: error.message });
    }
  }
  return result;
}

/** The XML files named: files as given, folders' `*.xml` files in name order. */
export function readIspdbSources(paths: readonly string[]): IspdbSource[] {
  return paths.flatMap((path) => {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      throw new MailsetupError('IO', `${path} does not exist`, { field: 'path', rule: 'exists' });
    }
    const files = isDirectory
      ? readdirSync(path)
          .filter((name) => /\.xml$/i.test(name))
          .sort()
          .map((name) => join(path, name))
      : [path];
    return files.map((file) => ({ file, content: readBounded(file) }));
  });
}

/** Reads at most one byte more than an ISPDB file may have, so oversized files are reported, not loaded. */
function readBounded(file: string): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } catch (error) {
    throw new MailsetupError('IO', `${file} could not be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { field: 'path', rule: 'readable' });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
