import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dnsRecords, renderZoneSnippet } from '../../src/formats/dns-zone.js';
import { ProviderCatalog, variantOf } from '../../src/providers/catalog.js';
import { dnsSnippet } from '../../src/service/dns.js';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/tmp.js';

const catalog = ProviderCatalog.load();
const SERVICE = 'mailsetup.example.org';

interface ZoneEntry {
  name: string;
  type: string;
  data: string;
}

/** Puts the snippet into a zone with SOA and NS, checks it with named-checkzone and returns the records BIND read. */
function loadZone(domain: string, snippet: string): ZoneEntry[] {
  const dir = makeTempDir('mailsetup-zone-');
  try {
    const file = join(dir.path, `${domain}.zone`);
    writeFileSync(
      file,
      [`$TTL 3600`, `@ IN SOA ns1.${domain}. hostmaster.${domain}. 1 7200 3600 1209600 3600`, `@ IN NS ns1.${domain}.`, `ns1 IN A 192.0.2.53`, snippet].join(
        '\n',
      ),
    );
    const checked = execFileSync('named-checkzone', [domain, file], { encoding: 'utf8' });
    expect(checked).toMatch(/\bOK\b/);
    const dump = execFileSync('named-checkzone', ['-D', '-o', '-', domain, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return dump
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith(';'))
      .map((line) => line.trim().split(/\s+/))
      .map(([name = '', , , type = '', ...data]) => ({ name, type, data: data.join(' ') }))
      .filter((entry) => entry.type === 'SRV' || entry.type === 'CNAME');
  } finally {
    dir.remove();
  }
}

const srv = (entries: ZoneEntry[], label: string, domain: string) =>
  entries.filter((e) => e.type === 'SRV' && e.name === `${label}.${domain}.`).map((e) => e.data);

describe('DNS records for a mail domain', () => {
  it('NSTU: a zone BIND accepts, pointing at this service and mail2.nstu.ru in the provider’s order', () => {
    const { zone } = dnsSnippet({ domain: 'nstu.ru', serviceHost: SERVICE }, catalog);
    const entries = loadZone('nstu.ru', zone);
    expect(entries.filter((e) => e.type === 'CNAME')).toEqual([
      { name: 'autoconfig.nstu.ru.', type: 'CNAME', data: `${SERVICE}.` },
      { name: 'autodiscover.nstu.ru.', type: 'CNAME', data: `${SERVICE}.` },
    ]);
    expect(srv(entries, '_autodiscover._tcp', 'nstu.ru')).toEqual([`0 1 443 ${SERVICE}.`]);
    expect(srv(entries, '_imaps._tcp', 'nstu.ru')).toEqual(['10 1 993 mail2.nstu.ru.']);
    expect(srv(entries, '_imap._tcp', 'nstu.ru')).toEqual(['20 1 143 mail2.nstu.ru.']);
    expect(srv(entries, '_pop3s._tcp', 'nstu.ru')).toEqual(['30 1 995 mail2.nstu.ru.']);
    expect(srv(entries, '_pop3._tcp', 'nstu.ru')).toEqual(['40 1 110 mail2.nstu.ru.']);
    expect(srv(entries, '_submission._tcp', 'nstu.ru')).toEqual(['10 1 587 mail2.nstu.ru.']);
    // NSTU has no implicit-TLS submission: RFC 6186's "not offered" record says so.
    expect(srv(entries, '_submissions._tcp', 'nstu.ru')).toEqual(['0 0 0 .']);
  });

  it('Mail.ru (golden snippet): implicit TLS first, separate IMAP, POP and SMTP hosts', () => {
    const { zone } = dnsSnippet({ domain: 'bk.ru', serviceHost: SERVICE }, catalog);
    expect(zone).toBe(`; DNS records for bk.ru (Mail.ru): mail clients find their settings at mailsetup.example.org and the mail servers below.
; Add them to the zone of bk.ru; mailsetup.example.org needs a TLS certificate that also covers autoconfig.bk.ru and autodiscover.bk.ru.

; Autodiscovery service: Thunderbird autoconfig, Outlook and ActiveSync Autodiscover
autoconfig.bk.ru.          3600  IN  CNAME  mailsetup.example.org.
autodiscover.bk.ru.        3600  IN  CNAME  mailsetup.example.org.
_autodiscover._tcp.bk.ru.  3600  IN  SRV    0 1 443 mailsetup.example.org.

; Incoming mail (RFC 6186): the lowest priority number is preferred
_imaps._tcp.bk.ru.         3600  IN  SRV    10 1 993 imap.mail.ru.
_imap._tcp.bk.ru.          3600  IN  SRV    20 1 143 imap.mail.ru.
_pop3s._tcp.bk.ru.         3600  IN  SRV    30 1 995 pop.mail.ru.
_pop3._tcp.bk.ru.          3600  IN  SRV    40 1 110 pop.mail.ru.

; Outgoing mail (RFC 6186, RFC 8314): the lowest priority number is preferred
_submissions._tcp.bk.ru.   3600  IN  SRV    10 1 465 smtp.mail.ru.
_submission._tcp.bk.ru.    3600  IN  SRV    20 1 587 smtp.mail.ru.
`);
    const entries = loadZone('bk.ru', zone);
    expect(entries).toHaveLength(9);
  });

  it('RackCorp customer domain, Mongolia: regional hosts, submission on 25, no unencrypted server published', () => {
    const { zone, records } = dnsSnippet({ domain: 'example.mn', serviceHost: SERVICE, provider: 'rackcorp', variant: 'mn' }, catalog);
    const entries = loadZone('example.mn', zone);
    expect(srv(entries, '_imaps._tcp', 'example.mn')).toEqual(['10 1 993 mail.mn.rackcorp.com.']);
    expect(srv(entries, '_imap._tcp', 'example.mn')).toEqual(['20 1 143 mail.mn.rackcorp.com.']);
    expect(srv(entries, '_submissions._tcp', 'example.mn')).toEqual(['10 1 465 mail.mn.rackcorp.com.']);
    expect(srv(entries, '_submission._tcp', 'example.mn')).toEqual(['20 1 25 mail.mn.rackcorp.com.']);
    // Plain 143/110/25 are listed by RackCorp but must not appear as extra records.
    expect(records.filter((r) => r.purpose === '_imap._tcp')).toHaveLength(1);
    expect(records.filter((r) => r.purpose === '_submission._tcp')).toHaveLength(1);
  });

  it('Yandex: services without a server are published as not offered', () => {
    const { zone } = dnsSnippet({ domain: 'yandex.com', serviceHost: SERVICE }, catalog);
    const entries = loadZone('yandex.com', zone);
    expect(srv(entries, '_imaps._tcp', 'yandex.com')).toEqual(['10 1 993 imap.yandex.com.']);
    expect(srv(entries, '_imap._tcp', 'yandex.com')).toEqual(['0 0 0 .']);
    expect(srv(entries, '_pop3._tcp', 'yandex.com')).toEqual(['0 0 0 .']);
    expect(srv(entries, '_submission._tcp', 'yandex.com')).toEqual(['0 0 0 .']);
    expect(zone).toMatch(/_imap\._tcp\.yandex\.com\.\s+3600\s+IN\s+SRV\s+0 0 0 \.\s+; not offered/);
  });

  it('writes no CNAME that would point a name at itself, and handles internationalised domains', () => {
    const provider = catalog.get('nstu');
    const records = dnsRecords({ domain: 'nstu.ru', serviceHost: 'autoconfig.nstu.ru', provider, variant: variantOf(provider, undefined) });
    expect(records.filter((r) => r.type === 'CNAME').map((r) => r.name)).toEqual(['autodiscover.nstu.ru.']);
    const idn = dnsSnippet({ domain: 'пример.рф', serviceHost: SERVICE, provider: 'rackcorp' }, catalog);
    expect(idn.domain).toBe('xn--e1afmkfd.xn--p1ai');
    loadZone('xn--e1afmkfd.xn--p1ai', idn.zone);
  });

  it('renders comments in the asked language', () => {
    const { zone } = dnsSnippet({ domain: 'nstu.ru', serviceHost: SERVICE, language: 'ru' }, catalog);
    expect(zone).toContain('; DNS-записи для nstu.ru (NSTU)');
    expect(zone).toContain('; не предоставляется');
    expect(renderZoneSnippet([], { header: 'a\nb', service: 's', incoming: 'i', outgoing: 'o', notOffered: 'n' })).toBe('; a\n; b\n');
  });

  it('refuses what is not a domain, a missing service host, and unknown domains', () => {
    expect(() => dnsSnippet({ domain: 'nstu', serviceHost: SERVICE }, catalog)).toThrow(expect.objectContaining({ field: 'domain', rule: 'domain' }));
    expect(() => dnsSnippet({ domain: 'nstu.ru', serviceHost: undefined }, catalog)).toThrow(
      expect.objectContaining({ field: 'service-host', rule: 'required' }),
    );
    expect(() => dnsSnippet({ domain: 'nstu.ru', serviceHost: 'bad host' }, catalog)).toThrow(expect.objectContaining({ field: 'service-host' }));
    expect(() => dnsSnippet({ domain: 'unknown.example', serviceHost: SERVICE }, catalog)).toThrow(expect.objectContaining({ code: 'UNKNOWN_DOMAIN' }));
  });
});

describe('mailsetup dns', () => {
  const dir = makeTempDir();
  afterAll(() => dir.remove());

  it('prints the snippet, taking the service host from MAILSETUP_PUBLIC_HOST', async () => {
    const result = await runCli(['dns', 'nstu.ru'], { cwd: dir.path, env: { MAILSETUP_PUBLIC_HOST: 'autoconf.example.net' } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^autoconfig\.nstu\.ru\.\s+3600\s+IN\s+CNAME\s+autoconf\.example\.net\.$/m);
    loadZone('nstu.ru', result.stdout);
  });

  it('--service-host, --provider, --variant and --json', async () => {
    const result = await runCli(['dns', 'example.com', '--service-host', SERVICE, '--provider', 'rackcorp', '--variant', 'us', '--json'], { cwd: dir.path });
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { provider: string; variant: string; records: { purpose: string; target: string; port: number }[] };
    expect(parsed).toMatchObject({ provider: 'rackcorp', variant: 'us' });
    expect(parsed.records.find((r) => r.purpose === '_imaps._tcp')).toMatchObject({ target: 'mail.us.rackcorp.com.', port: 993 });
  });

  it('fails cleanly: no service host, no domain, unknown domain', async () => {
    const noHost = await runCli(['dns', 'nstu.ru'], { cwd: dir.path });
    expect(noHost).toMatchObject({ code: 2, stdout: '' });
    expect(noHost.stderr).toMatch(/^mailsetup: error: service-host: .*MAILSETUP_PUBLIC_HOST/);
    const noDomain = await runCli(['dns'], { cwd: dir.path });
    expect(noDomain.code).toBe(64);
    const unknown = await runCli(['dns', 'unknown.example', '--service-host', SERVICE], { cwd: dir.path });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/unknown\.example/);
  });
});
