// Thunderbird for Android reads our autoconfig answers with its own parser, which is stricter than
// Thunderbird's: it rejects the whole file when any IMAP or SMTP server breaks one of its rules.
// The rules below are those of thunderbird/thunderbird-android RealAutoconfigParser.kt
// (feature/autodiscovery/autoconfig): other server types (pop3, ews) are skipped; every `imap`
// incomingServer and `smtp` outgoingServer needs a valid hostname and port, a `<username>`, at
// least one `<authentication>` it knows (password-cleartext, password-encrypted, OAuth2), and a
// socketType of SSL or STARTTLS; the emailProvider needs an id and a valid `<domain>`, and the
// file an IMAP and an SMTP server. Evolution asks with `emailaddress=EVOLUTIONUSER@<domain>`.
import { describe, expect, it } from '@jest/globals';
import { DOMParser, type Element } from '@xmldom/xmldom';
import express from 'express';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { FORMATS } from '../../src/formats/registry.js';
import { autoconfigForDomain, autodiscoveryRouter } from '../../src/http/autodiscovery.js';
import { ProviderCatalog, parseProviderFile } from '../../src/providers/catalog.js';
import { catalog, fixture } from './outlook-fixtures.js';

const USABLE_AUTH = ['password-cleartext', 'password-encrypted', 'OAuth2'];
const HOST = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const children = (parent: Element, name?: string) =>
  Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === 1 && (name === undefined || (n as Element).localName === name));
const textOf = (parent: Element, name: string) => children(parent, name)[0]?.textContent ?? undefined;

/** Why Thunderbird for Android would reject the file, or [] when it takes it. */
function androidProblems(xml: string, email: string): string[] {
  const [local, domain] = email.split('@') as [string, string];
  const fill = (text: string) => text.replaceAll('%EMAILDOMAIN%', domain).replaceAll('%EMAILLOCALPART%', local).replaceAll('%EMAILADDRESS%', email);
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement as unknown as Element;
  const provider = root.localName === 'clientConfig' ? children(root, 'emailProvider')[0] : undefined;
  if (!provider) return ["Missing 'emailProvider' element"];
  const problems: string[] = [];
  const id = provider.getAttribute('id');
  if (!id || !HOST.test(id)) problems.push("Missing or invalid 'emailProvider.id' attribute");
  if (!children(provider, 'domain').some((d) => HOST.test(fill(d.textContent ?? '')))) problems.push("Valid 'domain' element required");
  let imap = 0;
  let smtp = 0;
  for (const server of [...children(provider, 'incomingServer'), ...children(provider, 'outgoingServer')]) {
    const type = server.getAttribute('type');
    const wanted = server.localName === 'incomingServer' ? 'imap' : 'smtp';
    if (type !== wanted) continue; // skipped, as Thunderbird for Android does
    const where = `${type} ${textOf(server, 'hostname')}:${textOf(server, 'port')}`;
    if (wanted === 'imap') imap++;
    else smtp++;
    const hostname = textOf(server, 'hostname');
    if (hostname === undefined || !HOST.test(fill(hostname))) problems.push(`${where}: Missing or invalid 'hostname'`);
    const port = Number(textOf(server, 'port'));
    if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`${where}: Invalid 'port'`);
    if (textOf(server, 'username') === undefined) problems.push(`${where}: Missing 'username' element`);
    if (!children(server, 'authentication').some((a) => USABLE_AUTH.includes(a.textContent ?? '')))
      problems.push(`${where}: No usable 'authentication' element found`);
    const socket = textOf(server, 'socketType');
    if (socket !== 'SSL' && socket !== 'STARTTLS') problems.push(`${where}: Unknown 'socketType' value: '${socket}'`);
  }
  if (imap === 0) problems.push("Missing 'incomingServer' element");
  if (smtp === 0) problems.push("Missing 'outgoingServer' element");
  return problems;
}

// A provider with an unauthenticated relay (auth none) besides a normal submission server, and
// an IMAP server that only offers NTLM besides one with passwords.
const RELAY = `
id: relay
name: Relay Example
domains: [relay.example]
servers:
  - { protocol: imap, host: ntlm.relay.example, port: 993, socket: SSL, auth: [NTLM] }
  - { protocol: imap, host: imap.relay.example, port: 993, socket: SSL }
  - { protocol: smtp, host: mx.relay.example, port: 25, socket: STARTTLS, auth: [none] }
  - { protocol: smtp, host: smtp.relay.example, port: 465, socket: SSL }
`;
const relayCatalog = new ProviderCatalog([...catalog.list(), ...parseProviderFile(RELAY, 'relay.yaml')]);

function app(providers: ProviderCatalog) {
  const server = express();
  server.use(autodiscoveryRouter({ config: loadConfig({}), catalog: providers }));
  return server;
}

describe('Thunderbird for Android accepts our autoconfig answers', () => {
  // Thunderbird for Android has no Exchange: a provider without IMAP and SMTP is not set up by autoconfig there.
  const mailProviders = catalog.list().filter((provider) => provider.variants.some((variant) => variant.servers.length > 0));
  it.each(mailProviders.flatMap((provider) => provider.variants.map((variant) => [provider.id, variant.id] as const)))(
    'the answer for a domain of %s/%s (a customer domain for a hosting provider)',
    (providerId, variantId) => {
      const provider = catalog.get(providerId);
      const variant = provider.variants.find((v) => v.id === variantId)!;
      const domain = variant.domains[0] ?? provider.domains[0] ?? 'customer.example';
      expect(androidProblems(autoconfigForDomain(provider, variant, domain), `someone@${domain}`)).toEqual([]);
    },
  );

  it.each([
    ['ivan.petrov@nstu.ru', {}],
    ['anna@mail.ru', { type: 'pop' }],
    ['boss@corp.example', { provider: 'rackcorp', variant: 'mn', type: 'exchange' }],
    ['olga@yandex.com', { security: 'SSL' }],
    ['own@own.example', { manual: { incoming: { host: 'imap.own.example' }, outgoing: { host: 'smtp.own.example', socket: 'STARTTLS' } } }],
  ] as const)('the per-person file for %s', (email, extra) => {
    const { account, context } = fixture({ email, format: 'autoconfig', ...extra });
    expect(androidProblems(FORMATS.autoconfig.build(account, context), email)).toEqual([]);
  });

  it('a provider with an unauthenticated relay and an NTLM-only server: the answer lists only what the app can use, first', async () => {
    const res = await request(app(relayCatalog)).get('/mail/config-v1.1.xml?emailaddress=ann%40relay.example').set('Host', 'autoconfig.relay.example');
    expect(res.status).toBe(200);
    expect(androidProblems(res.text, 'ann@relay.example')).toEqual([]);
    // Thunderbird desktop still gets the provider's first choices where they are usable.
    expect(res.text).toContain('<hostname>imap.relay.example</hostname>');
    expect(res.text).toContain('<hostname>smtp.relay.example</hostname>');
  });

  it('Evolution (emailaddress=EVOLUTIONUSER@domain) gets the same answer as a person and as the bare domain', async () => {
    const server = app(catalog);
    const [evolution, person, bare] = await Promise.all([
      request(server).get('/mail/config-v1.1.xml?emailaddress=EVOLUTIONUSER%40nstu.ru').set('Host', 'autoconfig.nstu.ru'),
      request(server).get('/mail/config-v1.1.xml?emailaddress=ivan.petrov%40nstu.ru').set('Host', 'autoconfig.nstu.ru'),
      request(server).get('/.well-known/autoconfig/mail/config-v1.1.xml').set('Host', 'nstu.ru'),
    ]);
    expect(evolution.status).toBe(200);
    expect(evolution.text).toBe(person.text);
    expect(evolution.text).toBe(bare.text);
    expect(evolution.text).not.toContain('EVOLUTIONUSER');
    expect(androidProblems(evolution.text, 'EVOLUTIONUSER@nstu.ru')).toEqual([]);
  });
});
