import { execFileSync } from 'node:child_process';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { AUTODISCOVER_OUTLOOK_RESPONSE_NS, AUTODISCOVER_RESPONSE_NS, buildAutodiscoverResponse } from '../../src/formats/autodiscover.js';
import { FORMATS } from '../../src/formats/registry.js';
import { expectGolden, fixture, tampered } from './outlook-fixtures.js';
import { thrown } from '../support/errors.js';

/** Well-formed for libxml2, then read with a DOM parser that reports any error. */
function parse(xml: string): Element {
  execFileSync('xmllint', ['--noout', '--nonet', '-'], { input: xml });
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(xml, 'text/xml');
  expect(errors).toEqual([]);
  return doc.documentElement as unknown as Element;
}

const children = (element: Element, name: string) =>
  Array.from(element.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).localName === name);
const child = (element: Element, name: string) => children(element, name)[0];
const textOf = (element: Element | undefined, name: string) => (element ? (child(element, name)?.textContent ?? undefined) : undefined);

function protocols(xml: string): Record<string, Record<string, string>> {
  const root = parse(xml);
  const account = child(child(root, 'Response')!, 'Account')!;
  return Object.fromEntries(
    children(account, 'Protocol').map((p) => [
      textOf(p, 'Type'),
      Object.fromEntries(
        Array.from(p.childNodes)
          .filter((n) => n.nodeType === 1)
          .map((n) => [(n as Element).localName, n.textContent]),
      ),
    ]),
  ) as Record<string, Record<string, string>>;
}

describe('Autodiscover POX response', () => {
  it('NSTU IMAP: the 2006/2006a http:// namespaces, IMAP over SSL and SMTP with STARTTLS as TLS', () => {
    const { account } = fixture({ email: 'ivan.petrov@nstu.ru', name: 'Иван Петров' });
    const xml = buildAutodiscoverResponse(account);
    const root = parse(xml);
    expect(root.namespaceURI).toBe('http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006');
    expect(root.localName).toBe('Autodiscover');
    const response = child(root, 'Response')!;
    expect(response.namespaceURI).toBe('http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a');
    expect(AUTODISCOVER_RESPONSE_NS.startsWith('http://') && AUTODISCOVER_OUTLOOK_RESPONSE_NS.startsWith('http://')).toBe(true);
    expect(textOf(child(response, 'User'), 'DisplayName')).toBe('Иван Петров');
    const account_ = child(response, 'Account')!;
    expect(textOf(account_, 'AccountType')).toBe('email');
    expect(textOf(account_, 'Action')).toBe('settings');
    expect(protocols(xml)).toEqual({
      IMAP: {
        Type: 'IMAP',
        Server: 'mail2.nstu.ru',
        Port: '993',
        DomainRequired: 'off',
        LoginName: 'ivan.petrov@corp.nstu.ru',
        SPA: 'off',
        SSL: 'on',
        Encryption: 'SSL',
        AuthRequired: 'on',
      },
      SMTP: {
        Type: 'SMTP',
        Server: 'mail2.nstu.ru',
        Port: '587',
        DomainRequired: 'off',
        LoginName: 'ivan.petrov@corp.nstu.ru',
        SPA: 'off',
        SSL: 'on',
        Encryption: 'TLS',
        AuthRequired: 'on',
        UsePOPAuth: 'on',
      },
    });
  });

  it('POP3, STARTTLS and plain map from the socket, never from the port; TLS never on 993/465', () => {
    const pop = protocols(buildAutodiscoverResponse(fixture({ email: 'anna@mail.ru', type: 'pop' }).account));
    expect(pop.POP3).toMatchObject({ Server: 'pop.mail.ru', Port: '995', Encryption: 'SSL', SSL: 'on' });
    expect(pop.SMTP).toMatchObject({ Port: '465', Encryption: 'SSL' });
    const starttls = protocols(buildAutodiscoverResponse(fixture({ email: 'a@customer.example', provider: 'rackcorp', security: 'STARTTLS' }).account));
    expect(starttls.IMAP).toMatchObject({ Port: '143', Encryption: 'TLS', SSL: 'on' });
    const plain = protocols(buildAutodiscoverResponse(fixture({ email: 'a@customer.example', provider: 'rackcorp', security: 'plain' }).account));
    expect(plain.IMAP).toMatchObject({ Port: '143', Encryption: 'None', SSL: 'off' });
    expect(plain.SMTP).toMatchObject({ Port: '25', Encryption: 'None', SSL: 'off' });
    const odd = fixture({
      email: 'a@own.example',
      manual: { incoming: { host: 'mx.own.example', port: 143, socket: 'SSL' }, outgoing: { host: 'mx.own.example', port: 465, socket: 'STARTTLS' } },
    });
    const oddProtocols = protocols(buildAutodiscoverResponse(odd.account));
    expect([oddProtocols.IMAP!.Encryption, oddProtocols.SMTP!.Encryption]).toEqual(['SSL', 'TLS']);
  });

  it('SMTP with its own login: UsePOPAuth off and its LoginName; no authentication: AuthRequired off, no login', () => {
    const { account } = fixture({ email: 'anna@mail.ru' });
    const separate = tampered(account, (a) => void (a.outgoing!.username = 'relay-anna'));
    expect(protocols(buildAutodiscoverResponse(separate)).SMTP).toMatchObject({ UsePOPAuth: 'off', LoginName: 'relay-anna' });
    const open = tampered(account, (a) => {
      a.outgoing!.auth = 'none';
      delete a.outgoing!.username;
    });
    const smtp = protocols(buildAutodiscoverResponse(open)).SMTP!;
    expect(smtp).toMatchObject({ AuthRequired: 'off', UsePOPAuth: 'off' });
    expect(smtp.LoginName).toBeUndefined();
    const ntlm = tampered(account, (a) => void (a.incoming!.auth = 'NTLM'));
    expect(protocols(buildAutodiscoverResponse(ntlm)).IMAP).toMatchObject({ SPA: 'on' });
  });

  it("Exchange: redirectUrl to the Exchange server's own Autodiscover (or where told), beside EXCH and EXPR blocks with the EWS URL", () => {
    const { account } = fixture({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange' });
    const xml = buildAutodiscoverResponse(account);
    const response = child(parse(xml), 'Response')!;
    expect(textOf(child(response, 'User'), 'AutoDiscoverSMTPAddress')).toBe('boss@customer.example');
    const account_ = child(response, 'Account')!;
    expect(textOf(account_, 'Action')).toBe('redirectUrl');
    expect(textOf(account_, 'RedirectUrl')).toBe('https://mail.ex1.rackcorp.com/autodiscover/autodiscover.xml');
    const ews = 'https://mail.ex1.rackcorp.com/EWS/Exchange.asmx';
    const block = { Server: 'mail.ex1.rackcorp.com', ASUrl: ews, EwsUrl: ews, LoginName: 'boss@customer.example' };
    expect(protocols(xml)).toEqual({ EXCH: { Type: 'EXCH', ...block }, EXPR: { Type: 'EXPR', ...block, SSL: 'on' } });
    const custom = child(
      child(parse(buildAutodiscoverResponse(account, { exchangeRedirectUrl: 'https://ex.example/autodiscover/autodiscover.xml?a=1&b=2' })), 'Response')!,
      'Account',
    )!;
    expect(textOf(custom, 'RedirectUrl')).toBe('https://ex.example/autodiscover/autodiscover.xml?a=1&b=2');
  });

  it.each([
    ['nstu-imap', { email: 'ivan.petrov@nstu.ru', name: 'Иван Петров' }],
    ['mailru-pop', { email: 'anna@mail.ru', type: 'pop' }],
    ['yandex-com-imap', { email: 'oleg@yandex.com' }],
    ['rackcorp-mn-starttls', { email: 'a@customer.example', provider: 'rackcorp', variant: 'mn', security: 'STARTTLS' }],
    ['rackcorp-exchange', { email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange' }],
  ] as const)('golden %s, the same through the format registry', (name, input) => {
    const { account, context } = fixture({ ...input, format: 'autodiscover' });
    const xml = FORMATS.autodiscover.build(account, context);
    expect(xml).toBe(buildAutodiscoverResponse(account));
    expectGolden(`outlook/autodiscover-${name}.xml`, xml);
  });

  describe('hostile values', () => {
    const base = fixture({ email: 'anna@mail.ru' }).account;
    it.each([
      ['markup', '<Anna & "Co"> \'x\''],
      ['INI and .reg specials', 'a"b\\c]d=e;f#g'],
      ['CDATA end', ']]> <![CDATA[ x'],
      ['Cyrillic', 'Анна <Смирнова>'],
      ['10k characters', `${'Ж&'.repeat(5000)}`],
    ])('%s round-trip exactly in names and logins', (_, value) => {
      const login = value.replace(/\s/g, '');
      const account = tampered(base, (a) => {
        a.displayName = value;
        a.incoming!.username = login;
      });
      const xml = buildAutodiscoverResponse(account);
      expect(textOf(child(child(parse(xml), 'Response')!, 'User'), 'DisplayName')).toBe(value);
      expect(protocols(xml).IMAP!.LoginName).toBe(login);
    });

    it.each([
      ['CR/LF', 'Anna\r\nSmith'],
      ['a NUL', 'Anna\u0000'],
      ['an escape character', 'Anna\u001b[31m'],
      ['a lone surrogate', 'Anna\ud800'],
    ])('%s is refused, never silently dropped', (_, value) => {
      expect(thrown(() => buildAutodiscoverResponse(tampered(base, (a) => void (a.displayName = value))))).toMatchObject({
        code: 'INVALID_INPUT',
        field: 'displayName',
      });
      expect(thrown(() => buildAutodiscoverResponse(tampered(base, (a) => void (a.outgoing!.username = value))))).toMatchObject({
        code: 'INVALID_INPUT',
        field: 'outgoing.username',
      });
    });
  });
});
