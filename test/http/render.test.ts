// The page template renderer: escaping by default, sections, partials and localized text.
import { describe, expect, it } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, createRenderer, escapeHtml } from '../../src/http/render.js';
import { makeTempDir } from '../support/tmp.js';

function renderer(templates: Record<string, string>) {
  const dir = makeTempDir('mailsetup-render-');
  mkdirSync(join(dir.path, 'partials'));
  for (const [name, text] of Object.entries(templates)) writeFileSync(join(dir.path, `${name}.html`), text);
  return createRenderer(dir.path);
}

describe('render', () => {
  it('escapes values unless asked for raw output', () => {
    const r = renderer({ page: '<p title="{{v}}">{{v}}</p>{{{raw}}}' });
    expect(r.render('page', { v: `<script>"x" & 'y'</script>`, raw: '<svg></svg>' }, 'en')).toBe(
      '<p title="&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;">&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;</p><svg></svg>',
    );
    expect(escapeHtml(undefined)).toBe('');
  });

  it('iterates lists, enters objects, and inverts on empty values', () => {
    const r = renderer({
      page: '{{#items}}[{{name}}:{{top}}]{{/items}}{{^items}}none{{/items}}{{#obj}}{{a.b}}{{/obj}}{{#flag}}on{{/flag}}{{#text}}<{{.}}>{{/text}}{{#zero}}z{{/zero}}',
    });
    expect(r.render('page', { items: [{ name: 'x' }, { name: 'y' }], top: 'T', obj: { a: { b: 'deep' } }, flag: true, text: 'hi', zero: 0 }, 'en')).toBe(
      '[x:T][y:T]deep' + 'on<hi>',
    );
    expect(r.render('page', { items: [] }, 'en')).toBe('none');
  });

  it('includes partials with the current context', () => {
    const r = renderer({ page: '{{#p}}{{> part}}{{/p}}', 'partials/part': '({{name}})' });
    expect(r.render('page', { p: { name: 'inner' } }, 'en')).toBe('(inner)');
  });

  it('looks text up in the page language, fills placeholders from the view and escapes the result', () => {
    const r = renderer({ page: '{{t web.setup.heading}}|{{t web.start.title}}' });
    expect(r.render('page', { email: 'a<b@nstu.ru' }, 'ru')).toBe('Настройка a&lt;b@nstu.ru|Настройка почты');
    expect(r.render('page', { email: 'x@y.se' }, 'sv')).toBe('Ställ in x@y.se|Ställ in din e-post');
  });

  it('refuses unbalanced sections', () => {
    expect(() => compile('{{#a}}x', 'broken')).toThrow('{{#a}} is never closed');
    expect(() => compile('{{#a}}x{{/b}}', 'broken')).toThrow('{{/b}} closes {{#a}}');
  });
});
