import { describe, expect, it } from '@jest/globals';
import { MailsetupError } from '../../src/errors.js';
import { activeSyncUrl, buildActiveSyncAutodiscoverResponse, ewsUrl } from '../../src/formats/activesync-autodiscover.js';
import { parseGenerateRequest } from '../../src/service/generate.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { etreeFind, etreeParse, xmllint } from '../support/xml-check.js';

const R = '{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}';
const M = '{http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006}';
const catalog = ProviderCatalog.load();

function exchangeAccount(input: Record<string, unknown>) {
  return resolveAccount(parseGenerateRequest({ type: 'exchange', provider: 'rackcorp', ...input }), catalog).account;
}

describe('buildActiveSyncAutodiscoverResponse', () => {
  it('points a RackCorp customer at mail.ex1.rackcorp.com (golden, read back by ElementTree)', () => {
    const xml = buildActiveSyncAutodiscoverResponse(exchangeAccount({ email: 'boss@example.com', name: 'Big Boss' }));
    expect(xml).toBe(`<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User>
      <DisplayName>Big Boss</DisplayName>
      <EMailAddress>boss@example.com</EMailAddress>
    </User>
    <Action>
      <Settings>
        <Server>
          <Type>MobileSync</Type>
          <Url>https://mail.ex1.rackcorp.com/Microsoft-Server-ActiveSync</Url>
          <Name>https://mail.ex1.rackcorp.com/Microsoft-Server-ActiveSync</Name>
        </Server>
      </Settings>
    </Action>
  </Response>
</Autodiscover>
`);
    xmllint(xml);
    const tree = etreeParse(xml);
    expect(tree.tag).toBe(`${R}Autodiscover`);
    expect(etreeFind(tree, `${M}Response`, `${M}Action`, `${M}Settings`, `${M}Server`, `${M}Type`)?.text).toBe('MobileSync');
    expect(etreeFind(tree, `${M}Server`, `${M}Url`)?.text).toBe('https://mail.ex1.rackcorp.com/Microsoft-Server-ActiveSync');
    expect(etreeFind(tree, `${M}User`, `${M}EMailAddress`)?.text).toBe('boss@example.com');
  });

  it('writes the address in punycode, escapes text and follows the language', () => {
    const xml = buildActiveSyncAutodiscoverResponse(exchangeAccount({ email: 'anna@пример.рф', name: 'Anna <&> Co', variant: 'mn' }), { language: 'ru' });
    const tree = etreeParse(xml);
    expect(etreeFind(tree, `${M}EMailAddress`)?.text).toBe('anna@xn--e1afmkfd.xn--p1ai');
    expect(etreeFind(tree, `${M}DisplayName`)?.text).toBe('Anna <&> Co');
    expect(etreeFind(tree, `${M}Culture`)?.text).toBe('ru:ru');
    expect(xml).not.toContain('<DisplayName>Anna <&>');
  });

  it('leaves DisplayName out when there is no name', () => {
    const xml = buildActiveSyncAutodiscoverResponse(exchangeAccount({ email: 'boss@example.com' }));
    expect(etreeFind(etreeParse(xml), `${M}DisplayName`)).toBeUndefined();
  });

  it('refuses an account that is not Exchange', () => {
    const imap = resolveAccount(parseGenerateRequest({ email: 'ivan@nstu.ru' }), catalog).account;
    expect(() => buildActiveSyncAutodiscoverResponse(imap)).toThrow(MailsetupError);
  });

  it('builds ActiveSync and EWS URLs from the server settings', () => {
    expect(activeSyncUrl({ host: 'ex.example.org', ssl: false })).toBe('http://ex.example.org/Microsoft-Server-ActiveSync');
    expect(ewsUrl({ host: 'ex.example.org', ssl: true, port: 443, path: '/EWS/Exchange.asmx' })).toBe('https://ex.example.org/EWS/Exchange.asmx');
    expect(ewsUrl({ host: 'ex.example.org', ssl: true, port: 8443, path: '/ews' })).toBe('https://ex.example.org:8443/ews');
  });
});
