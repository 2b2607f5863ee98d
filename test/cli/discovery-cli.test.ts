// The discovery commands in memory against real servers: discover (text, JSON, no probe, login
// test, refusals), check (every failure kind, non-zero exit) and dns --check.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { dnsRecords } from '../../src/formats/dns-zone.js';
import { ProviderCatalog, variantOf } from '../../src/providers/catalog.js';
import { runCli } from '../support/cli.js';
import { LAB_PASSWORD, LAB_USER, startLab, type Lab } from '../support/discovery-lab.js';
import { freePort, startDnsmasq, startSubmission, type Dnsmasq, type Submission } from '../support/mail-lab.js';

let lab: Lab;
let dns: Dnsmasq;
let noStartTls: Submission;
let service: Server;
let closedPort: number;
let env: Record<string, string>;
let catalogFile: string;

beforeAll(async () => {
  lab = await startLab();
  closedPort = await freePort();
  noStartTls = await startSubmission({ certificate: lab.ca.server('smtp.plain.test', ['smtp.guess.test']), noStartTls: true, users: {} });
  const p = lab.ports;
  catalogFile = join(lab.dir, 'labmail.yaml');
  writeFileSync(
    catalogFile,
    `id: labmail
name: Lab Mail
domains: [labmail.test]
servers:
  - { protocol: imap, host: imap.guess.test, port: ${p[993]}, socket: SSL }
  - { protocol: imap, host: imap.guess.test, port: ${p[143]}, socket: STARTTLS }
  - { protocol: pop3, host: pop.closed.test, port: ${closedPort}, socket: SSL }
  - { protocol: smtp, host: smtp.guess.test, port: ${noStartTls.port}, socket: STARTTLS }
  - { protocol: smtp, host: smtp.guess.test, port: ${p[587]}, socket: STARTTLS, auth: [password-encrypted] }
  - { protocol: imap, host: imap.expired.test, port: ${p[993]}, socket: SSL }
ca: |
${lab.ca.pem.trimEnd().replace(/^/gm, '  ')}
`,
  );
  // The records a correctly published domain has, from the same code that prints them.
  const labmail = ProviderCatalog.load({ paths: [catalogFile], withoutBundled: true }).get('labmail');
  const published = dnsRecords({ domain: 'good.test', serviceHost: 'mailsetup.lab.test', provider: labmail, variant: variantOf(labmail, undefined) });
  const srv: Record<string, [string, number, number][]> = {};
  for (const record of published.filter((r) => r.type === 'SRV')) {
    const name = record.name.replace(/\.$/, '');
    (srv[name] ??= []).push([record.target === '.' ? '.' : record.target.replace(/\.$/, ''), record.port!, record.priority!]);
  }
  // bad.test: one SRV record missing, autodiscover pointing elsewhere.
  srv['_imaps._tcp.bad.test'] = [['imap.elsewhere.test', 993, 0]];
  srv['_cli._tcp.unused.test'] = [['.', 0, 0]];
  srv['_imaps._tcp.cli.test'] = [['imap.guess.test', p[993]!, 0]];
  srv['_submission._tcp.cli.test'] = [['smtp.guess.test', p[587]!, 0]];
  dns = await startDnsmasq(lab.dir, {
    hosts: {
      'imap.guess.test': ['127.0.0.1'],
      'smtp.guess.test': ['127.0.0.1'],
      'imap.expired.test': ['127.0.0.1'],
      'pop.closed.test': ['127.0.0.1'],
      'mailsetup.lab.test': ['127.0.0.1'],
      'autoconfig.good.test': ['127.0.0.1'],
      'autodiscover.good.test': ['127.0.0.1'],
      'autoconfig.bad.test': ['127.0.0.1'],
      'autodiscover.bad.test': ['192.0.2.7'],
      'mail.private.test': ['10.0.0.25'],
    },
    mx: { 'private.test': [['mail.private.test', 10]] },
    srv,
  });
  // This service's HTTPS: a certificate for its own name and good.test's names, not bad.test's.
  const serviceCert = lab.ca.server('mailsetup.lab.test', ['mailsetup.lab.test', 'autoconfig.good.test', 'autodiscover.good.test']);
  service = createHttpsServer({ key: readFileSync(serviceCert.key), cert: readFileSync(serviceCert.cert) }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  env = {
    MAILSETUP_DNS_SERVERS: dns.server,
    MAILSETUP_DISCOVERY_ALLOW: '127.0.0.0/8',
    MAILSETUP_DISCOVERY_TIMEOUT: '3',
    MAILSETUP_DISCOVERY_PORTS: `${p[993]},${p[587]}`,
    MAILSETUP_DISCOVERY_CA: lab.caFile,
  };
});

afterAll(async () => {
  service?.closeAllConnections();
  await Promise.all([dns?.stop(), noStartTls?.stop(), lab?.stop(), new Promise((r) => service?.close(r))]);
});

const run = (argv: string[], extraEnv: Record<string, string> = {}, stdin?: string) =>
  runCli(argv, { cwd: lab.dir, env: { ...env, ...extraEnv }, ...(stdin === undefined ? {} : { stdin }) });

describe('mailsetup discover', () => {
  it('prints the servers, where they came from, that they were verified, and the checks', async () => {
    const result = await run(['discover', 'ivan@cli.test']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ivan@cli.test: found by SRV records');
    expect(result.stdout).toMatch(
      new RegExp(`IMAP  imap\\.guess\\.test:${lab.ports[993]}  SSL  from SRV records \\(SRV _imaps\\._tcp\\.cli\\.test\\)  verified`),
    );
    expect(result.stdout).toMatch(
      /SMTP smtp\.guess\.test:\d+ STARTTLS {2}ok {2}TLSv1\.3, certificate valid until \d{4}-\d\d-\d\d {2}STARTTLS {2}AUTH PLAIN LOGIN {2}SIZE 10485760/,
    );
  });

  it('--json gives servers, sources, checks, warnings and what was tried', async () => {
    const result = await run(['discover', 'ivan@cli.test', '--json']);
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(answer).toMatchObject({
      found: true,
      source: 'srv',
      servers: [
        { source: 'srv', verified: true },
        { source: 'srv', verified: true },
      ],
      warnings: [],
    });
    expect((answer.checks as unknown[]).length).toBe(2);
    expect((answer.sources as unknown[]).length).toBeGreaterThan(5);
  });

  it('--no-probe connects to nothing', async () => {
    const before = lab.submission.connections;
    const result = await run(['discover', 'anna@cli.test', '--no-probe', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ probed: false, checks: [], servers: [{ verified: false }, { verified: false }] });
    expect(lab.submission.connections).toBe(before);
  });

  it('--password-stdin tests the login and never prints the password', async () => {
    const result = await run(['discover', LAB_USER.replace('guess.test', 'cli.test'), '--password-stdin', '--login', LAB_USER], {}, `${LAB_PASSWORD}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/login works/g)).toHaveLength(2);
    expect(result.stdout + result.stderr).not.toContain(LAB_PASSWORD);
  });

  it('a domain with no mail servers: exit 14 and what was tried', async () => {
    const result = await run(['discover', 'ivan@nomail.test']);
    expect(result.code).toBe(14);
    expect(result.stderr).toMatch(/^mailsetup: error: email: no mail servers found for nomail\.test\. Tried: autoconfig: /);
  });

  it('servers on a private network: exit 15', async () => {
    const result = await run(['discover', 'ivan@private.test'], { MAILSETUP_DISCOVERY_ALLOW: '127.0.0.1/32' });
    expect(result.code).toBe(15);
    expect(result.stderr).toContain('nothing was contacted there');
    expect(result.stdout).toContain('10.0.0.25 is a private address');
  });

  it('a bad address names the field', async () => {
    const result = await run(['discover', 'ivan@']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('mailsetup: error: email: "ivan@" is not an email address (name@domain)\n');
  });
});

describe('mailsetup check', () => {
  it('reports each failure kind and exits non-zero', async () => {
    const result = await run(['check', 'labmail', '--providers', catalogFile]);
    expect(result.code).toBe(17);
    const lines = result.stdout.split('\n');
    const line = (port: number, socket: string) => lines.find((l) => l.includes(`:${port} ${socket}`))!;
    expect(line(lab.ports[993]!, 'SSL')).toMatch(/^ok/);
    expect(line(lab.ports[143]!, 'STARTTLS')).toMatch(/^ok/);
    expect(result.stdout).toContain(`closed: pop.closed.test:${closedPort} (127.0.0.1): connection refused (nothing listens there)`);
    expect(result.stdout).toContain(`no-starttls: smtp.guess.test:${noStartTls.port} does not offer STARTTLS`);
    expect(result.stdout).toContain(
      `auth-mismatch: smtp.guess.test:${lab.ports[587]}: the catalog declares password-encrypted; the server offers password-cleartext (PLAIN LOGIN)`,
    );
    expect(result.stdout).toMatch(/certificate: imap\.expired\.test:\d+: the certificate is expired on/);
    expect(result.stdout).toContain('6 server(s) checked, 4 failed');
    expect(result.stderr).toBe('mailsetup: error: servers: 4 of 6 server(s) failed (closed, no-starttls, auth-mismatch, certificate)\n');
  });

  it('--all checks the whole catalog (the bundled providers are not in this test DNS)', async () => {
    const result = await run(['check', '--all', '--json', '--providers', catalogFile]);
    expect(result.code).toBe(17);
    const checks = JSON.parse(result.stdout) as { usedBy: string[]; problems: { kind: string }[] }[];
    expect(checks.some((c) => c.usedBy.includes('nstu') && c.problems[0]?.kind === 'no-address')).toBe(true);
    expect(new Set(checks.filter((c) => c.usedBy.includes('labmail')).flatMap((c) => c.problems.map((p) => p.kind)))).toEqual(
      new Set(['closed', 'no-starttls', 'auth-mismatch', 'certificate']),
    );
  });

  it('a provider whose servers all pass exits 0', async () => {
    const good = join(lab.dir, 'good.yaml');
    writeFileSync(
      good,
      `id: goodmail\nname: Good\ndomains: [goodmail.test]\nservers:\n  - { protocol: imap, host: imap.guess.test, port: ${lab.ports[993]}, socket: SSL }\n  - { protocol: smtp, host: smtp.guess.test, port: ${lab.ports[587]}, socket: STARTTLS }\n`,
    );
    const result = await run(['check', 'goodmail', '--providers', good]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('2 server(s) checked, 0 failed');
  });
});

describe('mailsetup dns --check', () => {
  const port = () => String((service.address() as AddressInfo).port);
  /** `mailsetup dns <domain> --check` against the lab's service host and provider. */
  const checkDns = (domain: string) =>
    run(['dns', domain, '--check', '--service-host', 'mailsetup.lab.test', '--provider', 'labmail', '--providers', catalogFile, '--https-port', port()]);

  it('a correctly published domain passes', async () => {
    const result = await checkDns('good.test');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok      autoconfig.good.test reaches mailsetup.lab.test (127.0.0.1)');
    expect(result.stdout).toContain('presents a valid certificate for autodiscover.good.test');
    expect(result.stdout).not.toContain('FAILED');
  });

  it('missing and wrong records and a certificate that does not cover a name fail', async () => {
    const result = await checkDns('bad.test');
    expect(result.code).toBe(17);
    expect(result.stdout).toContain('FAILED  autodiscover.bad.test resolves to 192.0.2.7, not to mailsetup.lab.test (127.0.0.1)');
    expect(result.stdout).toMatch(/FAILED {2}SRV _imaps\._tcp\.bad\.test: imap\.elsewhere\.test:993; expected imap\.expired\.test:\d+, imap\.guess\.test:\d+/);
    expect(result.stdout).toMatch(/FAILED {2}SRV _submission\._tcp\.bad\.test: missing; expected/);
    expect(result.stdout).toMatch(
      /FAILED {2}mailsetup\.lab\.test:\d+: the certificate for autoconfig\.bad\.test is issued for mailsetup\.lab\.test, .*, not autoconfig\.bad\.test/,
    );
  });
});
