// Signing cost: one signed profile (digest, signed attributes, native signature, CMS envelope)
// against the bare native signature it cannot go below, for
// RSA-2048, ECDSA P-256, and ECDSA P-256 under an ACME-style chain (leaf + P-384 intermediate,
// as Let's Encrypt's E-series issue it), in one process. Target: signed RSA-2048 ≤ 1.3× raw.
import { execFileSync } from 'node:child_process';
import { createHash, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/config.js';
import { ProviderCatalog } from '../dist/providers/catalog.js';
import { generate, parseGenerateRequest } from '../dist/service/generate.js';
import { signedAttributes } from '../dist/signing/cms.js';
import { createSigner } from '../dist/signing/cms-signer.js';
import { generateDevelopmentFiles } from '../dist/signing/development.js';
import { identityFromPem, type SigningIdentity } from '../dist/signing/identity.js';
import { certificateInfo } from '../dist/signing/x509.js';
import { compare, round, type BenchSection, type Figures } from './section.js';

/**
 * A signer certificate plus one more certificate in the envelope, as with a real CA's
 * intermediate: the development CA stands in for it so the profile carries realistic bytes.
 */
function identity(kind: 'rsa' | 'ec'): SigningIdentity {
  const files = generateDevelopmentFiles('Bench', new Date(), kind);
  return {
    key: files.key,
    certificate: certificateInfo(files.certificate),
    intermediates: [certificateInfo(files.ca)],
    root: undefined,
    unrelated: [],
    source: 'bench',
    development: true,
  };
}

/**
 * What an ACME CA hands out: a P-256 leaf for a web name (serverAuth, SAN) under a P-384
 * intermediate under a root; made with the openssl command line, as real CAs' certificates are
 * not made by us. The root stays out of the envelope, as on a device.
 */
function acmeStyleIdentity(): SigningIdentity {
  const dir = mkdtempSync(join(tmpdir(), 'mailsetup-bench-acme-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    writeFileSync(
      join(dir, 'ext.cnf'),
      '[ca]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:setup.example.org,DNS:autoconfig.example.org\n',
    );
    const key = (name: string, curve: string) => run(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', `${name}.key`]);
    key('root', 'P-384');
    key('intermediate', 'P-384');
    key('leaf', 'P-256');
    run(['req', '-x509', '-key', 'root.key', '-subj', '/O=Bench/CN=Bench Root X2', '-days', '30', '-out', 'root.pem']);
    run(['req', '-new', '-key', 'intermediate.key', '-subj', '/C=US/O=Bench/CN=E9', '-out', 'intermediate.csr']);
    run([
      'x509',
      '-req',
      '-in',
      'intermediate.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-days',
      '30',
      '-extfile',
      'ext.cnf',
      '-extensions',
      'ca',
      '-out',
      'intermediate.pem',
    ]);
    run(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=setup.example.org', '-out', 'leaf.csr']);
    run([
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'intermediate.pem',
      '-CAkey',
      'intermediate.key',
      '-days',
      '30',
      '-extfile',
      'ext.cnf',
      '-extensions',
      'leaf',
      '-out',
      'leaf.pem',
    ]);
    const read = (file: string) => readFileSync(join(dir, file), 'utf8');
    return identityFromPem(read('leaf.key'), read('leaf.pem') + read('intermediate.pem'), 'bench ACME-style chain');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A little ordinary JavaScript between signatures, as every real signature has (a request, a
 * profile): it shows what a signature costs when it does not follow another one directly.
 */
const CHORE_OBJECTS = 300;
function chore(): { i: number }[] {
  const made: { i: number }[] = [];
  for (let i = 0; i < CHORE_OBJECTS; i++) made.push({ i });
  return made;
}

export const signingBench: BenchSection = {
  name: 'signing',
  summary: 'one signed Apple profile against the raw native signature (same process, interleaved rounds, medians)',
  run({ quick, log }) {
    const config = loadConfig({});
    const catalog = ProviderCatalog.load();
    const request = parseGenerateRequest({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров', unsigned: true });
    const plist = generate(request, { config, catalog }).body;
    const figures: Figures = { 'profile.bytes': { value: plist.length, unit: 'B', note: 'unsigned plist being signed' } };
    const rounds = quick ? 3 : 7;
    const milliseconds = quick ? 150 : 400;
    for (const kind of ['rsa', 'ec', 'acme'] as const) {
      const label = { rsa: 'rsa2048', ec: 'p256', acme: 'p256acme' }[kind];
      log(`${label}: generating keys, then ${rounds} rounds of ${milliseconds} ms per candidate`);
      const id = kind === 'acme' ? acmeStyleIdentity() : identity(kind);
      const signer = createSigner(id);
      const signedRequest = parseGenerateRequest({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров' });
      // The raw floor signs bytes of the same size as the real signed attributes.
      const attributes = signedAttributes(createHash('sha256').update(plist).digest(), new Date());
      const times = compare(
        {
          raw: () => sign('sha256', attributes, id.key),
          chore: () => chore(),
          rawThenChore: () => {
            sign('sha256', attributes, id.key);
            return chore();
          },
          signed: () => signer.sign(plist),
          generated: () => generate(signedRequest, { config, catalog, signer }),
        },
        { rounds, milliseconds },
      );
      figures[`${label}.raw`] = { value: round(times.raw), unit: 'µs', note: 'crypto.sign alone' };
      figures[`${label}.signed`] = { value: round(times.signed), unit: 'µs', note: 'Signer.sign(plist): digest, signed attributes, signature, CMS envelope' };
      figures[`${label}.generated`] = { value: round(times.generated), unit: 'µs', note: 'generate(): resolve, build plist, sign' };
      figures[`${label}.signedPerSecond`] = { value: Math.round(1e6 / times.signed), unit: '/s', note: 'one core' };
      figures[`${label}.ratio`] = { value: round(times.signed / times.raw), unit: 'x', note: kind === 'rsa' ? 'signed ÷ raw, target ≤ 1.3' : 'signed ÷ raw' };
      figures[`${label}.generatedRatio`] = { value: round(times.generated / times.raw), unit: 'x', note: 'generated ÷ raw' };
      const between = times.rawThenChore - times.chore;
      figures[`${label}.rawBetweenJs`] = {
        value: round(between),
        unit: 'µs',
        note: `one signature when JavaScript ran since the last (${CHORE_OBJECTS} small objects made, ${round(times.chore)} µs, taken off): ${round(between / times.raw)}× raw`,
      };
      figures[`${label}.generatedRatioBetweenJs`] = { value: round(times.generated / between), unit: 'x', note: 'generated ÷ that signature' };
      if (kind === 'acme')
        figures[`${label}.profileBytes`] = { value: signer.sign(plist).length, unit: 'B', note: 'signed profile: leaf + intermediate embedded' };
    }
    return Promise.resolve(figures);
  },
};
