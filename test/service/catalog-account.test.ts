// A catalog account skips the second pass through the account schema: what comes out must be
// exactly what that pass gives, for every catalog provider, variant, type, device and option
// and for people whose values reach every field, and what the pass would refuse is refused.
import { expect } from '@jest/globals';
import { MailsetupError } from '../../src/errors.js';
import { accountSchema } from '../../src/model/account.js';
import { parseWith } from '../../src/model/validate.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { parseGenerateRequest } from '../../src/service/generate.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestPki } from '../signing/pki.js';
import { catalogRequests } from '../support/catalog-requests.js';
import { makeTempDir } from '../support/tmp.js';

const tmp = makeTempDir();
afterAll(() => tmp.remove());

/** The groupware provider (mail, calendars, contacts, Exchange) with a CA to trust. */
function groupwareCatalog(): ProviderCatalog {
  const root = new TestPki(join(tmp.path, 'pki')).root('Groupware Test Root', 'ec');
  const provider = readFileSync(fileURLToPath(new URL('../fixtures/providers/groupware.yaml', import.meta.url)), 'utf8');
  writeFileSync(join(tmp.path, 'groupware.yaml'), `${provider}trust: [${JSON.stringify(root.cert)}]\n`);
  return ProviderCatalog.load({ paths: [join(tmp.path, 'groupware.yaml')] });
}

const PEOPLE = [
  { local: 'anna.berg', name: 'Anna Berg' },
  { local: 'ivan.petrov', name: '  Иван Петров & <Co>  ', login: 'ivan' },
  { local: 'x', password: 'p&ss\t<word>\n' },
  { local: "o'brien+tag", name: 'Åsa Ödegård', login: '%EMAILLOCALPART%@corp' },
  { local: 'dav.user', login: 'DOMAIN\\%EMAILLOCALPART%' },
];

describe('a catalog account', () => {
  it.each([
    ['the bundled catalog', () => ProviderCatalog.load(), false],
    ['a catalog with calendars, contacts, Exchange and a CA to trust', groupwareCatalog, true],
  ])('is what the account schema gives, in %s', (_what, load, withTrust) => {
    const catalog = load();
    let count = 0;
    let trusted = 0;
    for (const { label, input } of catalogRequests(catalog, PEOPLE)) {
      let resolved;
      try {
        resolved = resolveAccount(parseGenerateRequest(input), catalog);
      } catch (error) {
        if (!(error instanceof MailsetupError)) throw error;
        continue;
      }
      count++;
      if (resolved.account.trust) trusted++;
      expect([label, resolved.account]).toEqual([label, parseWith(accountSchema, resolved.account)]);
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
