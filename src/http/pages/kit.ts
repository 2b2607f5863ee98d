// What every page module shares: the kit the router is built from, form fields, error messages
// next to their fields, the layout around a page, and the language links.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { MailsetupError, type FieldIssue } from '../../errors.js';
import { isLanguage, translator, type Translate } from '../../i18n.js';
import { LANGUAGES, type Language } from '../../model/provider.js';
import { readFormBody } from '../form-body.js';
import { oncePerRequest } from '../front.js';
import type { AppDeps } from '../deps.js';
import type { WebFile } from '../generation.js';
import type { LinkTokens } from '../link-token.js';
import { locals } from '../middleware.js';
import type { Renderer } from '../render.js';

/** What a QR link carries: the choices, never a password. */
export interface LinkPayload {
  email: string;
  device: 'ios' | 'macos';
  provider?: string | undefined;
  variant?: string | undefined;
  type?: string | undefined;
  name?: string | undefined;
  /** Leave out the provider's calendars and contacts, as ticked on the form. */
  mailOnly?: boolean | undefined;
  /** Servers found by discovery (or typed), for an address no provider serves: the link is encrypted. */
  servers?: Fields | undefined;
  language: Language;
}

export interface PageKit {
  deps: AppDeps;
  renderer: Renderer;
  tokens: LinkTokens<LinkPayload>;
  /** Applied to the routes that generate files. */
  generationLimit: RequestHandler;
  /** Applied where a page finds or tests servers (connections out). */
  discoveryLimit?: RequestHandler | undefined;
}

export type Fields = Record<string, string | undefined>;

export const SETUP_FIELDS = [
  'email',
  'device',
  'provider',
  'variant',
  'type',
  'name',
  'outlook',
  'login',
  'incoming_host',
  'incoming_port',
  'incoming_security',
  'outgoing_host',
  'outgoing_port',
  'outgoing_security',
  'mail_only',
] as const;

/** The fields of servers typed by hand or found by discovery, as forms and links carry them. */
export const SERVER_FIELDS = ['incoming_host', 'incoming_port', 'incoming_security', 'outgoing_host', 'outgoing_port', 'outgoing_security', 'login'] as const;

/** The `manual` servers of a generate request from those fields (a missing host is left empty, so it is named as missing). */
export function manualServersOf(v: Fields) {
  return {
    incoming: { host: v.incoming_host ?? '', port: v.incoming_port, socket: v.incoming_security },
    outgoing: { host: v.outgoing_host ?? '', port: v.outgoing_port, socket: v.outgoing_security },
  };
}

/** Posted forms: small, flat, few fields; a body that cannot be read is refused naming it (readBody). */
const formRead = oncePerRequest<unknown>();

/**
 * A posted form's fields, read once per request: the front that answers the form's download
 * and express, when the front hands the request on for a page, get the same body or error.
 */
export function readForm(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  // The reader takes only node's request (headers and stream) and sets req.body.
  return formRead(req, () => readFormBody(req, res));
}

/** The file a request asked for, made once per request (see readForm). */
export const fileOnce = oncePerRequest<WebFile>();

/** readForm as express middleware: the parser has set req.body, whoever asked first. */
export const formBody: RequestHandler = (req, res, next) => {
  readForm(req, res).then(() => next(), next);
};

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function fieldsOf(source: unknown, names: readonly string[]): Fields {
  const record = (source ?? {}) as Record<string, unknown>;
  const fields: Fields = {};
  for (const name of names) fields[name] = text(record[name]);
  return fields;
}

/** A query string from the named fields that have a value. */
export function queryOf(values: Fields, names: readonly string[]): URLSearchParams {
  return new URLSearchParams(names.flatMap((name): [string, string][] => (values[name] === undefined ? [] : [[name, values[name]]])));
}

/** Form field names for the fields errors name. */
const FORM_FIELD: Record<string, string> = {
  'manual.incoming.host': 'incoming_host',
  'manual.incoming.port': 'incoming_port',
  'manual.incoming.socket': 'incoming_security',
  'manual.outgoing.host': 'outgoing_host',
  'manual.outgoing.port': 'outgoing_port',
  'manual.outgoing.socket': 'outgoing_security',
  security: 'type',
  'service-host': 'host',
};

export interface FieldErrors {
  byField: Record<string, string>;
  list: { field: string; message: string }[];
}

/** Messages next to fields, in the page's language when the locale has words for the rule. */
export function fieldErrors(error: MailsetupError, t: Translate): FieldErrors {
  const issues: readonly FieldIssue[] =
    error.details.length > 0 ? error.details : [{ field: error.field ?? 'form', rule: error.rule ?? 'invalid', message: error.message }];
  const byField: Record<string, string> = {};
  const list: { field: string; message: string }[] = [];
  for (const issue of issues) {
    const field = FORM_FIELD[issue.field] ?? issue.field;
    const specific = issue.field.endsWith('.port') ? 'web.error.port' : `web.error.${issue.field}.${issue.rule}`;
    const general = `web.error.${issue.rule}`;
    const message = t(specific) !== specific ? t(specific) : t(general) !== general ? t(general) : issue.message;
    byField[field] ??= message;
    list.push({ field, message });
  }
  return { byField, list };
}

/** Several problems as one set of field messages: the first message for a field wins. */
export function mergedFieldErrors(problems: readonly MailsetupError[], t: Translate): FieldErrors {
  const each = problems.map((p) => fieldErrors(p, t));
  return {
    byField: Object.assign({}, ...each.map((e) => e.byField).reverse()) as Record<string, string>,
    list: each.flatMap((e) => e.list),
  };
}

export interface PageParts {
  template: string;
  language: Language;
  status: number;
  org: string;
  title: string;
  langLinks: readonly unknown[];
  /** The footer's link to the settings for typing in by hand: a provider's own when one is known. */
  manualHref?: string | undefined;
  /** A page with two columns or wide tables gets more room on large screens. */
  wide?: boolean | undefined;
  view: Record<string, unknown>;
}

/** Renders a page inside the shared layout and sends it, never cached. */
export function sendPage(res: Response, renderer: Renderer, parts: PageParts): void {
  const { template, language, view } = parts;
  const base = { lang: language, org: parts.org, langLinks: parts.langLinks, title: parts.title, manualHref: parts.manualHref ?? `/settings?lang=${language}` };
  const content = renderer.render(template, { ...base, ...view }, language);
  const html = renderer.render('layout', { ...base, wide: parts.wide === true, content }, language);
  res.status(parts.status).set('Cache-Control', 'no-store').type('html').send(html);
}

/** Each language's name in itself, for the language links. */
const LANGUAGE_NAMES = Object.fromEntries(LANGUAGES.map((code) => [code, translator(code)('web.language.name')])) as Record<Language, string>;

/** The same page in every language: `path` (default: the request's own URL) with `lang` set. */
export function languageLinks(path: string, language: Language) {
  return LANGUAGES.map((code) => {
    const url = new URL(path, 'http://local');
    url.searchParams.set('lang', code);
    return { code, label: LANGUAGE_NAMES[code], href: `${url.pathname}${url.search}`, current: code === language };
  });
}

export interface PageOptions {
  status?: number;
  /** The path the language links keep (default: the request's own). */
  languagePath?: string | undefined;
  manualHref?: string | undefined;
  wide?: boolean | undefined;
}

export type SendPage = (req: Request, res: Response, template: string, titleKey: string, view: Record<string, unknown>, options?: PageOptions) => void;

/** Sends a page of this app: the organisation's name, the title in the page's language, the language links. */
export function pageSender(kit: PageKit): SendPage {
  return (req, res, template, titleKey, view, options = {}) => {
    const language = locals(res).language;
    sendPage(res, kit.renderer, {
      template,
      language,
      status: options.status ?? 200,
      org: kit.deps.config.organization.name,
      title: translator(language)(titleKey, view as Record<string, string>),
      langLinks: languageLinks(options.languagePath ?? req.originalUrl, language),
      manualHref: options.manualHref,
      wide: options.wide,
      view,
    });
  };
}

/** A posted form's `language` field decides the page language of the answer. */
export function formLanguage(req: Request, res: Response): Language {
  return (locals(res).language = postedLanguage(req.body, locals(res).language));
}

/** The language a posted form asks for in its `language` field, else `otherwise` (the page's). */
export function postedLanguage(body: unknown, otherwise: Language): Language {
  const posted = (body as Record<string, unknown> | undefined)?.language;
  return isLanguage(posted) ? posted : otherwise;
}

/** The cookie a download answer carries so the page that asked can say "downloaded". */
export const DOWNLOAD_COOKIE = 'mailsetup_download';
const DOWNLOAD_ID = /^[a-z0-9]{8,40}$/;
const DOWNLOAD_MARK_MS = 60_000;

/**
 * Marks a file answer with the id the page chose (a random token, nothing about the person), for
 * a minute, readable by the page's script: a form download gives the page no other sign of success.
 */
export function confirmDownload(req: Request, res: Response, id: unknown): void {
  const cookie = downloadCookie(id, req.secure, Date.now());
  if (cookie !== undefined) res.append('Set-Cookie', cookie);
}

/**
 * The Set-Cookie value of that mark, as express's res.cookie writes it (cookie's serialize: a
 * minute's Max-Age and Expires, every path, SameSite=Strict, Secure over HTTPS, readable by the
 * page's script); undefined for an id that is not one the page makes. A test holds the two equal.
 */
export function downloadCookie(id: unknown, secure: boolean, now: number): string | undefined {
  if (typeof id !== 'string' || !DOWNLOAD_ID.test(id)) return undefined;
  const expires = new Date(now + DOWNLOAD_MARK_MS).toUTCString();
  return `${DOWNLOAD_COOKIE}=${id}; Max-Age=${DOWNLOAD_MARK_MS / 1000}; Path=/; Expires=${expires}${secure ? '; Secure' : ''}; SameSite=Strict`;
}
