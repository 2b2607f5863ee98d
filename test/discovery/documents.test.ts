// What discovery reads from the network is read with the hardened parsers of the rest of
// mailsetup: the ISPDB reader for autoconfig, the Autodiscover endpoint's strict XML reader.
import { describe, expect, it } from '@jest/globals';
import { readAutodiscoverResponse, autodiscoverRequestBody } from '../../src/discovery/sources/autodiscover.js';
import { serversOfDocument } from '../../src/discovery/sources/autoconfig.js';
import { providerForMx, registeredDomain } from '../../src/discovery/sources/mx.js';
import { guesses } from '../../src/discovery/sources/guess.js';
import { parseAutodiscoverRequest } from '../../src/formats/autodiscover-request.js';
import { parseEmail, type EmailParts } from '../../src/model/rules.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { clientConfig, poxResponse } from '../support/discovery-lab.js';

const email = parseEmail('ivan@example.test') as EmailParts;
const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Autodiscover><Response>&lol2;</Response></Autodiscover>`;

describe('autoconfig documents', () => {
  it('fills %EMAILDOMAIN% in host names and keeps the login template', () => {
    const body = Buffer.from(
      clientConfig('example.test', [
        { type: 'imap', host: 'imap.%EMAILDOMAIN%', port: 993, socket: 'SSL', username: '%EMAILLOCALPART%' },
        { type: 'smtp', host: 'smtp.%EMAILDOMAIN%', port: 465, socket: 'SSL' },
      ]),
    );
    const read = serversOfDocument(body, 'https://autoconfig.example.test/x', email, 'autoconfig');
    expect(read).toEqual({
      servers: [
        expect.objectContaining({ protocol: 'imap', host: 'imap.example.test', login: '%EMAILLOCALPART%', source: 'autoconfig' }),
        expect.objectContaining({ protocol: 'smtp', host: 'smtp.example.test', login: '%EMAILADDRESS%' }),
      ],
    });
  });

  it('refuses a document type declaration without expanding anything', () => {
    const read = serversOfDocument(Buffer.from(laughs.replace(/Autodiscover/g, 'clientConfig')), 'x', email, 'autoconfig');
    expect(read).toEqual({ reason: expect.stringContaining('DOCTYPE') });
  });
});

describe('Autodiscover', () => {
  it('asks in the request schema our own endpoint reads', () => {
    expect(parseAutodiscoverRequest(autodiscoverRequestBody('ivan@example.test'))).toMatchObject({ flavor: 'outlook', email: 'ivan@example.test' });
  });

  it('reads IMAP, SMTP (Encryption TLS = STARTTLS) and Exchange settings', () => {
    const body = Buffer.from(
      poxResponse([
        { type: 'IMAP', server: 'imap.example.test', port: 993 },
        { type: 'SMTP', server: 'smtp.example.test', port: 587, encryption: 'TLS' },
        { type: 'POP3', server: 'pop.example.test', port: 110, ssl: 'off' },
        { type: 'EXCH', server: 'ex.example.test', port: 443 },
      ]),
    );
    const answer = readAutodiscoverResponse(body, 'https://autodiscover.example.test/autodiscover/autodiscover.xml', 64 * 1024);
    expect(answer).toMatchObject({
      kind: 'settings',
      servers: [
        { protocol: 'imap', host: 'imap.example.test', port: 993, socket: 'SSL', login: 'ivan' },
        { protocol: 'smtp', host: 'smtp.example.test', port: 587, socket: 'STARTTLS' },
        { protocol: 'pop3', host: 'pop.example.test', port: 110, socket: 'plain' },
      ],
      exchange: { host: 'ex.example.test' },
    });
  });

  it('refuses entity expansion bombs and oversized answers', () => {
    expect(readAutodiscoverResponse(Buffer.from(laughs), 'x', 64 * 1024)).toEqual({
      kind: 'error',
      reason: expect.stringContaining('document type declarations'),
    });
    expect(readAutodiscoverResponse(Buffer.alloc(70 * 1024, 0x20), 'x', 64 * 1024)).toMatchObject({
      kind: 'error',
      reason: expect.stringContaining('at most 65536'),
    });
  });
});

describe('MX hosts', () => {
  const catalog = ProviderCatalog.load();

  it.each([
    ['mx1.rackcorp.com', 'rackcorp.com'],
    ['mx.mail.example.co.uk', 'example.co.uk'],
    ['example.org', 'example.org'],
  ])('%s is registered as %s', (host, domain) => expect(registeredDomain(host)).toBe(domain));

  it("an MX beside a variant's servers picks that variant; beside the provider only, the default one", () => {
    expect(providerForMx(catalog, ['mx.us.rackcorp.com'], 'shop.test')).toMatchObject({ provider: { id: 'rackcorp' }, variant: { id: 'us' } });
    expect(providerForMx(catalog, ['mx1.rackcorp.com'], 'shop.test')).toMatchObject({ provider: { id: 'rackcorp' }, variant: { id: 'global' } });
    expect(providerForMx(catalog, ['mx.yandex.net'], 'shop.test')).toMatchObject({ provider: { id: 'yandex' } });
    expect(providerForMx(catalog, ['mx.unknown.co.uk'], 'shop.test')).toBeUndefined();
  });
});

describe('guesses', () => {
  it("are in Thunderbird's order: implicit TLS first, IMAP hosts, then POP3, then submission, the MX host last", () => {
    expect(guesses('example.test', 'mx.example.test').map((g) => `${g.protocol} ${g.host}:${g.port}`)).toEqual([
      'imap imap.example.test:993',
      'imap imap.example.test:143',
      'imap mail.example.test:993',
      'imap mail.example.test:143',
      'imap mx.example.test:993',
      'imap mx.example.test:143',
      'pop3 pop.example.test:995',
      'pop3 pop.example.test:110',
      'pop3 pop3.example.test:995',
      'pop3 pop3.example.test:110',
      'pop3 mail.example.test:995',
      'pop3 mail.example.test:110',
      'pop3 mx.example.test:995',
      'pop3 mx.example.test:110',
      'smtp smtp.example.test:465',
      'smtp smtp.example.test:587',
      'smtp mail.example.test:465',
      'smtp mail.example.test:587',
      'smtp mx.example.test:465',
      'smtp mx.example.test:587',
    ]);
  });
});
