// The setup preview: what a page shows before anything is built. A choice that does not fit is a
// problem returned beside the provider's first offer, never a thrown error.
import { describe, expect, it } from '@jest/globals';
import { isEmailParts, parseEmail, type EmailParts } from '../../src/model/rules.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { lookupEmail, previewSetup } from '../../src/service/preview.js';

const catalog = ProviderCatalog.load();
const withDefault = ProviderCatalog.load({ defaultProvider: 'rackcorp' });

function email(address: string): EmailParts {
  const parts = parseEmail(address);
  if (!isEmailParts(parts)) throw new Error(`${address} does not parse`);
  return parts;
}

describe('looking up an address', () => {
  it('finds the provider by domain, by the configured default, by name, or not at all', () => {
    expect(lookupEmail(catalog, email('ivan@nstu.ru'))).toMatchObject({ match: 'domain', provider: { id: 'nstu' } });
    expect(lookupEmail(withDefault, email('boss@example.com'))).toMatchObject({ match: 'default', provider: { id: 'rackcorp' } });
    expect(lookupEmail(catalog, email('boss@example.com'), 'rackcorp')).toMatchObject({ match: 'named', provider: { id: 'rackcorp' } });
    expect(lookupEmail(catalog, email('boss@example.com'))).toMatchObject({ match: 'none', provider: undefined });
  });
});

describe('previewing a setup', () => {
  it('resolves the first offer when nothing is chosen', () => {
    const preview = previewSetup({ email: email('ivan.petrov@nstu.ru') }, catalog);
    expect(preview.problems).toEqual([]);
    expect(preview.kinds).toEqual(['imap', 'pop']);
    expect(preview.kind).toBe('imap');
    expect(preview.resolved?.account).toMatchObject({ kind: 'imap', incoming: { host: 'mail2.nstu.ru', username: 'ivan.petrov@corp.nstu.ru' } });
  });

  it('takes the choices that fit', () => {
    const preview = previewSetup({ email: email('boss@example.com'), provider: 'rackcorp', variant: 'mn', type: 'exchange' }, catalog);
    expect(preview.problems).toEqual([]);
    expect(preview.variant?.id).toBe('mn');
    expect(preview.resolved?.account.kind).toBe('exchange');
  });

  it('returns an unknown provider or variant as a problem and falls back to what the address finds', () => {
    const provider = previewSetup({ email: email('ivan@nstu.ru'), provider: 'nope' }, catalog);
    expect(provider.problems.map((p) => [p.field, p.rule])).toEqual([['provider', 'known-provider']]);
    expect(provider.provider?.id).toBe('nstu');
    expect(provider.resolved).toBeDefined();
    const variant = previewSetup({ email: email('boss@example.com'), provider: 'rackcorp', variant: 'mars' }, catalog);
    expect(variant.problems.map((p) => [p.field, p.rule])).toEqual([['variant', 'known-variant']]);
    expect(variant.variant?.id).toBe('global');
    expect(variant.resolved?.account).toMatchObject({ incoming: { host: 'mail.rackcorp.com' } });
  });

  it('falls back to the first type offered for a type the provider does not offer', () => {
    const preview = previewSetup({ email: email('ivan@nstu.ru'), type: 'exchange' }, catalog);
    expect(preview.kind).toBe('imap');
    expect(preview.problems).toEqual([]);
  });

  it('has nothing to resolve for a domain nobody serves', () => {
    const preview = previewSetup({ email: email('anna@example.se') }, catalog);
    expect(preview).toMatchObject({ match: 'none', provider: undefined, variant: undefined, kinds: [], resolved: undefined, problems: [] });
  });
});
