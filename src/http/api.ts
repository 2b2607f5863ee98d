// The JSON API: provider lookup by address, the catalog, and file generation. Errors are JSON
// {error:{code,message,field,rule}}; passwords are only accepted in the body, never in the URL.
import express, { Router, type RequestHandler } from 'express';
import { FORMAT_IDS } from '../formats/registry.js';
import { translator } from '../i18n.js';
import { localize } from '../model/provider.js';
import { variantOf } from '../providers/catalog.js';
import { parseGenerateRequest } from '../service/generate.js';
import { lookupEmail, suggestAddress } from '../service/preview.js';
import { kindsOffered, resolveAccount } from '../service/resolve.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { noPasswordInUrl, requestLanguage } from './guards.js';
import { inlineGeneration } from './generation.js';
import { sendGeneratedFile } from './send-file.js';
import { describeResolved, hostingProviders, parsedEmail, providerExtras, variantRows } from './views.js';
import { webError } from './web-error.js';

export function apiRouter(deps: AppDeps, generationLimit: RequestHandler): Router {
  const { catalog } = deps;
  const router = Router();
  router.use(noPasswordInUrl);
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/providers', (req, res) => {
    const language = requestLanguage(req);
    const t = translator(language);
    res.json({
      providers: catalog.list().map((p) => ({
        id: p.id,
        name: p.name,
        domains: p.domains,
        anyDomain: p.anyDomain,
        default: p.id === catalog.defaultProviderId,
        variants: p.variants.map((v) => ({ id: v.id, name: localize(v.name, language, v.id), types: kindsOffered(v), ...variantRows(p, v, t) })),
      })),
      formats: FORMAT_IDS,
    });
  });

  router.get('/lookup', (req, res) => {
    const language = requestLanguage(req);
    const t = translator(language);
    const email = parsedEmail(req.query.email);
    if (!email) {
      // Let the shared rules explain what is wrong with the address.
      parseGenerateRequest({ email: typeof req.query.email === 'string' ? req.query.email : '' });
      throw webError('INVALID_INPUT', 'email', 'email-format');
    }
    const providerId = typeof req.query.provider === 'string' && req.query.provider !== '' ? req.query.provider : undefined;
    const lookup = lookupEmail(catalog, email, providerId);
    const { provider, match } = lookup;
    const suggested = suggestAddress(catalog, lookup);
    const suggestion = suggested === undefined ? {} : { suggestion: { email: suggested } };
    if (!provider) {
      res.json({
        email: email.address,
        known: false,
        match,
        provider: null,
        manualRequired: true,
        hostingProviders: hostingProviders(catalog, language),
        ...suggestion,
      });
      return;
    }
    const variantId = typeof req.query.variant === 'string' && req.query.variant !== '' ? req.query.variant : undefined;
    const variant = variantOf(provider, variantId, email.asciiDomain);
    const type = typeof req.query.type === 'string' && req.query.type !== '' ? req.query.type : undefined;
    const request = parseGenerateRequest({ email: email.address, provider: match === 'named' ? provider.id : undefined, variant: variant.id, type });
    const resolved = resolveAccount(request, catalog);
    res.json({
      known: true,
      match,
      manualRequired: false,
      ...describeResolved(resolved, t, language),
      variants: provider.variants.map((v) => ({ id: v.id, name: localize(v.name, language, v.id), types: kindsOffered(v) })),
      types: kindsOffered(variant),
      ...providerExtras(provider, variant, language),
      settingsUrl: `/settings/${provider.id}/${variant.id}`,
      ...suggestion,
    });
  });

  const generateFile = deps.generate ?? inlineGeneration(deps);
  const generateHandler: RequestHandler = async (req, res) => {
    if (!req.is('application/json')) throw webError('INVALID_INPUT', 'body', 'body-json');
    const body = req.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw webError('INVALID_INPUT', 'body', 'body-json');
    const request = parseGenerateRequest({ language: requestLanguage(req), ...(body as Record<string, unknown>) });
    sendGeneratedFile(res, await generateFile(request));
  };
  const json = readBody(express.json({ limit: '16kb', strict: true }));
  router.post('/profile', generationLimit, json, generateHandler);
  router.post('/generate', generationLimit, json, generateHandler);

  router.use(() => {
    throw webError('NOT_FOUND', 'path', 'not-found');
  });
  return router;
}
