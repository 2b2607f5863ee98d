// Every request the catalog can answer, for tests that must hold for all of them: each provider,
// variant, account type it offers, device and "mail only", for each of a list of people.
import { DEVICES } from '../../src/model/account.js';
import type { GenerateRequestInput } from '../../src/model/request.js';
import type { ProviderCatalog } from '../../src/providers/catalog.js';
import { kindsOffered } from '../../src/service/resolve.js';

/** A person: `DOMAIN` in the name becomes the provider's domain. */
export interface CatalogPerson {
  local: string;
  name?: string;
  login?: string;
  password?: string;
}

export function* catalogRequests(catalog: ProviderCatalog, people: readonly CatalogPerson[]): Generator<{ label: string; input: GenerateRequestInput }> {
  for (const provider of catalog.list()) {
    const domain = provider.domains[0] ?? 'customer.example';
    for (const variant of provider.variants) {
      for (const type of kindsOffered(variant)) {
        for (const device of DEVICES) {
          for (const mailOnly of [false, true]) {
            for (const person of people) {
              const email = `${person.local}@${domain}`;
              yield {
                label: `${provider.id}/${variant.id}/${type}/${device}/${mailOnly ? 'mail-only/' : ''}${email}`,
                input: {
                  email,
                  provider: provider.id,
                  variant: variant.id,
                  type,
                  device,
                  mailOnly,
                  ...(person.name ? { name: person.name.replace('DOMAIN', domain) } : {}),
                  ...(person.login ? { login: person.login } : {}),
                  ...(person.password ? { password: person.password } : {}),
                },
              };
            }
          }
        }
      }
    }
  }
}
