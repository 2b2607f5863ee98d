// QR links: encrypted and authenticated (AES-256-GCM, key from the link secret by HKDF), expiring,
// nothing stored; the same secret works across processes.
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
    const parts = token.split('.').map((part) => Buffer.from(part, 'base64url'));
    expect(parts).toHaveLength(2);
    const join = (nonce: Buffer, sealed: Buffer) => `${nonce.toString('base64url')}.${sealed.toString('base64url')}`;
    for (const [which, at] of [
      [0, 0],
      [0, 11],
      [1, 0],
      [1, parts[1]!.length >> 1],
      [1, parts[1]!.length - 1],
    ] as const) {
      const altered = parts.map((part) => Buffer.from(part));
      altered[which]![at]! ^= 0x01;
      expect(() => tokens.verify(join(altered[0]!, altered[1]!))).toThrow(expect.objectContaining({ rule: 'link-signature' }));
    }
    expect(() => tokens.verify(join(parts[0]!, parts[1]!.subarray(0, parts[1]!.length - 1)))).toThrow(expect.objectContaining({ rule: 'link-signature' }));
    expect(() => tokens.verify(join(parts[0]!, parts[1]!.subarray(0, 10)))).toThrow(expect.objectContaining({ rule: 'link-format' }));
    expect(() => tokens.verify(join(parts[0]!.subarray(1), parts[1]!))).toThrow(expect.objectContaining({ rule: 'link-format' }));
    expect(() => tokens.verify(token.split('.')[1]!)).toThrow(expect.objectContaining({ rule: 'link-format' }));
    expect(() => tokens.verify(`${token}x`)).toThrow(expect.objectContaining({ code: 'NOT_FOUND', field: 'token' }));
    expect(() => tokens.verify(`${token}.x`)).toThrow(expect.objectContaining({ rule: 'link-format' }));
    expect(() => tokens.verify('')).toThrow(expect.objectContaining({ rule: 'link-format' }));
    const other = linkTokens<{ email: string }>({ secret: 't'.repeat(32), ttlMs: 600_000, now: () => now });
    expect(() => other.verify(token)).toThrow(expect.objectContaining({ rule: 'link-signature' }));
  });

  it('carries no readable personal data: the payload is encrypted, and its length is padded', () => {
    const people = linkTokens<{ email: string; name: string }>({ secret: 's'.repeat(32), ttlMs: 600_000, now: () => now });
    const person = { email: 'ivan.petrov@nstu.ru', name: 'Иван Петров' };
    const { token } = people.issue(person);
    const bytes = Buffer.concat(token.split('.').map((part) => Buffer.from(part, 'base64url')));
    for (const text of [token, bytes.toString('latin1'), bytes.toString('utf8')]) {
      for (const secret of ['ivan', 'petrov', 'nstu', 'Иван', '"email"']) expect(text).not.toContain(secret);
    }
    for (const encoding of ['utf8', 'utf16le'] as const) expect(bytes.includes(Buffer.from('Иван', encoding))).toBe(false);
    // A fresh nonce each time: the same person gives unrelated tokens.
    const again = people.issue(person).token;
    expect(again).not.toBe(token);
    expect(people.verify(again)).toEqual(person);
    // Names of nearly the same length give tokens of the same length.
    const lengths = new Set(['Ivan', 'Ivana', 'Ivanka'].map((name) => people.issue({ ...person, name }).token.length));
    expect(lengths.size).toBe(1);
  });

  it('accepts tokens from another instance with the same secret, and none without one', () => {
    const twin = linkTokens<{ email: string }>({ secret: 's'.repeat(32), ttlMs: 600_000, now: () => now });
    expect(twin.verify(tokens.issue({ email: 'a@b.se' }).token)).toEqual({ email: 'a@b.se' });
    const random = linkTokens<{ email: string }>({ secret: undefined, ttlMs: 600_000, now: () => now });
    expect(() => random.verify(tokens.issue({ email: 'a@b.se' }).token)).toThrow(expect.objectContaining({ rule: 'link-signature' }));
  });
});
