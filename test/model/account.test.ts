import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { accountSchema, type Account } from '../../src/model/account.js';
import { generateRequestSchema } from '../../src/model/request.js';
import { isEmailParts, parseEmail } from '../../src/model/rules.js';
import { parseWith } from '../../src/model/validate.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { thrown } from '../support/errors.js';

const catalog = ProviderCatalog.load();
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** Compiles only when the type itself says which servers each kind of account has. */
function hostsOf(account: Account): string[] {
  return account.kind === 'exchange' ? [account.exchange.host] : [account.incoming.host, account.outgoing.host];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('the account model', () => {
  it('carries the address parsed once at the edge: the request has its parts and the account keeps them', () => {
    const request = parseWith(generateRequestSchema, { email: ' Anna@Почта.РФ ', provider: 'rackcorp' });
    expect(request.email).toEqual({
      address: 'Anna@почта.рф',
      ascii: 'Anna@xn--80a1acny.xn--p1ai',
      local: 'Anna',
      domain: 'почта.рф',
      asciiDomain: 'xn--80a1acny.xn--p1ai',
    });
    const resolved = resolveAccount(request, catalog);
    expect(resolved.account.email).toEqual(request.email);
    expect(resolved.email).toEqual(request.email);
  });

  it('gives the same parts as parsing the address again did (so carrying them changes no output)', () => {
    const label = fc.oneof(fc.domain(), fc.constantFrom('Почта.РФ', 'BÜCHER.de', 'straße.de', 'ÅÄÖ.se', 'xn--80a1acny.xn--p1ai', 'Example.COM.'));
    const local = fc.oneof(
      fc.emailAddress().map((a) => a.slice(0, a.lastIndexOf('@'))),
      fc.constantFrom('Åsa', 'иван.петров', "O'Neil", 'a+b'),
    );
    let parsed = 0;
    fc.assert(
      fc.property(local, label, fc.constantFrom('', ' ', '\t'), (name, domain, pad) => {
        const parts = parseEmail(`${pad}${name}@${domain}${pad}`);
        if (!isEmailParts(parts)) return;
        parsed++;
        expect(parseEmail(parts.address)).toEqual(parts);
      }),
      { numRuns: 500 },
    );
    expect(parsed).toBeGreaterThan(250);
  });

  it('gives each kind of account exactly its servers', () => {
    const imap = resolveAccount(parseWith(generateRequestSchema, { email: 'ivan@nstu.ru' }), catalog).account;
    const exchange = resolveAccount(
      parseWith(generateRequestSchema, { email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange' }),
      catalog,
    ).account;
    expect(hostsOf(imap)).toEqual(['mail2.nstu.ru', 'mail2.nstu.ru']);
    expect(hostsOf(exchange)).toEqual(['mail.ex1.rackcorp.com']);
  });

  it.each([
    ['imap', {}, 'incoming', 'a imap account needs incoming server settings'],
    [
      'pop',
      { incoming: { host: 'pop.nstu.ru', port: 995, socket: 'SSL', auth: 'password-cleartext', username: 'a' } },
      'outgoing',
      'a pop account needs outgoing server settings',
    ],
    ['exchange', {}, 'exchange', 'a exchange account needs exchange server settings'],
  ])('a %s account without its server names the missing field', (kind, servers, field, message) => {
    const error = thrown(() =>
      parseWith(accountSchema, {
        kind,
        email: { address: 'a@nstu.ru', ascii: 'a@nstu.ru', local: 'a', domain: 'nstu.ru', asciiDomain: 'nstu.ru' },
        ...servers,
      }),
    );
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field, rule: 'required' });
    expect(error.message).toContain(`${field}: ${message}`);
  });

  it('leaves re-parsing the address and asserting servers out of every builder', () => {
    const offences: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const name = relative(SRC, file);
      const text = readFileSync(file, 'utf8');
      if (/as EmailParts\b/.test(text)) offences.push(`${name}: casts to EmailParts`);
      // The address is split where text comes in (the rules, the HTTP and CLI edges), nowhere after.
      if (!/^(model|http|cli)\//.test(name) && /\bparseEmail\(/.test(text)) offences.push(`${name}: parses the address again`);
      if (/\baccount\.(incoming|outgoing|exchange)!/.test(text)) offences.push(`${name}: asserts an account server exists`);
    }
    expect(offences).toEqual([]);
  });
});
