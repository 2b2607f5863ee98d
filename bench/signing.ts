// Signing cost: one signed profile (digest, signed attributes, native signature, the check of
// that signature, CMS envelope) against the bare native signature it cannot go below, for
// RSA-2048 and ECDSA P-256, in one process. Target: signed RSA-2048 profile ≤ 1.3× raw.
import { createHash, sign } from 'node:crypto';
import { loadConfig } from '../dist/config.js';
import { ProviderCatalog } from '../dist/providers/catalog.js';
import { generate, parseGenerateRequest } from '../dist/service/generate.js';
import { signedAttributes } from '../dist/signing/cms.js';
import { createSigner } from '../dist/signing/cms-signer.js';
import { generateDevelopmentFiles } from '../dist/signing/development.js';
import type { SigningIdentity } from '../dist/signing/identity.js';
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
    for (const kind of ['rsa', 'ec'] as const) {
      const label = kind === 'rsa' ? 'rsa2048' : 'p256';
      log(`${label}: generating keys, then ${rounds} rounds of ${milliseconds} ms per candidate`);
      const id = identity(kind);
      const signer = createSigner(id);
      const signedRequest = parseGenerateRequest({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров' });
      // The raw floor signs bytes of the same size as the real signed attributes.
      const attributes = signedAttributes(createHash('sha256').update(plist).digest(), new Date());
      const times = compare(
        {
          raw: () => sign('sha256', attributes, id.key),
          signed: () => signer.sign(plist),
          generated: () => generate(signedRequest, { config, catalog, signer }),
        },
        { rounds, milliseconds },
      );
      figures[`${label}.raw`] = { value: round(times.raw), unit: 'µs', note: 'crypto.sign alone' };
      figures[`${label}.signed`] = { value: round(times.signed), unit: 'µs', note: 'Signer.sign(plist): CMS, signature and its check' };
      figures[`${label}.generated`] = { value: round(times.generated), unit: 'µs', note: 'generate(): resolve, build plist, sign' };
      figures[`${label}.signedPerSecond`] = { value: Math.round(1e6 / times.signed), unit: '/s', note: 'one core' };
      figures[`${label}.ratio`] = { value: round(times.signed / times.raw), unit: 'x', note: kind === 'rsa' ? 'signed ÷ raw, target ≤ 1.3' : 'signed ÷ raw' };
      figures[`${label}.generatedRatio`] = { value: round(times.generated / times.raw), unit: 'x', note: 'generated ÷ raw' };
    }
    return Promise.resolve(figures);
  },
};
