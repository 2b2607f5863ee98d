// What a setup would give, before anything is built: the provider an address finds, the variant
// and account type chosen (or the first offered), and the resolved account. Unlike resolveAccount
// it never throws for what the person chose: a choice that does not fit becomes a problem and the
// preview falls back to the provider's first offer, so a page can show both.
import { MailsetupError } from '../errors.js';
import type { AccountKind } from '../model/account.js';
import type { Provider, ProviderVariant } from '../model/provider.js';
import type { EmailParts } from '../model/rules.js';
import { variantOf, type ProviderCatalog } from '../providers/catalog.js';
import { suggestDomain } from '../providers/domain-suggest.js';
import { kindsOffered, resolveAccount, type ResolvedAccount } from './resolve.js';

/** How the provider was found: its domain list, the configured default, named explicitly, or not at all. */
export type ProviderMatch = 'domain' | 'default' | 'named' | 'none';

export interface EmailLookup {
  email: EmailParts;
  provider: Provider | undefined;
  match: ProviderMatch;
}

/** Finds the provider for an address without throwing for unknown domains (a page then asks for servers). */
export function lookupEmail(catalog: ProviderCatalog, email: EmailParts, providerId?: string): EmailLookup {
  if (providerId) return { email, provider: catalog.get(providerId), match: 'named' };
  const found = catalog.findByDomain(email.asciiDomain);
  if (found) return { email, provider: found, match: 'domain' };
  if (catalog.defaultProviderId) return { email, provider: catalog.get(catalog.defaultProviderId), match: 'default' };
  return { email, provider: undefined, match: 'none' };
}

export interface PreviewRequest {
  email: EmailParts;
  provider?: string | undefined;
  variant?: string | undefined;
  /** Any text: a type the variant does not offer falls back to the first it does. */
  type?: string | undefined;
}

export interface SetupPreview extends EmailLookup {
  variant: ProviderVariant | undefined;
  /** The account types the variant offers, preferred first. */
  kinds: AccountKind[];
  kind: AccountKind | undefined;
  /** The account the choices give; undefined when no provider is known or resolving failed. */
  resolved: ResolvedAccount | undefined;
  /** Why a choice was not taken, in the order met. */
  problems: MailsetupError[];
  /** The address with the known domain it was probably meant to have (gmial.com → gmail.com); never applied by itself. */
  suggestion: string | undefined;
}

/** A likely typo of a listed domain, for an address no provider lists (named providers are taken as meant). */
export function suggestAddress(catalog: ProviderCatalog, lookup: EmailLookup): string | undefined {
  if (lookup.match === 'domain' || lookup.match === 'named') return undefined;
  const domain = suggestDomain(lookup.email.asciiDomain, catalog.knownDomains());
  return domain === undefined ? undefined : `${lookup.email.local}@${domain}`;
}

function attempt<T>(problems: MailsetupError[], run: () => T, fallback: () => T): T {
  try {
    return run();
  } catch (thrown) {
    if (!(thrown instanceof MailsetupError)) throw thrown;
    problems.push(thrown);
    return fallback();
  }
}

export function previewSetup(request: PreviewRequest, catalog: ProviderCatalog): SetupPreview {
  const { email } = request;
  const problems: MailsetupError[] = [];
  const { provider, match } = attempt(
    problems,
    () => lookupEmail(catalog, email, request.provider),
    () => lookupEmail(catalog, email),
  );
  const variant = provider
    ? attempt(
        problems,
        () => variantOf(provider, request.variant, email.asciiDomain),
        () => variantOf(provider, undefined, email.asciiDomain),
      )
    : undefined;
  const kinds = variant ? kindsOffered(variant) : [];
  const kind = kinds.find((k) => k === request.type) ?? kinds[0];
  let resolved: ResolvedAccount | undefined;
  if (provider && variant && kind) {
    resolved = attempt(
      problems,
      () => resolveAccount({ email, provider: match === 'named' ? provider.id : undefined, variant: variant.id, type: kind }, catalog),
      () => undefined,
    );
  }
  return { email, provider, match, variant, kinds, kind, resolved, problems, suggestion: suggestAddress(catalog, { email, provider, match }) };
}
