// QR links: HMAC-signed, expiring, nothing stored; the same secret works across processes.
import { describe, expect, it } from '@jest/globals';
import { linkTokens } from '../../src/http/link-token.js';

describe('link tokens', () => {
  let now = 1_000_000_000_000;
  const tokens = linkTokens<{ email: string }>({ secret: 's'.repeat(32), ttlMs: 600_000, now: () => now });

  it('round-trips a payload until it expires', () => {
    const { token, expiresAt } = tokens.issue({ email: 'ivan@nstu.ru' });
    expect(expiresAt).toBe(now + 600_000);
    expect(tokens.verify(token)).toEqual({ email: 'ivan@nstu.ru' });
    now += 599_000;
    expect(tokens.verify(token)).toEqual({ email: 'ivan@nstu.ru' });
    now += 2_000;
    expect(() => tokens.verify(token)).toThrow(expect.objectContaining({ code: 'NOT_FOUND', field: 'token', rule: 'link-expired' }));
  });

  it('refuses altered, truncated and foreign tokens', () => {
    const { token } = tokens.issue({ email: 'ivan@nstu.ru' });
    const [body, mac] = token.split('.') as [string, string];
    const forged = Buffer.from(Buffer.from(body, 'base64url').toString().replace('ivan', 'olga')).toString('base64url');
    expect(() => tokens.verify(`${forged}.${mac}`)).toThrow(expect.objectContaining({ rule: 'link-signature' }));
    expect(() => tokens.verify(body)).toThrow(expect.objectContaining({ rule: 'link-format' }));
    expect(() => tokens.verify(`${token}.x`)).toThrow(expect.objectContaining({ rule: 'link-format' }));
    const other = linkTokens<{ email: string }>({ secret: 't'.repeat(32), ttlMs: 600_000, now: () => now });
    expect(() => other.verify(token)).toThrow(expect.objectContaining({ rule: 'link-signature' }));
  });

  it('accepts tokens from another instance with the same secret, and none without one', () => {
    const twin = linkTokens<{ email: string }>({ secret: 's'.repeat(32), ttlMs: 600_000, now: () => now });
    expect(twin.verify(tokens.issue({ email: 'a@b.se' }).token)).toEqual({ email: 'a@b.se' });
    const random = linkTokens<{ email: string }>({ secret: undefined, ttlMs: 600_000, now: () => now });
    expect(() => random.verify(tokens.issue({ email: 'a@b.se' }).token)).toThrow(expect.objectContaining({ rule: 'link-signature' }));
  });
});
