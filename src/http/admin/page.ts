// The admin page itself, in the reader's language: the markup from templates/admin/,
// texts from templates/locales (admin.*), the kinds of file to choose from, and the texts the
// page's script shows, handed over as data so none live in the script.
import { join } from 'node:path';
import type { Config } from '../../config.js';
import { FORMAT_IDS } from '../../formats/registry.js';
import { TEMPLATES_DIR, translator } from '../../i18n.js';
import type { Language } from '../../model/provider.js';
import { languageLinks } from '../pages/kit.js';
import { createRenderer } from '../render.js';
import { DEFAULTS } from '../../model/defaults.js';

export const ADMIN_DIR = join(TEMPLATES_DIR, 'admin');

/** What admin.js says, by name; `rule.<rule>` explains the server's refusals. */
const SCRIPT_TEXTS = [
  'counts',
  'progress',
  'failureLine',
  'chooseFile',
  'chooseFormat',
  'preparing',
  'confirmSend',
  'mailOff',
  'restored',
  'readAs',
  'state.sending',
  'state.done',
  'state.failed',
  'status.ok',
  'status.error',
  'rule.admin-token',
  'rule.admin-token-wrong',
  'rule.job',
  'rule.smtp-not-configured',
  'rule.required',
  'rule.row-limit',
] as const;

/** Text encodings a staff file may come in, as Excel saves CSV on each Windows (WHATWG names; '' is UTF-8). */
const STAFF_ENCODINGS = ['', 'windows-1251', 'koi8-r', 'ibm866', 'windows-1252', 'windows-1250', 'windows-1257'] as const;

export function encodingChoices(language: Language) {
  const t = translator(language);
  return STAFF_ENCODINGS.map((id) => ({ id, label: t(`admin.encoding.${id || 'utf-8'}`) }));
}

/** The kinds of file each person can get, mobileconfig chosen. */
export function formatChoices(language: Language, chosen: readonly string[] = [DEFAULTS.format]) {
  const t = translator(language);
  return FORMAT_IDS.map((id) => {
    const key = `admin.format.${id}`;
    return { id, label: t(key) === key ? id : t(key), checked: chosen.includes(id) };
  });
}

export function adminPageView(config: Pick<Config, 'organization'>, language: Language) {
  const t = translator(language);
  return {
    lang: language,
    org: config.organization.name,
    langLinks: languageLinks('/admin', language),
    formats: formatChoices(language),
    encodings: encodingChoices(language),
    texts: JSON.stringify(Object.fromEntries(SCRIPT_TEXTS.map((name) => [name, t(`admin.js.${name}`)]))),
  };
}

/** Renders the page in a language, once per language. */
export function adminPages(config: Pick<Config, 'organization'>): (language: Language) => string {
  const renderer = createRenderer(ADMIN_DIR);
  const cache = new Map<Language, string>();
  return (language) => {
    let html = cache.get(language);
    if (html === undefined) {
      html = renderer.render('index', adminPageView(config, language), language);
      cache.set(language, html);
    }
    return html;
  };
}
