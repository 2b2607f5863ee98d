// Trusted CA certificates a provider ships for its servers (roots and intermediates), as the
// catalog checked them: the DER bytes travel base64-encoded, so the account stays plain data.
import { z } from 'zod';

export const trustedCertificateSchema = z.object({
  /** A file-name-safe label: the certificate's common name, else its fingerprint. */
  name: z.string().min(1),
  subject: z.string(),
  /** Self-signed (a root): Apple's com.apple.security.root; otherwise an intermediate (com.apple.security.pem). */
  root: z.boolean(),
  /** SHA-256 of the DER, upper-case hex without separators. */
  sha256: z.string().regex(/^[0-9A-F]{64}$/),
  der: z.string().regex(/^[A-Za-z0-9+/]+=*$/),
  /** When it stops being valid (ISO 8601). */
  validTo: z.string(),
});
export type TrustedCertificate = z.output<typeof trustedCertificateSchema>;

export function derOf(certificate: TrustedCertificate): Buffer {
  return Buffer.from(certificate.der, 'base64');
}

/** The certificate as PEM text (64-column base64 lines). */
export function pemOf(certificate: TrustedCertificate): string {
  const lines = certificate.der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
