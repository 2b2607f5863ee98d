// A catalog account skips the second pass through the account schema: what comes out must be
// exactly what that pass gives, for every catalog provider, variant, type, device and option
// and for people whose values reach every field, and what the pass would refuse is refused.
import { expect } from '@jest/globals';
import { MailsetupError } from '../../src/errors.js';
import { DEVICES, accountSchema } from '../../src/model/account.js';
import { parseWith } from '../../src/model/validate.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { parseGenerateRequest } from '../../src/service/generate.js';
import { kindsOffered, resolveAccount } from '../../src/service/resolve.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openssl } from '../support/openssl.js';
import { makeTempDir } from '../support/tmp.js';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

/** The groupware provider (mail, calendars, contacts, Exchange) with a CA to trust. */
function groupwareCatalog(): ProviderCatalog {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(tmp.path, 'ca.key'),
    '-out',
    join(tmp.path, 'ca.pem'),
    '-subj',
    '/CN=Groupware Test Root',
    '-days',
    '30',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const provider = readFileSync(fileURLToPath(new URL('../fixtures/providers/groupware.yaml', import.meta.url)), 'utf8');
  writeFileSync(join(tmp.path, 'groupware.yaml'), `${provider}trust: [ca.pem]\n`);
  return ProviderCatalog.load({ paths: [join(tmp.path, 'groupware.yaml')] });
}

const PEOPLE = [
  { local: 'anna.berg', name: 'Anna Berg' },
  { local: 'ivan.petrov', name: '  Иван Петров & <Co>  ', login: 'ivan' },
  { local: 'x', password: 'p&ss\t<word>\n' },
  { local: "o'brien+tag", name: 'Åsa Ödegård', login: '%EMAILLOCALPART%@corp' },
  { local: 'dav.user', login: 'DOMAIN\\%EMAILLOCALPART%' },
];

function* requests(catalog: ProviderCatalog) {
  for (const provider of catalog.list()) {
    const domain = provider.domains[0] ?? 'customer.example';
    for (const variant of provider.variants) {
      for (const type of kindsOffered(variant)) {
        for (const device of DEVICES) {
          for (const mailOnly of [false, true]) {
            for (const person of PEOPLE) {
              yield {
                email: `${person.local}@${domain}`,
                provider: provider.id,
                variant: variant.id,
                type,
                device,
                mailOnly,
                ...(person.name ? { name: person.name } : {}),
                ...(person.login ? { login: person.login } : {}),
                ...(person.password ? { password: person.password } : {}),
              };
            }
          }
        }
      }
    }
  }
}

describe('a catalog account', () => {
  it.each([
    ['the bundled catalog', () => ProviderCatalog.load(), false],
    ['a catalog with calendars, contacts, Exchange and a CA to trust', groupwareCatalog, true],
  ])('is what the account schema gives, in %s', (_what, load, withTrust) => {
    const catalog = load();
    let count = 0;
    let trusted = 0;
    for (const input of requests(catalog)) {
      let resolved;
      try {
        resolved = resolveAccount(parseGenerateRequest(input), catalog);
      } catch (error) {
        if (!(error instanceof MailsetupError)) throw error;
        continue;
      }
      count++;
      if (resolved.account.trust) trusted++;
      expect([input.email, resolved.account]).toEqual([input.email, parseWith(accountSchema, resolved.account)]);
    }
    expect(count).toBeGreaterThan(50);
    expect(trusted > 0).toBe(withTrust);
  });

  it('refuses a login made from the template as the schema does, naming the field the person filled in', () => {
    const catalog = ProviderCatalog.load();
    const request = parseGenerateRequest({ email: 'anna.berg.long@nstu.ru', login: `${'a'.repeat(242)}%EMAILADDRESS%` });
    expect(() => resolveAccount(request, catalog)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'login', rule: 'max-length' }));
  });
});
