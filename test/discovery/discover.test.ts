// Each discovery path against real servers (dnsmasq, dovecot, smtp-server, https/http answers):
// the right servers, where each came from, whether a connection verified it; and the refusals.
import { emailPartsOf } from '../../src/model/rules.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { notFoundError } from '../../src/discovery/explain.js';
import type { DiscoveryResult } from '../../src/discovery/result.js';
import { createDiscoveryService, type DiscoveryService } from '../../src/discovery/service.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { LAB_PASSWORD, LAB_USER, startLab, type Lab } from '../support/discovery-lab.js';
import { freePort } from '../support/mail-lab.js';

let lab: Lab;
let service: DiscoveryService;
const catalog = ProviderCatalog.load();

function serviceWith(env: Record<string, string> = {}): DiscoveryService {
  return createDiscoveryService({ config: loadConfig({ ...lab.env, MAILSETUP_DISCOVERY_TIMEOUT: '3', ...env }), catalog, dialPort: lab.dialPort });
}

beforeAll(async () => {
  lab = await startLab();
  service = serviceWith();
});

afterAll(async () => {
  await lab?.stop();
});

const brief = (result: DiscoveryResult) =>
  result.servers.map((s) => `${s.protocol} ${s.host}:${s.port} ${s.socket} ${s.source}${s.verified ? ' verified' : ''}`);

describe('each path finds the right servers and says where they came from', () => {
  it("the domain's own autoconfig over https", async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@autoconfig.test') });
    expect(result.found).toBe(true);
    expect(result.source).toBe('autoconfig');
    expect(brief(result)).toEqual(['imap imap.autoconfig.test:993 SSL autoconfig verified', 'smtp smtp.autoconfig.test:587 STARTTLS autoconfig verified']);
    expect(result.servers[0]).toMatchObject({
      login: '%EMAILLOCALPART%',
      origin: expect.stringMatching(/^https:\/\/autoconfig\.autoconfig\.test\/mail\/config-v1\.1\.xml\?emailaddress=ivan%40autoconfig\.test$/),
    });
    expect(result.warnings).toEqual([]);
    expect(lab.web.requests.some((r) => r.scheme === 'https' && r.host === 'autoconfig.autoconfig.test')).toBe(true);
  });

  it('autoconfig over http is used, marked less trusted', async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@httponly.test') });
    expect(result.source).toBe('autoconfig-http');
    expect(brief(result)).toEqual(['imap imap.httponly.test:993 SSL autoconfig-http verified', 'smtp smtp.httponly.test:465 SSL autoconfig-http verified']);
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'less-trusted' }));
    // The https attempt failed on its certificate, which is why http was used.
    expect(result.attempts).toContainEqual(
      expect.objectContaining({ source: 'autoconfig', outcome: 'failed', detail: expect.stringMatching(/TLS|certificate|altname/i) }),
    );
  });

  it('MX → catalog provider: a company domain whose MX is a RackCorp host gets RackCorp', async () => {
    const result = await service.discover({ email: emailPartsOf('boss@mxcorp.test'), probe: false });
    expect(result.source).toBe('mx-provider');
    expect(result.provider).toEqual({ id: 'rackcorp', name: 'RackCorp', variant: 'global' });
    expect(result.servers[0]).toMatchObject({ host: 'mail.rackcorp.com', port: 993, socket: 'SSL', origin: 'MX mx1.rackcorp.com → RackCorp' });
    expect(result.servers.some((s) => s.socket === 'plain')).toBe(false);
    expect(result.exchange?.host).toBe('mail.ex1.rackcorp.com');
  });

  it("MX → the MX domain's autoconfig", async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@mxauto.test') });
    expect(result.source).toBe('mx-autoconfig');
    expect(brief(result)).toEqual(['imap imap.hoster.test:993 SSL mx-autoconfig verified', 'smtp smtp.hoster.test:465 SSL mx-autoconfig verified']);
  });

  it('RFC 6186 SRV records, "." meaning not offered', async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@srv.test') });
    expect(result.source).toBe('srv');
    expect(brief(result)).toEqual(['imap imap.srv.test:993 SSL srv verified', 'smtp smtp.srv.test:587 STARTTLS srv verified']);
    expect(result.attempts).toContainEqual(
      expect.objectContaining({ source: 'srv', target: 'SRV _pop3s._tcp.srv.test', outcome: 'nothing', detail: expect.stringContaining('does not offer') }),
    );
  });

  it('Autodiscover POX', async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@autodiscover.test') });
    expect(result.source).toBe('autodiscover');
    expect(brief(result)).toEqual([
      'imap imap.autodiscover.test:993 SSL autodiscover verified',
      'smtp smtp.autodiscover.test:587 STARTTLS autodiscover verified',
    ]);
    const posted = lab.web.requests.find((r) => r.host === 'autodiscover.autodiscover.test');
    expect(posted).toMatchObject({
      method: 'POST',
      path: '/autodiscover/autodiscover.xml',
      body: expect.stringContaining('<EMailAddress>ivan@autodiscover.test</EMailAddress>'),
    });
  });

  it("guessing finds dovecot's IMAPS and the submission port and verifies them", async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@guess.test') });
    expect(result.found).toBe(true);
    expect(result.source).toBe('guess');
    // mail.guess.test also answers POP3 (dovecot serves both); pop. and pop3. do not exist.
    expect(brief(result)).toEqual([
      'imap imap.guess.test:993 SSL guess verified',
      'pop3 mail.guess.test:995 SSL guess verified',
      'smtp smtp.guess.test:465 SSL guess verified',
    ]);
    expect(result.checks.find((c) => c.host === 'imap.guess.test')).toMatchObject({ ok: true, mechanisms: ['PLAIN', 'LOGIN'], tls: { valid: true } });
  });

  it('guessing verifies STARTTLS on the submission port (587) when implicit TLS (465) is closed', async () => {
    const closed = await freePort();
    const only587 = createDiscoveryService({
      config: loadConfig({ ...lab.env, MAILSETUP_DISCOVERY_TIMEOUT: '3' }),
      catalog,
      dialPort: (port) => (port === 465 ? closed : lab.dialPort(port)),
    });
    const result = await only587.discover({ email: emailPartsOf('ivan@guess.test') });
    expect(brief(result)).toContain('smtp smtp.guess.test:587 STARTTLS guess verified');
    expect(result.checks.find((c) => c.port === 587)).toMatchObject({ ok: true, starttls: true, mechanisms: ['PLAIN', 'LOGIN'], size: 10 * 1024 * 1024 });
  });

  it('tries a login on the servers found when a password is given', async () => {
    const result = await service.discover({ email: emailPartsOf(LAB_USER), password: LAB_PASSWORD });
    expect(result.checks.map((c) => [c.host, c.login?.ok])).toEqual([
      ['imap.guess.test', true],
      ['mail.guess.test', true],
      ['smtp.guess.test', true],
    ]);
  });
});

describe('certificates', () => {
  it('an expired certificate is reported, and the guess is not used', async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@expired.test') });
    expect(result.found).toBe(false);
    expect(result.servers).toEqual([]);
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ code: 'certificate', server: 'imap.expired.test:993', message: expect.stringContaining('expired on') }),
    );
  });

  it('a certificate for another name is reported', async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@wrongname.test') });
    expect(result.found).toBe(false);
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ code: 'certificate', server: 'imap.wrongname.test:993', message: expect.stringContaining('not imap.wrongname.test') }),
    );
  });
});

describe('refusals', () => {
  it('a domain whose records point at private addresses is refused, and the server on that address sees nothing', async () => {
    const before = lab.watchers.reduce((n, w) => n + w.connections, 0);
    const result = await service.discover({ email: emailPartsOf('ivan@private.test') });
    expect(result.found).toBe(false);
    expect(lab.watchers.reduce((n, w) => n + w.connections, 0)).toBe(before);
    const refused = result.attempts.filter((a) => a.outcome === 'refused').map((a) => a.detail);
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.stringContaining('127.0.0.2 is a loopback address'),
        expect.stringContaining('10.20.30.40 is a private address'),
        expect.stringContaining('192.168.77.1 is a private address'),
      ]),
    );
    const error = notFoundError(result);
    expect(error.code).toBe('DISCOVERY_REFUSED');
    expect(error.message).toContain('nothing was contacted there');
  });

  it('the same domain with its network allowed by the operator is contacted (so the watcher would have seen it)', async () => {
    const before = lab.watchers.reduce((n, w) => n + w.connections, 0);
    await serviceWith({ MAILSETUP_DISCOVERY_ALLOW: '127.0.0.0/8' }).discover({ email: emailPartsOf('ivan@private.test') });
    expect(lab.watchers.reduce((n, w) => n + w.connections, 0)).toBeGreaterThan(before);
  });

  it('ports that are not mail or web ports are refused', async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@ports.test'), probe: false });
    expect(result.attempts).toContainEqual(
      expect.objectContaining({ outcome: 'refused', detail: expect.stringContaining('port 2222 is not a mail or web port') }),
    );
    expect(result.servers).toEqual([]);
  });

  it('a domain with no mail servers says what was tried', async () => {
    const result = await service.discover({ email: emailPartsOf('ivan@nomail.test') });
    expect(result.found).toBe(false);
    const error = notFoundError(result);
    expect(error.code).toBe('NO_MAIL_SERVERS');
    expect(error.field).toBe('email');
    expect(error.message).toMatch(
      /^email: no mail servers found for nomail\.test\. Tried: autoconfig: https:\/\/autoconfig\.nomail\.test\/.*; MX → provider: .*; SRV records: .*; guessing: /,
    );
    expect(result.ttlSeconds).toBeLessThanOrEqual(300);
  });
});

describe('caching', () => {
  it('keeps an answer as long as DNS allows, at most an hour', async () => {
    const fresh = serviceWith();
    const first = await fresh.discover({ email: emailPartsOf('anna@srv.test') });
    expect(first.cached).toBe(false);
    expect(first.ttlSeconds).toBe(120);
    const second = await fresh.discover({ email: emailPartsOf('boris@srv.test') });
    expect(second.cached).toBe(true);
    expect(second.email).toBe('boris@srv.test');
  });
});
