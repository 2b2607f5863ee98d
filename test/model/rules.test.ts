import { expandLogin, isEmailParts, parseEmail, toAsciiHost, type EmailParts } from '../../src/model/rules.js';
import { accountRequestSchema } from '../../src/model/request.js';
import { thrown } from '../support/errors.js';
import { parseWith } from '../../src/model/validate.js';

describe('email addresses', () => {
  it.each([
    ['ivan.petrov@nstu.ru', 'ivan.petrov@nstu.ru', 'ivan.petrov@nstu.ru'],
    ['Anna@Example.SE', 'Anna@example.se', 'Anna@example.se'],
    ['user@почта.рф', 'user@почта.рф', 'user@xn--80a1acny.xn--p1ai'],
    ['  åsa@bücher.de ', 'åsa@bücher.de', 'åsa@xn--bcher-kva.de'],
  ])('%s is accepted, its domain lower-cased and converted to punycode for devices', (input, address, ascii) => {
    const parts = parseEmail(input);
    expect(isEmailParts(parts)).toBe(true);
    expect((parts as EmailParts).address).toBe(address);
    expect((parts as EmailParts).ascii).toBe(ascii);
  });

  it.each([
    ['', 'required'],
    ['no-at-sign', 'email-format'],
    ['@nstu.ru', 'email-format'],
    ['ivan@', 'email-format'],
    ['ivan@nstu', 'email-domain'],
    ['ivan@-bad-.ru', 'email-domain'],
    ['ivan@127.0.0.1', 'email-domain'],
    ['iv an@nstu.ru', 'email-local-part'],
    ['ivan..petrov@nstu.ru', 'email-local-part'],
    ['ivan"@nstu.ru', 'email-local-part'],
    ['ivan\n@nstu.ru', 'no-control-characters'],
    ['ivan@nstu.ru\r\n', 'no-control-characters'],
    [`${'a'.repeat(65)}@nstu.ru`, 'email-local-part'],
  ])('%j is refused with rule %s', (input, rule) => {
    const parts = parseEmail(input);
    expect(isEmailParts(parts)).toBe(false);
    expect((parts as { rule: string }).rule).toBe(rule);
  });
});

describe('host names', () => {
  it('accepts names, IDN names (as punycode) and IP literals, and refuses the rest', () => {
    expect(toAsciiHost('Mail2.NSTU.ru')).toBe('mail2.nstu.ru');
    expect(toAsciiHost('почта.рф')).toBe('xn--80a1acny.xn--p1ai');
    expect(toAsciiHost('192.0.2.1')).toBe('192.0.2.1');
    expect(toAsciiHost('::1')).toBe('::1');
    for (const bad of ['', 'has space.ru', 'under_score.ru', '-lead.ru', 'a..b', 'x'.repeat(64) + '.ru', 'evil.ru\r\n']) {
      expect(toAsciiHost(bad)).toBeUndefined();
    }
  });
});

describe('login templates', () => {
  const email = parseEmail('ivan.petrov@nstu.ru') as EmailParts;
  it('expands every placeholder and keeps literal text', () => {
    expect(expandLogin('%EMAILLOCALPART%@corp.nstu.ru', email)).toBe('ivan.petrov@corp.nstu.ru');
    expect(expandLogin('%EMAILADDRESS%', email)).toBe('ivan.petrov@nstu.ru');
    expect(expandLogin('CORP\\%EMAILLOCALPART%-%EMAILDOMAIN%', email)).toBe('CORP\\ivan.petrov-nstu.ru');
  });
});

describe('request validation names the field and the rule', () => {
  const fail = (input: Record<string, unknown>) => thrown(() => parseWith(accountRequestSchema, input));

  it.each([
    [{ email: 'x' }, 'email', 'email-format'],
    [{ email: 'a@nstu.ru', name: 'Ivan\u0007' }, 'name', 'no-control-characters'],
    [{ email: 'a@nstu.ru', name: 'Ivan\r\nBcc: x' }, 'name', 'no-control-characters'],
    [{ email: 'a@nstu.ru', type: 'smoke-signal' }, 'type', 'allowed-values'],
    [{ email: 'a@nstu.ru', login: '%FOO%@x' }, 'login', 'login-placeholder'],
    [{ email: 'a@x.org', manual: { incoming: { host: 'imap.x.org', port: 70000 }, outgoing: { host: 'smtp.x.org' } } }, 'manual.incoming.port', 'max'],
    [{ email: 'a@x.org', manual: { incoming: { host: 'imap.x.org', port: 0 }, outgoing: { host: 'smtp.x.org' } } }, 'manual.incoming.port', 'min'],
    [{ email: 'a@x.org', manual: { incoming: { host: 'imap x', port: 993 }, outgoing: { host: 'smtp.x.org' } } }, 'manual.incoming.host', 'hostname'],
    [{ email: 'a@x.org', surprise: 1 }, 'input', 'unknown-field'],
  ])('%j → %s / %s', (input, field, rule) => {
    const error = fail(input);
    expect(error.field).toBe(field);
    expect(error.rule).toBe(rule);
    expect(error.message).toContain(field === 'input' ? 'surprise' : `${field}:`);
  });

  it('reports every failed field at once', () => {
    const error = fail({ email: 'nope', type: 'fax' });
    expect(error.details.map((d) => d.field).sort()).toEqual(['email', 'type']);
  });

  it('treats empty form fields as absent', () => {
    const request = parseWith(accountRequestSchema, { email: 'a@nstu.ru', name: '', type: '', provider: ' ' });
    expect(request.name).toBeUndefined();
    expect(request.type).toBeUndefined();
    expect(request.provider).toBeUndefined();
  });
});
