import type { MailsetupError } from '../../src/errors.js';
import { accountRequestSchema, type AccountRequestInput } from '../../src/model/request.js';
import { parseWith } from '../../src/model/validate.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { thrown } from '../support/errors.js';

const catalog = ProviderCatalog.load();
const withDefault = ProviderCatalog.load({ defaultProvider: 'rackcorp' });
const resolve = (input: AccountRequestInput, from = catalog) => resolveAccount(parseWith(accountRequestSchema, input), from);
const failure = (input: AccountRequestInput, from = catalog): MailsetupError => thrown(() => resolve(input, from));

describe('resolving a request against the catalog', () => {
  it('finds the provider by domain, case-insensitively, and expands the login template', () => {
    const { account, provider } = resolve({ email: 'ivan.petrov@NSTU.RU' });
    expect(provider?.id).toBe('nstu');
    expect(account.kind).toBe('imap');
    expect(account.incoming).toEqual({ host: 'mail2.nstu.ru', port: 993, socket: 'SSL', auth: 'password-cleartext', username: 'ivan.petrov@corp.nstu.ru' });
    expect(account.outgoing).toEqual({
      host: 'mail2.nstu.ru',
      port: 587,
      socket: 'STARTTLS',
      auth: 'password-cleartext',
      username: 'ivan.petrov@corp.nstu.ru',
    });
  });

  it.each([
    [{ email: 'a@mail.ru', type: 'pop' as const }, 'pop.mail.ru', 995, 'smtp.mail.ru', 465],
    [{ email: 'a@bk.ru', security: 'STARTTLS' as const }, 'imap.mail.ru', 143, 'smtp.mail.ru', 587],
    [{ email: 'a@yandex.ru' }, 'imap.yandex.ru', 993, 'smtp.yandex.ru', 465],
    [{ email: 'a@yandex.com' }, 'imap.yandex.com', 993, 'smtp.yandex.com', 465],
    [{ email: 'a@ya.ru', variant: 'com' }, 'imap.yandex.com', 993, 'smtp.yandex.com', 465],
    [{ email: 'a@customer.example', provider: 'rackcorp' }, 'mail.rackcorp.com', 993, 'mail.rackcorp.com', 465],
    [{ email: 'a@customer.example', provider: 'rackcorp', variant: 'mn' }, 'mail.mn.rackcorp.com', 993, 'mail.mn.rackcorp.com', 465],
    [
      { email: 'a@customer.example', provider: 'rackcorp', variant: 'us', type: 'pop' as const, security: 'STARTTLS' as const },
      'mail.us.rackcorp.com',
      110,
      'mail.us.rackcorp.com',
      25,
    ],
  ])('%j → %s:%d / %s:%d', (input, inHost, inPort, outHost, outPort) => {
    const { account } = resolve(input);
    expect([account.incoming?.host, account.incoming?.port, account.outgoing?.host, account.outgoing?.port]).toEqual([inHost, inPort, outHost, outPort]);
  });

  it('never picks an unencrypted server unless asked, and warns when asked', () => {
    const chosen = resolve({ email: 'a@customer.example', provider: 'rackcorp' });
    expect(chosen.account.incoming?.socket).toBe('SSL');
    expect(chosen.warnings).toEqual([]);
    const plain = resolve({ email: 'a@customer.example', provider: 'rackcorp', security: 'plain' });
    expect(plain.account.incoming).toMatchObject({ port: 143, socket: 'plain' });
    expect(plain.account.outgoing).toMatchObject({ port: 25, socket: 'plain' });
    expect(plain.warnings.map((w) => w.key)).toEqual(['warning.unencrypted', 'warning.unencrypted']);
  });

  it('resolves RackCorp Exchange with EWS defaults', () => {
    const { account } = resolve({ email: 'boss@customer.example', provider: 'rackcorp', type: 'exchange' });
    expect(account.exchange).toEqual({ host: 'mail.ex1.rackcorp.com', ssl: true, port: 443, path: '/EWS/Exchange.asmx', username: 'boss@customer.example' });
    expect(account.incoming).toBeUndefined();
  });

  it('uses the default provider only for unknown domains', () => {
    expect(resolve({ email: 'a@unknown.example' }, withDefault).provider?.id).toBe('rackcorp');
    expect(resolve({ email: 'a@nstu.ru' }, withDefault).provider?.id).toBe('nstu');
    expect(failure({ email: 'a@unknown.example' })).toMatchObject({ code: 'UNKNOWN_DOMAIN', field: 'email' });
  });

  it('accepts manual settings for unknown domains, with default ports per security', () => {
    const { account, provider } = resolve({
      email: 'a@unknown.example',
      manual: { incoming: { host: 'imap.unknown.example' }, outgoing: { host: 'smtp.unknown.example', socket: 'STARTTLS' } },
    });
    expect(provider).toBeUndefined();
    expect(account.incoming).toMatchObject({ host: 'imap.unknown.example', port: 993, socket: 'SSL', username: 'a@unknown.example' });
    expect(account.outgoing).toMatchObject({ host: 'smtp.unknown.example', port: 587, socket: 'STARTTLS' });
  });

  it.each([
    [{ email: 'a@nstu.ru', type: 'exchange' as const }, 'UNSUPPORTED', 'type'],
    [{ email: 'a@yandex.ru', security: 'STARTTLS' as const }, 'UNSUPPORTED', 'security'],
    [{ email: 'a@nstu.ru', provider: 'nope' }, 'UNKNOWN_PROVIDER', 'provider'],
    [{ email: 'a@x.example', provider: 'rackcorp', variant: 'mars' }, 'UNKNOWN_VARIANT', 'variant'],
  ])('%j → %s naming %s', (input, code, field) => {
    expect(failure(input)).toMatchObject({ code, field });
  });

  it('warns when a provider is named for an address outside its domains', () => {
    expect(resolve({ email: 'a@gmail.example', provider: 'nstu' }).warnings).toEqual([
      { key: 'warning.domainNotListed', values: { provider: 'NSTU', domain: 'gmail.example' } },
    ]);
  });
});
