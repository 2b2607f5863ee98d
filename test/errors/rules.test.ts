// The rule table (src/error-rules.ts) is what pages translate: every rule has its words in every
// language, no language has words for a rule that does not exist, and only the MailsetupError
// constructor puts the field in front of a message.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { RULES, isRule, ruleOf } from '../../src/error-rules.js';
import { MailsetupError } from '../../src/errors.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const LOCALES = fileURLToPath(new URL('../../templates/locales', import.meta.url));
const LANGUAGES = ['en', 'ru', 'sv'] as const;

const catalog = (language: string): Record<string, string> => JSON.parse(readFileSync(join(LOCALES, `${language}.json`), 'utf8')) as Record<string, string>;

/** `web.error.` keys that are not a rule, each with why a page needs it. */
const PAGE_ONLY_KEYS: Readonly<Record<string, string>> = {
  'web.error.port': 'pages/kit.ts shows it for every field ending in .port, whatever the rule',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const parsed = sourceFiles(SRC).map((file) => ({
  file: relative(SRC, file).split(sep).join('/'),
  source: ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true),
}));

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** Names of functions anywhere in src/ that build a MailsetupError: their arguments are checked too. */
function errorHelpers(): Set<string> {
  const names = new Set(['MailsetupError']);
  for (const { source } of parsed) {
    walk(source, (node) => {
      const builds = (body: ts.Node | undefined) => body !== undefined && /\bnew MailsetupError\(|\bwebError\(/.test(body.getText(source));
      if (ts.isFunctionDeclaration(node) && node.name && builds(node.body)) names.add(node.name.text);
      if (ts.isMethodDeclaration(node) && ts.isIdentifier(node.name) && builds(node.body)) names.add(node.name.text);
      if (
        ts.isVariableDeclaration(node) &&
        ts.isIdentifier(node.name) &&
        node.initializer &&
        ts.isArrowFunction(node.initializer) &&
        builds(node.initializer.body)
      )
        names.add(node.name.text);
    });
  }
  return names;
}

/** How a message or field starts, as written: `email: …` or `${field}: …`. */
function opening(node: ts.Expression, source: ts.SourceFile): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    const [first] = node.templateSpans;
    if (node.head.text !== '' || !first) return node.head.text;
    return `\${${first.expression.getText(source)}}${first.literal.text}`;
  }
  return undefined;
}

/** Messages in src/ that start with the field their own call names, e.g. `new MailsetupError(c, 'email: …', { field: 'email' })`. */
function selfPrefixedMessages(): string[] {
  const helpers = errorHelpers();
  const found: string[] = [];
  for (const { file, source } of parsed) {
    // `const FIELD = 'body'` names the field as surely as 'body' does.
    const constants = new Map<string, string>();
    walk(source, (node) => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isStringLiteral(node.initializer))
        constants.set(node.name.text, node.initializer.text);
    });
    const fieldTexts = (node: ts.Expression): string[] => {
      if (ts.isStringLiteral(node)) return [node.text];
      const text = node.getText(source);
      return constants.has(text) ? [`\${${text}}`, constants.get(text)!] : [`\${${text}}`];
    };
    walk(source, (node) => {
      if (!ts.isNewExpression(node) && !ts.isCallExpression(node)) return;
      const callee = node.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      if (!name || !helpers.has(name)) return;
      const args = [...(node.arguments ?? [])];
      const fields = args.flatMap((arg) => {
        if (ts.isObjectLiteralExpression(arg)) {
          return arg.properties.flatMap((p) => {
            if (ts.isShorthandPropertyAssignment(p) && p.name.text === 'field') return ['${field}'];
            if (ts.isPropertyAssignment(p) && p.name.getText(source) === 'field') return fieldTexts(p.initializer);
            return [];
          });
        }
        return ts.isIdentifier(arg) || ts.isPropertyAccessExpression(arg) || ts.isStringLiteral(arg) ? fieldTexts(arg) : [];
      });
      for (const arg of args) {
        const start = opening(arg, source);
        const field = start === undefined ? undefined : fields.find((f) => f !== '' && start.startsWith(`${f}:`));
        if (field !== undefined) {
          const { line } = source.getLineAndCharacterOfPosition(arg.getStart(source));
          found.push(`${file}:${line + 1}: ${start!.slice(0, 60)}`);
        }
      }
    });
  }
  return found;
}

describe('the rule table', () => {
  it('describes every rule in one line', () => {
    for (const [rule, description] of Object.entries(RULES)) {
      expect(rule).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(description).toMatch(/^[A-Z].*\.$/);
      expect(description).not.toContain('\n');
    }
  });

  it('knows its rules, and turns anything else into the fallback', () => {
    expect(isRule('port-range')).toBe(true);
    expect(isRule('toString')).toBe(false);
    expect(ruleOf('email-format', 'invalid')).toBe('email-format');
    expect(ruleOf('no-such-rule', 'invalid')).toBe('invalid');
    expect(ruleOf(undefined, 'type')).toBe('type');
  });

  it.each(LANGUAGES)('has words for every rule in %s', (language) => {
    const texts = catalog(language);
    const missing = Object.keys(RULES).filter((rule) => !texts[`web.error.${rule}`]?.trim());
    expect(missing).toEqual([]);
  });

  it.each(LANGUAGES)('has no words in %s for a rule the table lacks', (language) => {
    const unknown = Object.keys(catalog(language))
      .filter((key) => key.startsWith('web.error.') && !(key in PAGE_ONLY_KEYS))
      .map((key) => key.slice('web.error.'.length))
      // `web.error.<field>.<rule>`: words for one field breaking a rule of the table.
      .filter((rest) => !isRule(rest) && !isRule(rest.slice(rest.lastIndexOf('.') + 1)));
    expect(unknown).toEqual([]);
  });

  it('gives rule texts no placeholders, since pages look them up without values', () => {
    for (const language of LANGUAGES) {
      const texts = catalog(language);
      const filled = Object.keys(texts).filter((key) => key.startsWith('web.error.') && /\{\w+\}/.test(texts[key]!));
      expect(filled).toEqual([]);
    }
  });
});

describe('field prefixes', () => {
  it('are added by the MailsetupError constructor only', () => {
    expect(selfPrefixedMessages()).toEqual([]);
  });

  it('come out once', () => {
    expect(new MailsetupError('INVALID_INPUT', 'is not a port', { field: 'port', rule: 'port-format' }).message).toBe('port: is not a port');
  });
});
