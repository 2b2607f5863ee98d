// User-facing text lives in templates/locales/<language>.json; this module only looks it up.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LANGUAGES, type Language } from './model/provider.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates', import.meta.url));

type Catalog = Record<string, string>;

let loaded: Record<Language, Catalog> | undefined;

function catalogs(): Record<Language, Catalog> {
  loaded ??= Object.fromEntries(
    LANGUAGES.map((language) => [language, JSON.parse(readFileSync(`${TEMPLATES_DIR}/locales/${language}.json`, 'utf8')) as Catalog]),
  ) as Record<Language, Catalog>;
  return loaded;
}

export type Translate = (key: string, values?: Record<string, string | number>) => string;

/** A lookup for one language; missing keys fall back to English, then to the key itself. */
export function translator(language: Language): Translate {
  const all = catalogs();
  return (key, values = {}) => {
    const text = all[language][key] ?? all.en[key] ?? key;
    // Text and placeholder names alternate: the names at odd places.
    const pieces = piecesOf(text);
    if (pieces.length === 1) return text;
    let out = pieces[0]!;
    for (let i = 1; i < pieces.length; i += 2) {
      const name = pieces[i]!;
      out += (name in values ? String(values[name]) : `{${name}}`) + pieces[i + 1]!;
    }
    return out;
  };
}

/** Each message split at its `{name}` placeholders once: messages are looked up on every file made. */
const pieces = new Map<string, readonly string[]>();

function piecesOf(text: string): readonly string[] {
  let found = pieces.get(text);
  if (found === undefined) {
    found = text.split(/\{(\w+)\}/);
    // Messages are the catalogs' own; a key missing everywhere is the only other text, and rare.
    if (pieces.size < 10_000) pieces.set(text, found);
  }
  return found;
}

const templateCache = new Map<string, string>();

/**
 * A text file from templates/ in one language, placeholders `{name}` filled in: `pattern` names it
 * with `{lang}`, e.g. `outlook/README.{lang}.txt`; a language without its own file gets English.
 */
export function textTemplate(pattern: string, language: Language, values: Record<string, string | number> = {}): string {
  const load = (lang: Language): string | undefined => {
    const path = `${TEMPLATES_DIR}/${pattern.replaceAll('{lang}', lang)}`;
    if (!templateCache.has(path)) {
      try {
        templateCache.set(path, readFileSync(path, 'utf8'));
      } catch {
        return undefined;
      }
    }
    return templateCache.get(path);
  };
  const text = load(language) ?? load('en');
  if (text === undefined) throw new Error(`template ${pattern} is missing`);
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The best supported language for an Accept-Language header (or a bare code). */
export function negotiateLanguage(header: string | undefined, fallback: Language = 'en'): Language {
  if (!header) return fallback;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { base: tag.trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return (ranked.find((entry) => isLanguage(entry.base))?.base as Language | undefined) ?? fallback;
}
