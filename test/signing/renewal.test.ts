// When a certificate is renewed, and what the renewal loop does over months of (test) time:
// two thirds of the lifetime with jitter, a CA's ARI window, backoff after failures (a warning,
// an error with less than a week left), timers never armed more than a day ahead, and a restart
// that remembers the failures.
import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RenewalStatus } from '../../src/signing/acme-store.js';
import { ariCertificateId, DEFAULT_BACKOFF, MAX_TIMER_MS, parseRenewalWindow, renewalTime, retryDelay } from '../../src/signing/renewal.js';
import { Renewer, type CurrentCertificate, type RenewerOptions } from '../../src/signing/renewer.js';
import type { WindowAnswer } from '../../src/signing/acme.js';
import { TestClock } from '../support/clock.js';
import { openssl } from '../support/openssl.js';
import { makeTempDir } from '../support/tmp.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('renewalTime', () => {
  const validity = { notBefore: 0, notAfter: 90 * DAY };
  it('is two thirds of the lifetime, moved earlier by up to a thirtieth of it', () => {
    expect(renewalTime(validity, () => 0)).toBe(60 * DAY);
    expect(renewalTime(validity, () => 0.999999)).toBeGreaterThan(57 * DAY);
    expect(renewalTime(validity, () => 0.5)).toBe(58.5 * DAY);
  });

  it('picks a moment inside the window a CA suggests, and ignores an empty one', () => {
    const window = { start: 10 * DAY, end: 12 * DAY };
    expect(renewalTime(validity, () => 0, window)).toBe(10 * DAY);
    expect(renewalTime(validity, () => 0.5, window)).toBe(11 * DAY);
    expect(renewalTime(validity, () => 0, { start: 12 * DAY, end: 12 * DAY })).toBe(60 * DAY);
  });
});

describe('retryDelay', () => {
  const lifetime = 90 * DAY;
  it('doubles from ten minutes up to six hours, ±10 %', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => retryDelay(n, lifetime, DEFAULT_BACKOFF, middle) / 60_000)).toEqual([
      10, 20, 40, 80, 160, 320, 360, 360, 360,
    ]);
    expect(retryDelay(1, lifetime, DEFAULT_BACKOFF, () => 0)).toBe(9 * 60_000);
    expect(retryDelay(1, lifetime, DEFAULT_BACKOFF, () => 1)).toBe(11 * 60_000);
  });

  it('never waits more than a twentieth of a short lifetime', () => {
    expect(retryDelay(8, 6 * DAY, DEFAULT_BACKOFF, () => 0.5)).toBe(6 * HOUR);
    expect(retryDelay(8, HOUR, DEFAULT_BACKOFF, () => 0.5)).toBe(HOUR / 20);
  });
});

describe('ariCertificateId (RFC 9773 §4.1)', () => {
  const tmp = makeTempDir('mailsetup-ari-');
  afterAll(() => tmp.remove());

  it("matches the RFC's example: authority key identifier 69:88:5B:… and serial 0x0087654321", () => {
    const dir = tmp.path;
    const ext = join(dir, 'ext.cnf');
    writeFileSync(
      ext,
      '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=ARI CA\n[ca]\nbasicConstraints=critical,CA:TRUE\nsubjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4\n[leaf]\nauthorityKeyIdentifier=keyid\n[bare]\nbasicConstraints=CA:FALSE\nauthorityKeyIdentifier=none\nsubjectKeyIdentifier=none\n',
    );
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    openssl(['req', '-x509', ...ec, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-config', ext, '-extensions', 'ca', '-days', '1']);
    openssl(['req', ...ec, '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.csr'), '-subj', '/CN=leaf']);
    for (const [name, section] of [
      ['leaf', 'leaf'],
      ['bare', 'bare'],
    ] as const) {
      openssl([
        'x509',
        '-req',
        '-in',
        join(dir, 'leaf.csr'),
        '-CA',
        join(dir, 'ca.pem'),
        '-CAkey',
        join(dir, 'ca.key'),
        '-set_serial',
        '0x87654321',
        '-days',
        '1',
        '-extfile',
        ext,
        '-extensions',
        section,
        '-outform',
        'DER',
        '-out',
        join(dir, `${name}.der`),
      ]);
    }
    expect(ariCertificateId(readFileSync(join(dir, 'leaf.der')))).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
    expect(ariCertificateId(readFileSync(join(dir, 'bare.der')))).toBeUndefined();
  });

  it('reads a well-formed suggested window and nothing else', () => {
    expect(parseRenewalWindow({ suggestedWindow: { start: '2025-01-02T04:00:00Z', end: '2025-01-03T04:00:00Z' } })).toEqual({
      start: Date.parse('2025-01-02T04:00:00Z'),
      end: Date.parse('2025-01-03T04:00:00Z'),
    });
    expect(parseRenewalWindow({ suggestedWindow: { start: 'soon', end: 'later' } })).toBeUndefined();
    expect(parseRenewalWindow({ suggestedWindow: { start: '2025-01-03T04:00:00Z', end: '2025-01-02T04:00:00Z' } })).toBeUndefined();
    expect(parseRenewalWindow(undefined)).toBeUndefined();
  });
});

type Logged = { level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> };

function harness(options: { lifetime?: number; window?: WindowAnswer; saved?: RenewalStatus; renew?: RenewerOptions['renew'] } = {}) {
  const clock = new TestClock({ frozen: true });
  const lifetime = options.lifetime ?? 90 * DAY;
  let serial = 0;
  const certificate = (notBefore: number): CurrentCertificate => ({
    der: Buffer.from([serial]),
    notBefore,
    notAfter: notBefore + lifetime,
    fingerprint256: `FP${serial++}`,
  });
  const logged: Logged[] = [];
  const saved: RenewalStatus[] = [];
  let failing = false;
  let renewals = 0;
  const log = (level: Logged['level']) => (fields: Record<string, unknown>, message: string) => void logged.push({ level, fields, message });
  const renewer = new Renewer(
    {
      clock,
      random: () => 0,
      backoff: DEFAULT_BACKOFF,
      renew:
        options.renew ??
        (() => {
          renewals++;
          return failing ? Promise.reject(new Error('MAILSETUP_ACME_DIRECTORY: cannot reach the ACME server')) : Promise.resolve(certificate(clock.now()));
        }),
      window: () => Promise.resolve(options.window),
      status: { read: () => options.saved, write: (status) => void saved.push(structuredClone(status)) },
      log: { info: log('info'), warn: log('warn'), error: log('error') },
    },
    certificate(clock.now()),
  );
  return {
    clock,
    renewer,
    logged,
    saved,
    renewals: () => renewals,
    fail: (value: boolean) => void (failing = value),
    /** Fires timers until the renewer has tried to renew once more. */
    async untilAttempt() {
      await renewer.settled();
      const before = renewals;
      for (let i = 0; i < 400 && renewals === before; i++) {
        clock.fireNext();
        await renewer.settled();
      }
    },
  };
}

describe('Renewer', () => {
  it('renews at two thirds, re-arming at most a day ahead, and plans the next renewal from the new certificate', async () => {
    const h = harness();
    await h.renewer.start();
    expect(h.clock.pending()).toEqual([MAX_TIMER_MS]);
    expect(h.saved.at(-1)).toMatchObject({ nextRenewalReason: 'two-thirds', failures: 0 });
    expect(Date.parse(h.saved.at(-1)!.nextRenewal!) - h.clock.now()).toBeGreaterThan(60 * DAY - 1000);
    // 59 daily wake-ups do nothing; the 60th renews.
    for (let day = 1; day < 60; day++) {
      h.clock.fireNext();
      await h.renewer.settled();
    }
    expect(h.renewals()).toBe(0);
    await h.untilAttempt();
    expect(h.renewals()).toBe(1);
    expect(h.logged.map((l) => l.message)).toEqual(['certificate-renewed']);
    expect(h.saved.at(-1)).toMatchObject({ failures: 0, fingerprint256: 'FP1', nextRenewalReason: 'two-thirds' });
    expect(h.saved.at(-1)!.lastRenewal).toBeDefined();
    expect(h.clock.pending()).toEqual([MAX_TIMER_MS]);
    h.renewer.stop();
    expect(h.clock.pending()).toEqual([]);
  });

  it("follows the CA's ARI window and asks again when the CA says to", async () => {
    const now = Date.now();
    const h = harness({ window: { window: { start: now + 2 * HOUR, end: now + 4 * HOUR }, retryAfterMs: HOUR } });
    await h.renewer.start();
    expect(h.saved.at(-1)).toMatchObject({ nextRenewalReason: 'ari' });
    // random() = 0: the window's start; but first the CA is asked again after an hour.
    expect(h.clock.pending()).toEqual([HOUR]);
    await h.untilAttempt();
    expect(h.renewals()).toBe(1);
  });

  it('backs off after failures with a warning, logs an error with less than a week left, and starts over after a success', async () => {
    const h = harness({ lifetime: 30 * DAY });
    await h.renewer.start();
    h.fail(true);
    await h.untilAttempt();
    expect(h.logged.at(-1)).toMatchObject({ level: 'warn', message: 'certificate-renewal-failed', fields: { failures: 1, daysLeft: 10 } });
    expect(h.clock.pending()).toEqual([9 * 60_000]);
    expect(h.saved.at(-1)).toMatchObject({ failures: 1, nextRenewalReason: 'retry', lastError: 'MAILSETUP_ACME_DIRECTORY: cannot reach the ACME server' });
    await h.untilAttempt();
    expect(h.logged.at(-1)).toMatchObject({ level: 'warn', fields: { failures: 2 } });
    expect(h.clock.pending()).toEqual([18 * 60_000]);
    h.clock.advance(4 * DAY);
    await h.untilAttempt();
    expect(h.logged.at(-1)).toMatchObject({ level: 'error', message: 'certificate-renewal-failed', fields: { failures: 3, daysLeft: 5 } });
    h.fail(false);
    await h.untilAttempt();
    expect(h.logged.at(-1)).toMatchObject({ level: 'info', message: 'certificate-renewed' });
    expect(h.saved.at(-1)).toMatchObject({ failures: 0 });
    expect(h.saved.at(-1)!.lastError).toBeUndefined();
  });

  it('after a restart, resumes the backoff recorded for the same certificate', async () => {
    const nextRenewal = new Date(Date.now() + 40 * 60_000).toISOString();
    const h = harness({ saved: { failures: 3, fingerprint256: 'FP0', nextRenewal, nextRenewalReason: 'retry', lastError: 'refused' } });
    await h.renewer.start();
    expect(h.clock.pending()[0]).toBeGreaterThan(40 * 60_000 - 1000);
    h.fail(true);
    await h.untilAttempt();
    expect(h.logged.at(-1)).toMatchObject({ fields: { failures: 4 } });
  });

  it('a renewal the checks refuse counts as a failure: the current certificate stays', async () => {
    const h = harness({ renew: () => Promise.reject(new Error('SIGNING_FAILED: the private key does not belong to the certificate')) });
    await h.renewer.start();
    await h.renewer.settled();
    for (let i = 0; i < 70 && !h.logged.length; i++) {
      h.clock.fireNext();
      await h.renewer.settled();
    }
    expect(h.logged[0]).toMatchObject({ level: 'warn', fields: { error: 'SIGNING_FAILED: the private key does not belong to the certificate' } });
    expect(h.renewer.status).toMatchObject({ fingerprint256: 'FP0', failures: 1 });
  });
});
