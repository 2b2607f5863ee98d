// Settings to type in by hand: the list of providers (/settings, which also finds one by address)
// and one provider's servers with steps for other mail programs (/settings/:provider/:variant).
import type { Request, Response, Router } from 'express';
import { translator, type Translate } from '../../i18n.js';
import { localize, providerName, type Language, type Provider, type ProviderVariant } from '../../model/provider.js';
import type { EmailParts } from '../../model/rules.js';
import { variantOf, type ProviderCatalog } from '../../providers/catalog.js';
import { lookupEmail } from '../../service/preview.js';
import { locals } from '../middleware.js';
import { parsedEmail, programSteps, providerExtras, settingsTables } from '../views.js';
import { pageSender, type PageKit } from './kit.js';

/** Every provider with its domains and a link per variant. */
export function providersView(catalog: ProviderCatalog, language: Language, unknownEmail: boolean) {
  return {
    providers: catalog.list().map((p) => ({
      name: providerName(p, language),
      domains: p.anyDomain ? undefined : p.domains.join(', '),
      anyDomain: p.anyDomain,
      variants: p.variants.map((v) => ({
        href: `/settings/${p.id}/${v.id}`,
        label: p.variants.length > 1 ? localize(v.name, language, v.id) : providerName(p, language),
      })),
    })),
    unknownEmail,
  };
}

/** One variant's settings page: its servers, the other variants, the provider's notes and help. */
export function settingsView(provider: Provider, variant: ProviderVariant, email: EmailParts | undefined, language: Language, t: Translate) {
  const emailQuery = email ? `?${new URLSearchParams({ email: email.address }).toString()}` : '';
  return {
    providerName: providerName(provider, language),
    variantName: provider.variants.length > 1 ? localize(variant.name, language, variant.id) : undefined,
    otherVariants:
      provider.variants.length > 1
        ? provider.variants.map((v) => ({
            href: `/settings/${provider.id}/${v.id}${emailQuery}`,
            label: localize(v.name, language, v.id),
            current: v.id === variant.id,
          }))
        : undefined,
    email: email?.address,
    settingsRows: settingsTables(provider, variant, t, email),
    extras: providerExtras(provider, variant, language),
    programs: programSteps(t),
  };
}

export function settingsRoutes(router: Router, kit: PageKit): void {
  const page = pageSender(kit);
  const { catalog } = kit.deps;

  router.get('/settings', (req, res) => {
    const email = parsedEmail(req.query.email);
    if (email) {
      const { provider } = lookupEmail(catalog, email);
      if (provider) {
        const variant = variantOf(provider, undefined, email.asciiDomain);
        return res.redirect(303, `/settings/${provider.id}/${variant.id}?${new URLSearchParams({ email: email.address }).toString()}`);
      }
    }
    const asked = req.query.email !== undefined;
    page(req, res, 'providers', 'web.providers.title', providersView(catalog, locals(res).language, asked && email !== undefined), {
      status: asked && !email ? 400 : 200,
    });
  });

  const settingsPage = (req: Request, res: Response) => {
    const language = locals(res).language;
    const provider = catalog.get(String(req.params.provider));
    const variant = variantOf(provider, req.params.variant === undefined ? undefined : String(req.params.variant));
    page(req, res, 'settings', 'web.settings.title', settingsView(provider, variant, parsedEmail(req.query.email), language, translator(language)));
  };
  router.get('/settings/:provider', settingsPage);
  router.get('/settings/:provider/:variant', settingsPage);
}
