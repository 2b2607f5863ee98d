import { describe, expect, it } from '@jest/globals';
import {
  AUTODISCOVER_REQUEST_MAX_BYTES,
  MOBILESYNC_RESPONSE_SCHEMA,
  OUTLOOK_RESPONSE_SCHEMA,
  parseAutodiscoverRequest,
} from '../../src/formats/autodiscover-request.js';
import { billionLaughsBody, mobilesyncBody, outlookBody } from '../support/client-requests.js';
import { thrown } from '../support/errors.js';

const rejection = (body: string | Buffer) => thrown(() => parseAutodiscoverRequest(body));

describe('parseAutodiscoverRequest', () => {
  it('reads Outlook’s request', () => {
    expect(parseAutodiscoverRequest(outlookBody('ivan.petrov@nstu.ru'))).toEqual({
      flavor: 'outlook',
      email: 'ivan.petrov@nstu.ru',
      acceptableResponseSchema: OUTLOOK_RESPONSE_SCHEMA,
    });
  });

  it('reads an ActiveSync client’s request, from a Buffer', () => {
    expect(parseAutodiscoverRequest(Buffer.from(mobilesyncBody('boss@example.com')))).toEqual({
      flavor: 'mobilesync',
      email: 'boss@example.com',
      acceptableResponseSchema: MOBILESYNC_RESPONSE_SCHEMA,
    });
  });

  it('takes the wanted answer from the namespace when AcceptableResponseSchema is absent, and accepts prefixes and https schema URIs', () => {
    const prefixed = `<a:Autodiscover xmlns:a="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><a:Request><a:EMailAddress> x@mail.ru </a:EMailAddress></a:Request></a:Autodiscover>`;
    expect(parseAutodiscoverRequest(prefixed)).toMatchObject({ flavor: 'mobilesync', email: 'x@mail.ru' });
    const bare = `<Autodiscover><Request><EMailAddress>x@mail.ru</EMailAddress></Request></Autodiscover>`;
    expect(parseAutodiscoverRequest(bare).flavor).toBe('outlook');
    const https = outlookBody('x@mail.ru').replaceAll('http://', 'https://');
    expect(parseAutodiscoverRequest(https).flavor).toBe('outlook');
  });

  it('decodes the predefined entities and character references', () => {
    expect(parseAutodiscoverRequest(outlookBody('o&apos;neil&#64;mail.ru')).email).toBe("o'neil@mail.ru");
  });

  it('refuses a billion-laughs body without expanding it', () => {
    const started = process.hrtime.bigint();
    const error = rejection(billionLaughsBody);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(100);
    expect(error.toJSON()).toMatchObject({ code: 'INVALID_INPUT', field: 'body', rule: 'xml-doctype' });
  });

  it('refuses external entities and undeclared entities', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>`;
    expect(rejection(xxe).rule).toBe('xml-doctype');
    expect(rejection(outlookBody('&x;@mail.ru')).rule).toBe('xml-well-formed');
  });

  it.each([
    ['mismatched tags', '<Autodiscover><Request><EMailAddress>x@mail.ru</Request></Autodiscover>', 'xml-well-formed'],
    ['an unclosed root', '<Autodiscover><Request>', 'xml-well-formed'],
    ['two roots', '<Autodiscover/><Autodiscover/>', 'xml-well-formed'],
    ['not XML', 'email=x@mail.ru', 'xml-well-formed'],
    ['an empty body', '   ', 'required'],
    ['a control character', '<Autodiscover>\u0001</Autodiscover>', 'xml-well-formed'],
    ['a reference to NUL', '<Autodiscover>&#0;</Autodiscover>', 'xml-well-formed'],
    ['another encoding', '<?xml version="1.0" encoding="ISO-8859-1"?><Autodiscover/>', 'xml-encoding'],
    ['another root element', '<Discover><Request/></Discover>', 'autodiscover-request'],
    ['no Request', '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"/>', 'autodiscover-request'],
    ['a foreign namespace', '<Autodiscover xmlns="urn:other"><Request><EMailAddress>x@mail.ru</EMailAddress></Request></Autodiscover>', 'request-schema'],
    ['an unknown response schema', outlookBody('x@mail.ru').replace('responseschema/2006a', 'responseschema/2099'), 'response-schema'],
  ])('refuses %s', (_what, body, rule) => {
    const error = rejection(body);
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('body');
    expect(error.rule).toBe(rule);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(rejection(Buffer.from([0x3c, 0x61, 0xff, 0x3e])).rule).toBe('xml-encoding');
  });

  it('names EMailAddress when it is missing', () => {
    const error = rejection(outlookBody(''));
    expect(error.toJSON()).toMatchObject({ code: 'INVALID_INPUT', field: 'EMailAddress', rule: 'required' });
  });

  it('refuses a body over the size cap before parsing', () => {
    const big = outlookBody('x@mail.ru') + ' '.repeat(AUTODISCOVER_REQUEST_MAX_BYTES);
    const error = rejection(big);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.status).toBe(413);
  });
});
