// Connection checks against real servers: dovecot (IMAP and POP3, implicit TLS and STARTTLS) and
// smtp-server submission, with certificates from a test CA: one valid, one expired, one for
// another name, and a CA the prober does not trust.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseCidr } from '../../src/model/cidr.js';
import { addressPolicy } from '../../src/discovery/address-policy.js';
import { createDnsResolver } from '../../src/discovery/dns.js';
import { createLimiter } from '../../src/discovery/limiter.js';
import { createNetwork, type Network } from '../../src/discovery/network.js';
import { probe, type ProbeTarget } from '../../src/discovery/probe.js';
import { DEFAULTS } from '../../src/model/defaults.js';
import { labCa, startDnsmasq, startDovecot, startSubmission, type Dnsmasq, type Dovecot, type LabCa, type Submission } from '../support/mail-lab.js';
import { makeTempDir } from '../support/tmp.js';

const USER = 'ivan@probe.test';
const PASSWORD = 'correct "horse" \\ battery';

let tmp: ReturnType<typeof makeTempDir>;
let ca: LabCa;
let dovecot: Dovecot;
let dns: Dnsmasq;
let submission: Submission;
let smtps: Submission;
let bare: Submission;
let ports: Record<number, number>;

beforeAll(async () => {
  tmp = makeTempDir('mailsetup-probe-');
  ca = labCa(tmp.path);
  const good = ca.server('imap.probe.test', ['imap.probe.test', 'smtp.probe.test', 'pop.probe.test']);
  const expired = ca.server('imap.expired.test', ['imap.expired.test'], {
    notBefore: new Date(Date.now() - 90 * 86400e3),
    notAfter: new Date(Date.now() - 86400e3),
  });
  const soon = ca.server('imap.soon.test', ['imap.soon.test'], { notAfter: new Date(Date.now() + 10 * 86400e3) });
  [dovecot, dns, submission, smtps, bare] = await Promise.all([
    startDovecot({ dir: tmp.path, certificate: good, byName: { 'imap.expired.test': expired, 'imap.soon.test': soon }, users: { [USER]: PASSWORD } }),
    startDnsmasq(tmp.path, {
      hosts: {
        'imap.probe.test': ['127.0.0.1'],
        'pop.probe.test': ['127.0.0.1'],
        'smtp.probe.test': ['127.0.0.1'],
        'imap.expired.test': ['127.0.0.1'],
        'imap.soon.test': ['127.0.0.1'],
        'imap.wrong.test': ['127.0.0.1'],
      },
    }),
    startSubmission({ certificate: good, users: { [USER]: PASSWORD } }),
    startSubmission({ certificate: good, implicitTls: true, users: { [USER]: PASSWORD } }),
    startSubmission({ certificate: good, noStartTls: true, users: {} }),
  ]);
  ports = {
    143: dovecot.ports.imap,
    993: dovecot.ports.imaps,
    110: dovecot.ports.pop3,
    995: dovecot.ports.pop3s,
    587: submission.port,
    465: smtps.port,
    25: bare.port,
  };
});

afterAll(async () => {
  await Promise.all([dovecot?.stop(), dns?.stop(), submission?.stop(), smtps?.stop(), bare?.stop()]);
  tmp?.remove();
});

function network(options: { trustLab?: boolean; timeoutMs?: number } = {}): Network {
  return createNetwork(
    {
      dns: createDnsResolver({ servers: [dns.server], timeoutMs: 2000 }),
      policy: addressPolicy({ ports: DEFAULTS.discovery.ports, allow: [parseCidr('127.0.0.0/8')!] }),
      processLimiter: createLimiter(8),
      timeoutMs: options.timeoutMs ?? 5000,
      extraCa: options.trustLab === false ? [] : [ca.pem],
      dialPort: (port) => ports[port] ?? port,
    },
    { limiter: createLimiter(8), signal: new AbortController().signal },
  );
}

const check = (target: ProbeTarget, options: Parameters<typeof network>[0] = {}) =>
  probe(target, { network: network(options), now: Date.now, hello: 'mailsetup.test', maxReplyBytes: 64 * 1024, expiryWarningDays: 30 });

describe('IMAP', () => {
  it('greets over implicit TLS, lists AUTH mechanisms, and the certificate is valid for the name', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.probe.test', port: 993, socket: 'SSL' });
    expect(report.failure).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.greeting).toMatch(/^\* OK .*Dovecot/);
    expect(report.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(report.auth).toEqual(['password-cleartext']);
    expect(report.tls).toMatchObject({ valid: true, problems: [], names: expect.arrayContaining(['imap.probe.test']), expiresSoon: false });
    expect(report.address).toBe('127.0.0.1');
  });

  it('upgrades with STARTTLS and asks for the capabilities again over TLS', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.probe.test', port: 143, socket: 'STARTTLS' });
    expect(report.ok).toBe(true);
    expect(report.starttls).toBe(true);
    expect(report.tls?.valid).toBe(true);
    // Over TLS dovecot no longer lists STARTTLS: these are the post-upgrade capabilities.
    expect(report.capabilities).not.toContain('STARTTLS');
    expect(report.capabilities).toContain('AUTH=PLAIN');
  });

  it('reports an expired certificate', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.expired.test', port: 993, socket: 'SSL' });
    expect(report.ok).toBe(false);
    expect(report.failure?.kind).toBe('certificate');
    expect(report.tls?.problems).toContain('expired');
    expect(report.failure?.message).toMatch(/imap\.expired\.test:993: the certificate is expired on \d{4}-\d\d-\d\d/);
  });

  it('reports a certificate for another name', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.wrong.test', port: 993, socket: 'SSL' });
    expect(report.ok).toBe(false);
    expect(report.tls?.problems).toEqual(['wrong-name']);
    expect(report.failure?.message).toContain('issued for imap.probe.test, smtp.probe.test, pop.probe.test, not imap.wrong.test');
  });

  it('reports a chain to a CA it does not trust', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.probe.test', port: 993, socket: 'SSL' }, { trustLab: false });
    expect(report.ok).toBe(false);
    expect(report.tls?.problems).toEqual(['untrusted']);
  });

  it('trusts a CA given for the server (a provider-configured CA)', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.probe.test', port: 993, socket: 'SSL', ca: [ca.pem] }, { trustLab: false });
    expect(report.ok).toBe(true);
  });

  it('warns about a certificate expiring within 30 days', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.soon.test', port: 993, socket: 'SSL' });
    expect(report.ok).toBe(true);
    expect(report.tls).toMatchObject({ valid: true, expiresSoon: true });
    expect(report.tls!.daysLeft).toBeLessThanOrEqual(10);
  });

  it('says "login works" for the right password', async () => {
    const good = await check({ protocol: 'imap', host: 'imap.probe.test', port: 993, socket: 'SSL', login: { username: USER, password: PASSWORD } });
    expect(good.login).toEqual({ ok: true, message: expect.stringMatching(/Logged in/) });
  });

  it('never sends a password over a certificate that is not valid', async () => {
    const report = await check({ protocol: 'imap', host: 'imap.wrong.test', port: 993, socket: 'SSL', login: { username: USER, password: PASSWORD } });
    expect(report.login).toEqual({ ok: false, message: 'not tried: the certificate is not valid' });
  });
});

describe('POP3', () => {
  it('greets over implicit TLS and reads CAPA', async () => {
    const report = await check({ protocol: 'pop3', host: 'pop.probe.test', port: 995, socket: 'SSL', login: { username: USER, password: PASSWORD } });
    expect(report.ok).toBe(true);
    expect(report.greeting).toMatch(/^\+OK/);
    expect(report.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(report.login?.ok).toBe(true);
  });

  it('upgrades with STLS', async () => {
    const report = await check({ protocol: 'pop3', host: 'pop.probe.test', port: 110, socket: 'STARTTLS' });
    expect(report.ok).toBe(true);
    expect(report.starttls).toBe(true);
    expect(report.tls?.valid).toBe(true);
  });
});

describe('SMTP submission', () => {
  it('EHLO over STARTTLS: AUTH only once encrypted, and SIZE', async () => {
    const report = await check({ protocol: 'smtp', host: 'smtp.probe.test', port: 587, socket: 'STARTTLS', login: { username: USER, password: PASSWORD } });
    expect(report.ok).toBe(true);
    expect(report.starttls).toBe(true);
    expect(report.mechanisms).toEqual(['PLAIN', 'LOGIN']);
    expect(report.size).toBe(10 * 1024 * 1024);
    expect(report.login).toEqual({ ok: true, message: expect.stringMatching(/^235/) });
    expect(submission.logins).toContain(USER);
  });

  it('implicit TLS on 465', async () => {
    const report = await check({ protocol: 'smtp', host: 'smtp.probe.test', port: 465, socket: 'SSL' });
    expect(report.ok).toBe(true);
    expect(report.tls?.valid).toBe(true);
  });

  it('a server without STARTTLS fails a STARTTLS check, and no password is offered to it', async () => {
    const report = await check({ protocol: 'smtp', host: 'smtp.probe.test', port: 25, socket: 'STARTTLS', login: { username: USER, password: PASSWORD } });
    expect(report.ok).toBe(false);
    expect(report.failure).toEqual({ kind: 'no-starttls', message: 'smtp.probe.test:25 does not offer STARTTLS' });
    expect(report.login).toBeUndefined();
  });

  it('a closed port is reported as such', async () => {
    const { freePort } = await import('../support/mail-lab.js');
    const closed = await freePort();
    ports[2525] = closed;
    const report = await probe(
      { protocol: 'smtp', host: 'smtp.probe.test', port: 587, socket: 'STARTTLS' },
      {
        network: createNetwork(
          {
            dns: createDnsResolver({ servers: [dns.server], timeoutMs: 2000 }),
            policy: addressPolicy({ ports: DEFAULTS.discovery.ports, allow: [parseCidr('127.0.0.0/8')!] }),
            processLimiter: createLimiter(8),
            timeoutMs: 5000,
            dialPort: () => closed,
          },
          { limiter: createLimiter(8), signal: new AbortController().signal },
        ),
        now: Date.now,
        hello: 'mailsetup.test',
        maxReplyBytes: 65536,
        expiryWarningDays: 30,
      },
    );
    expect(report.failure?.kind).toBe('connect');
    expect(report.failure?.message).toContain('connection refused');
  });
});

// Last: after a failed login dovecot makes every later login from the same address wait.
describe('a wrong password', () => {
  it('gets the server refusal', async () => {
    const bad = await check({ protocol: 'imap', host: 'imap.probe.test', port: 993, socket: 'SSL', login: { username: USER, password: 'wrong' } });
    expect(bad.ok).toBe(true);
    expect(bad.login?.ok).toBe(false);
    expect(bad.login?.message).toMatch(/AUTHENTICATIONFAILED|Authentication failed/);
  });
});
