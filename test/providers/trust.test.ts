// Trusted certificates in provider files are checked when the catalog loads: they must parse, be
// valid now and be CA certificates; each failure is CATALOG_INVALID naming the entry and the rule.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { TestPki } from '../signing/pki.js';
import { thrown } from '../support/errors.js';
import { makeTempDir } from '../support/tmp.js';

const tmp = makeTempDir('mailsetup-trust-');
afterAll(() => tmp.remove());
let pki: TestPki;
let root: { cert: string; key: string; name: string };

const provider = (trust: string) =>
  `id: uni\nname: Uni\ndomains: [uni.example]\nservers:\n  - { protocol: imap, host: imap.uni.example, port: 993, socket: SSL }\n  - { protocol: smtp, host: smtp.uni.example, port: 465, socket: SSL }\n${trust}`;

function load(trust: string, now?: Date) {
  const file = join(tmp.path, `uni-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, provider(trust));
  return ProviderCatalog.load({ paths: [file], withoutBundled: true, ...(now ? { now } : {}) });
}

beforeAll(() => {
  pki = new TestPki(join(tmp.path, 'pki'));
  root = pki.root('Uni Root', 'rsa');
});

describe('trust: at catalog load', () => {
  it('a root file and an inline intermediate: parsed, in order, roots told from intermediates', () => {
    const intermediate = pki.issue('Uni Issuing', 'rsa', root, { extensions: 'ca' });
    writeFileSync(join(tmp.path, 'root.pem'), readFileSync(root.cert));
    const inline = readFileSync(intermediate.cert, 'utf8')
      .trim()
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
    const variant = load(`trust:\n  - root.pem\n  - |\n${inline}\n`).get('uni').variants[0]!;
    expect(variant.trust.map((c) => [c.name, c.root])).toEqual([
      ['Uni-Root', true],
      ['Uni-Issuing', false],
    ]);
    expect(variant.trust[0]!.sha256).toMatch(/^[0-9A-F]{64}$/);
  });

  it.each([
    ['expired', () => ['  - root.pem'], new Date(Date.now() + 20 * 365 * 24 * 3600 * 1000), 'certificate-expired', /Uni Root expired on/],
    ['not a CA', () => [`  - ${pki.issue('Server', 'rsa', root, { extensions: 'server' }).cert}`], undefined, 'certificate-ca', /not a CA certificate/],
    ['not a certificate', () => ['  - "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----"'], undefined, 'certificate', /not an X.509 certificate/],
    ['a missing file', () => ['  - nowhere.pem'], undefined, 'certificate-file', /cannot read the certificate file nowhere.pem/],
  ] as const)('%s: CATALOG_INVALID naming the entry and the rule', (_, entries, now, rule, message) => {
    writeFileSync(join(tmp.path, 'root.pem'), readFileSync(root.cert));
    const error = thrown(() => load(`trust:\n${entries().join('\n')}\n`, now));
    expect(error).toMatchObject({ code: 'CATALOG_INVALID', field: 'uni.trust[0]', rule });
    expect(error.message).toMatch(message);
  });

  it('a variant with its own trust list replaces the provider one', () => {
    writeFileSync(join(tmp.path, 'root.pem'), readFileSync(root.cert));
    const catalog = load('trust: [root.pem]\nvariants:\n  - { id: a }\n  - { id: b, trust: [root.pem, root.pem] }\n');
    expect(catalog.get('uni').variants.map((v) => v.trust.length)).toEqual([1, 1]);
  });
});
