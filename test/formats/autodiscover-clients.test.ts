// The Exchange Autodiscover answer as Outlook, Thunderbird and exchangelib each read it (issue 16,
// item 2): Outlook follows the redirect to the Exchange server's own Autodiscover, Thunderbird and
// exchangelib take the EWS URL from the protocol blocks beside it.
import { buildAutodiscoverResponse } from '../../src/formats/autodiscover.js';
import { parseProviderFile } from '../../src/providers/catalog.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { parseGenerateRequest } from '../../src/service/generate.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { exchangelibRead, outlookRead, thunderbirdRead } from '../support/autodiscover-readers.js';
import { fixture } from './outlook-fixtures.js';

const EWS = 'https://mail.ex1.rackcorp.com/EWS/Exchange.asmx';

describe('the Exchange answer, read by each client', () => {
  const { account } = fixture({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange' });
  const xml = buildAutodiscoverResponse(account);

  it('Outlook acts on Action: it follows RedirectUrl to the Exchange server’s own Autodiscover', () => {
    expect(outlookRead(xml)).toEqual({ action: 'redirectUrl', url: 'https://mail.ex1.rackcorp.com/autodiscover/autodiscover.xml' });
  });

  it('Thunderbird takes the EWS URL from the EXCH block: an Exchange incoming server on its host', () => {
    expect(thunderbirdRead(xml)).toEqual({
      incoming: { type: 'exchange', hostname: 'mail.ex1.rackcorp.com', port: 443, username: '%EMAILADDRESS%', exchangeURL: EWS },
      incomingAlternatives: [],
      outgoing: 'global preferred server',
    });
  });

  it('exchangelib finds no RedirectURL, so it takes EwsUrl from the EXPR block, with the address from <User>', () => {
    expect(exchangelibRead(xml, 'boss@customer.example')).toEqual({ ewsUrl: EWS, protocol: 'EXPR', authType: null, smtpAddress: 'boss@customer.example' });
  });

  it('an EWS endpoint on its own port and path reaches Thunderbird and exchangelib unchanged', () => {
    const own = parseProviderFile(
      'id: ownex\nname: Own Exchange\ndomains: [own.example]\nexchange: { host: ex.own.example, ssl: true, ewsPort: 8443, ewsPath: /ews/exchange.asmx }\n',
      'ownex.yaml',
    );
    const resolved = resolveAccount(parseGenerateRequest({ email: 'a@own.example', type: 'exchange' }), new ProviderCatalog(own));
    const answer = buildAutodiscoverResponse(resolved.account);
    expect(outlookRead(answer)).toEqual({ action: 'redirectUrl', url: 'https://ex.own.example/autodiscover/autodiscover.xml' });
    expect(thunderbirdRead(answer)).toMatchObject({
      incoming: { hostname: 'ex.own.example', port: 8443, exchangeURL: 'https://ex.own.example:8443/ews/exchange.asmx' },
    });
    expect(exchangelibRead(answer, 'a@own.example')).toMatchObject({ ewsUrl: 'https://ex.own.example:8443/ews/exchange.asmx' });
  });

  it('IMAP answers are unchanged: settings for Outlook, the same servers for Thunderbird', () => {
    const imap = buildAutodiscoverResponse(fixture({ email: 'ivan.petrov@nstu.ru' }).account);
    const outlook = outlookRead(imap);
    expect(outlook.action === 'settings' && outlook.protocols.map((p) => `${p.Type} ${p.Server}:${p.Port}`)).toEqual([
      'IMAP mail2.nstu.ru:993',
      'SMTP mail2.nstu.ru:587',
    ]);
    expect(thunderbirdRead(imap)).toMatchObject({
      incoming: { type: 'imap', hostname: 'mail2.nstu.ru', port: 993, username: 'ivan.petrov@corp.nstu.ru' },
      outgoing: { type: 'smtp', hostname: 'mail2.nstu.ru', port: 587, username: 'ivan.petrov@corp.nstu.ru' },
    });
    // exchangelib is an EWS client: an IMAP provider gives it nothing to use, and it says so.
    expect(() => exchangelibRead(imap, 'ivan.petrov@nstu.ru')).toThrow(/No EWS URL/);
  });
});
