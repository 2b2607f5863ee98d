// A provider's trusted CA certificates as downloads: .cer is DER (what Windows and Apple devices
// open with a double-click or tap), .crt is PEM (what Android's installer takes).
import type { Router } from 'express';
import { MailsetupError } from '../../errors.js';
import { derOf, pemOf } from '../../model/trust.js';
import { variantOf } from '../../providers/catalog.js';
import { contentDisposition } from '../send-file.js';
import type { PageKit } from './kit.js';

export function certificateRoutes(router: Router, kit: PageKit): void {
  const { catalog } = kit.deps;
  router.get('/certificates/:provider/:variant/:file', (req, res) => {
    const match = /^([0-9a-f]{16})\.(cer|crt)$/.exec(String(req.params.file));
    const provider = catalog.get(String(req.params.provider));
    const variant = variantOf(provider, String(req.params.variant));
    const certificate = match ? variant.trust.find((c) => c.sha256.slice(0, 16).toLowerCase() === match[1]) : undefined;
    if (!match || !certificate) throw new MailsetupError('NOT_FOUND', 'no such certificate', { field: 'certificate', rule: 'known-certificate' });
    const der = match[2] === 'cer';
    res
      .status(200)
      .set({
        'Content-Type': der ? 'application/pkix-cert' : 'application/x-pem-file',
        'Content-Disposition': contentDisposition(`${certificate.name}.${match[2]}`),
        'Cache-Control': 'public, max-age=3600',
      })
      .send(der ? derOf(certificate) : pemOf(certificate));
  });
}
