// The profile template (XML written once per provider and options, the person's values filled
// in): byte for byte what the plist writer gives for the same account, for every catalog
// provider, variant, account type and device and for people in turn, and the same refusals.
import { expect } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { MailsetupError } from '../../src/errors.js';
import type { FormatContext } from '../../src/formats/context.js';
import { buildMobileconfig, buildMobileconfigObject } from '../../src/formats/mobileconfig.js';
import { buildPlistXml } from '../../src/formats/plist-xml.js';
import type { Account, ExchangeAccount, InternetAccount } from '../../src/model/account.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { formatContext, parseGenerateRequest } from '../../src/service/generate.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { catalogRequests } from '../support/catalog-requests.js';

const catalog = ProviderCatalog.load();
const config = loadConfig({ MAILSETUP_ORG_NAME: 'Example University IT', MAILSETUP_ORG_ID: 'org.example.mail', MAILSETUP_ALLOW_PASSWORD: 'true' });

/** What the writer gives without a template. */
const plain = (account: Account, context: FormatContext) => Buffer.from(buildPlistXml(buildMobileconfigObject(account, context)), 'utf8');

const PEOPLE = [
  { local: 'anna.berg', name: 'Anna Berg' },
  { local: 'ivan.petrov', name: 'Иван Петров & <Co>', login: 'ivan' },
  { local: 'x', name: undefined, password: 'p&ss<word>' },
  { local: 'same', name: 'same@DOMAIN' },
];

function cases() {
  const out: { label: string; account: Account; context: FormatContext }[] = [];
  for (const { label, input } of catalogRequests(catalog, PEOPLE)) {
    try {
      const request = parseGenerateRequest(input);
      const resolved = resolveAccount(request, catalog);
      out.push({ label, account: resolved.account, context: formatContext(resolved, request, config) });
    } catch (error) {
      if (!(error instanceof MailsetupError)) throw error;
    }
  }
  return out;
}

describe('the profile template', () => {
  const all = cases();

  it('covers the catalog', () => {
    expect(all.length).toBeGreaterThan(100);
  });

  it('writes exactly what the plist writer writes, for each person in turn', () => {
    for (const { label, account, context } of all) {
      expect([label, buildMobileconfig(account, context).toString('utf8')]).toEqual([label, plain(account, context).toString('utf8')]);
    }
    // Once more, every template now known.
    for (const { account, context } of all) expect(buildMobileconfig(account, context).equals(plain(account, context))).toBe(true);
  });

  const first = all.find((c) => c.account.kind === 'imap' && c.account.displayName !== undefined)!;

  it.each([
    ['a control character', 'Anna\u0001Berg'],
    ['U+FFFF', 'Anna\uffffBerg'],
    ['what looks like a hole', '\uffff0\ufffe'],
    ['an unpaired surrogate', 'Anna\ud800'],
  ])('refuses %s in a person value where it sits, as without a template', (_what, displayName) => {
    buildMobileconfig(first.account, first.context);
    const hostile = { ...first.account, displayName } as Account;
    expect(() => buildMobileconfig(hostile, first.context)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'displayName', rule: 'xml-character' }),
    );
  });

  it('never takes a hole mark in another value for a hole', () => {
    const context = { ...first.context, organization: { ...first.context.organization, name: 'IT \uffff0\ufffe' } };
    expect(() => buildMobileconfig(first.account, context)).toThrow(expect.objectContaining({ rule: 'xml-character' }));
    expect(() => plain(first.account, context)).toThrow(expect.objectContaining({ rule: 'xml-character' }));
  });

  it('never gives a profile the template of one whose shared values differ in any field', () => {
    const mail = all.find((c) => c.account.kind === 'imap' && c.account.caldav === undefined && c.account.trust === undefined)!;
    const a = mail.account as InternetAccount;
    const c = mail.context;
    const cases: [string, Account, FormatContext][] = [
      ['incoming host', { ...a, incoming: { ...a.incoming, host: 'other.example.org' } }, c],
      ['incoming port', { ...a, incoming: { ...a.incoming, port: a.incoming.port + 1 } }, c],
      ['outgoing socket', { ...a, outgoing: { ...a.outgoing, socket: a.outgoing.socket === 'SSL' ? ('STARTTLS' as const) : ('SSL' as const) } }, c],
      ['outgoing auth', { ...a, outgoing: { ...a.outgoing, auth: 'password-encrypted' as const } }, c],
      ['provider name', { ...a, provider: { ...a.provider!, name: 'Other Mail' } }, c],
      ['provider variant', { ...a, provider: { ...a.provider!, variant: 'other' } }, c],
      ['calendars added', { ...a, caldav: { host: 'dav.example.org', port: 443, ssl: true, username: 'anna' } }, c],
      ['organization name', a, { ...c, organization: { ...c.organization, name: 'Other IT' } }],
      ['organization identifier', a, { ...c, organization: { ...c.organization, identifier: 'org.other.mail' } }],
      ['device', a, { ...c, device: c.device === 'ios' ? 'macos' : 'ios' }],
      ['consent text', a, { ...c, text: { ...c.text, consentText: { default: 'Read this first' } } }],
      ['a password written', { ...a, password: 'secret' }, { ...c, includePassword: !c.includePassword }],
    ];
    const exchange = all.find((e) => e.account.kind === 'exchange' && e.account.exchange.oauth !== undefined);
    if (exchange) {
      const x = exchange.account as ExchangeAccount;
      cases.push([
        'sign-in URL',
        { ...x, exchange: { ...x.exchange, oauth: { ...x.exchange.oauth, signInUrl: 'https://login.example.org/sign-in' } } },
        exchange.context,
      ]);
      buildMobileconfig(x, exchange.context);
    }
    for (const [label, account, context] of cases) {
      // The template of the unchanged profile is known first; the changed one must not take it.
      buildMobileconfig(a, c);
      expect([label, buildMobileconfig(account, context).toString('utf8')]).toEqual([label, plain(account, context).toString('utf8')]);
    }
    expect(exchange).toBeDefined();
  });

  it('refuses the same escaped-looking text as text: `&lt;` stays `&amp;lt;`', () => {
    const account = { ...first.account, displayName: '&lt;b&gt; &amp;' } as Account;
    const xml = buildMobileconfig(account, first.context).toString('utf8');
    expect(xml).toContain('<string>&amp;lt;b&amp;gt; &amp;amp;</string>');
    expect(xml).toBe(plain(account, first.context).toString('utf8'));
  });
});
