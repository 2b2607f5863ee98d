// `mailsetup providers`: what the catalog holds, for people or (--json) for scripts.
import { localize } from '../../model/provider.js';
import { kindsOffered } from '../../service/resolve.js';
import { CATALOG_OPTIONS, type Command } from '../command.js';

export const providersCommand: Command = {
  name: 'providers',
  summary: 'List the providers in the catalog.',
  usage: `mailsetup providers [--json] [--providers PATH] [--default-provider ID]`,
  options: { json: { type: 'boolean' }, ...CATALOG_OPTIONS },
  run(run) {
    const catalog = run.catalog();
    const providers = catalog.list().map((provider) => ({
      id: provider.id,
      name: provider.name,
      domains: provider.domains,
      anyDomain: provider.anyDomain,
      default: provider.id === catalog.defaultProviderId,
      variants: provider.variants.map((variant) => ({
        id: variant.id,
        name: localize(variant.name, 'en', variant.id),
        types: kindsOffered(variant),
        servers: variant.servers.map((s) => ({ protocol: s.protocol, host: s.host, port: s.port, socket: s.socket, insecure: s.insecure })),
        ...(variant.exchange ? { exchange: variant.exchange.host } : {}),
      })),
      source: provider.source,
    }));
    if (run.values.json) {
      run.io.stdout(`${JSON.stringify(providers, null, 2)}\n`);
      return Promise.resolve(0);
    }
    for (const provider of providers) {
      const domains = provider.anyDomain ? 'any domain' : provider.domains.join(', ');
      run.io.stdout(`${provider.id}${provider.default ? ' (default)' : ''}  ${provider.name}  [${domains}]\n`);
      for (const variant of provider.variants) {
        const servers = variant.servers.map((s) => `${s.protocol} ${s.host}:${s.port} ${s.socket}${s.insecure ? ' (insecure)' : ''}`);
        run.io.stdout(`  ${variant.id}: ${variant.types.join('/')}${variant.exchange ? `; exchange ${variant.exchange}` : ''}\n`);
        for (const line of servers) run.io.stdout(`    ${line}\n`);
      }
    }
    return Promise.resolve(0);
  },
};
