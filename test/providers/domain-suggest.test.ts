// "Did you mean …?": one slip away from a listed domain, long enough to be a slip, never a known one.
import { describe, expect, it } from '@jest/globals';
import { editDistance, suggestDomain } from '../../src/providers/domain-suggest.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';

const known = [...ProviderCatalog.load().knownDomains()];

describe('mistyped domains', () => {
  it.each([
    ['gmial.com', ['gmail.com', 'mail.ru'], 'gmail.com'],
    ['yandex.ry', known, 'yandex.ru'],
    ['mail.rj', known, 'mail.ru'],
    ['nstu.ri', known, 'nstu.ru'],
    ['inbox.ru', known, undefined],
    ['example.com', known, undefined],
    ['bk.ry', known, 'bk.ru'],
    ['x.ru', ['y.ru'], undefined],
    ['yanedx.ru', known, 'yandex.ru'],
  ])('%s → %s', (typed, domains, expected) => {
    expect(suggestDomain(typed, domains)).toBe(expected);
  });

  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('gmial.com', 'gmail.com')).toBe(1);
    expect(editDistance('mail.ru', 'mail.rj')).toBe(1);
    expect(editDistance('mail.ru', 'mial.ur')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
