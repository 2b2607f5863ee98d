import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { buildAutoconfig, variantDomains } from '../../src/formats/autoconfig.js';
import { FORMATS } from '../../src/formats/registry.js';
import type { Provider } from '../../src/model/provider.js';
import { parseEmail, type EmailParts } from '../../src/model/rules.js';
import { makeTempDir } from '../support/tmp.js';
import { catalog, expectGolden, fixture } from './outlook-fixtures.js';
import { thrown } from '../support/errors.js';

// draft-ietf-mailmaint-autoconfig's RELAX NG schema (test/fixtures/reference/autoconfig, Revised BSD).
const SCHEMA = fileURLToPath(new URL('../fixtures/reference/autoconfig/autoconfig.rng', import.meta.url));
const tmp = makeTempDir('mailsetup-autoconfig-');
afterAll(() => tmp.remove());
let counter = 0;

/** Valid against the RELAX NG schema (xmllint), then read with a DOM parser. */
function validate(xml: string): Element {
  const file = join(tmp.path, `config-${++counter}.xml`);
  writeFileSync(file, xml, 'utf8');
  execFileSync('xmllint', ['--noout', '--nonet', '--relaxng', SCHEMA, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const errors: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => void (level !== 'warning' && errors.push(message)) }).parseFromString(xml, 'text/xml');
  expect(errors).toEqual([]);
  return doc.documentElement as unknown as Element;
}

const elements = (parent: Element, name?: string) =>
  Array.from(parent.childNodes).filter((n): n is Element => n.nodeType === 1 && (name === undefined || (n as Element).localName === name));
const text = (parent: Element, name: string) => elements(parent, name).map((e) => e.textContent);

interface Server {
  kind: string;
  type: string | null;
  hostname?: string | null;
  port?: string | null;
  socketType?: string | null;
  username?: string | null;
  url?: string | null;
  auth: (string | null)[];
}

function servers(root: Element): Server[] {
  const provider = elements(root, 'emailProvider')[0]!;
  return elements(provider)
    .filter((e) => e.localName === 'incomingServer' || e.localName === 'outgoingServer')
    .map((e) => {
      const one = (name: string) => (elements(e, name)[0] ? { [name]: elements(e, name)[0]!.textContent } : {});
      return {
        kind: e.localName!,
        type: e.getAttribute('type'),
        ...one('hostname'),
        ...one('port'),
        ...one('socketType'),
        ...one('username'),
        ...one('url'),
        auth: text(e, 'authentication'),
      };
    });
}

const email = (address: string) => parseEmail(address) as EmailParts;

describe('Thunderbird autoconfig', () => {
  it.each(catalog.list().flatMap((provider) => provider.variants.map((variant) => [provider.id, variant.id] as const)))(
    'provider-level %s/%s: valid against the schema, placeholders kept, no plain servers, golden',
    (providerId, variantId) => {
      const provider = catalog.get(providerId);
      const variant = provider.variants.find((v) => v.id === variantId)!;
      const xml = buildAutoconfig(provider, variant);
      const root = validate(xml);
      expect(root.getAttribute('version')).toBe('1.1');
      const list = servers(root);
      expect(list.filter((s) => s.socketType === 'plain')).toEqual([]);
      const expected = variant.servers.filter((s) => !s.insecure);
      expect(list.filter((s) => s.type !== 'ews').map((s) => `${s.type} ${s.hostname}:${s.port} ${s.socketType}`)).toEqual([
        ...expected.filter((s) => s.protocol !== 'smtp').map((s) => `${s.protocol} ${s.host}:${s.port} ${s.socket}`),
        ...expected.filter((s) => s.protocol === 'smtp').map((s) => `${s.protocol} ${s.host}:${s.port} ${s.socket}`),
      ]);
      for (const server of list) expect(server.username).toBe(provider.login);
      const provider_ = elements(root, 'emailProvider')[0]!;
      expect(text(provider_, 'domain')).toEqual(variantDomains(provider, variant));
      expectGolden(`thunderbird/${providerId}-${variantId}.xml`, xml);
    },
  );

  it('Yandex: .com addresses belong to the com variant only; enable with every language, the chosen one first', () => {
    const yandex = catalog.get('yandex');
    const [ru, com] = yandex.variants as [Provider['variants'][0], Provider['variants'][0]];
    expect(variantDomains(yandex, ru)).not.toContain('yandex.com');
    expect(variantDomains(yandex, com)).toEqual(['yandex.com']);
    const root = validate(buildAutoconfig(yandex, ru, { language: 'sv' }));
    const enable = elements(elements(root, 'emailProvider')[0]!, 'enable')[0]!;
    expect(enable.getAttribute('visiturl')).toBe('https://mail.yandex.ru/neo/setup_client');
    expect(elements(enable, 'instruction').map((e) => e.getAttribute('lang'))).toEqual(['sv', 'en', 'ru']);
  });

  it('Mail.ru: documentation with a description per language', () => {
    const mailru = catalog.get('mailru');
    const root = validate(buildAutoconfig(mailru, mailru.variants[0]!));
    const docs = elements(elements(root, 'emailProvider')[0]!, 'documentation');
    expect(docs.map((d) => d.getAttribute('url'))).toEqual(['https://help.mail.ru/mail-help/mailer/mt']);
    expect(elements(docs[0]!, 'descr').map((d) => [d.getAttribute('lang'), d.textContent])).toContainEqual(['ru', 'Настройка почтовых программ для Mail.ru']);
  });

  it('RackCorp with Exchange: an ews server after IMAP and POP, with its EWS URL', () => {
    const rackcorp = catalog.get('rackcorp');
    const list = servers(
      validate(
        buildAutoconfig(
          rackcorp,
          rackcorp.variants.find((v) => v.id === 'mn')!,
        ),
      ),
    );
    const incoming = list.filter((s) => s.kind === 'incomingServer');
    expect(incoming.at(-1)).toMatchObject({ type: 'ews', url: 'https://mail.ex1.rackcorp.com/EWS/Exchange.asmx', username: '%EMAILADDRESS%' });
  });

  it("per person: NSTU usernames filled in (local part @corp.nstu.ru), the person's domain only", () => {
    const nstu = catalog.get('nstu');
    const root = validate(buildAutoconfig(nstu, nstu.variants[0]!, { email: email('ivan.petrov@nstu.ru') }));
    const provider = elements(root, 'emailProvider')[0]!;
    expect(text(provider, 'domain')).toEqual(['nstu.ru']);
    expect(new Set(servers(root).map((s) => s.username))).toEqual(new Set(['ivan.petrov@corp.nstu.ru']));
  });

  it("the autoconfig format: the person's resolved servers first, the provider's others after", () => {
    const { account, context } = fixture({ email: 'anna@bk.ru', type: 'pop', security: 'STARTTLS', format: 'autoconfig' });
    const xml = FORMATS.autoconfig.build(account, context);
    const list = servers(validate(xml));
    expect(list[0]).toMatchObject({ type: 'pop3', hostname: 'pop.mail.ru', port: '110', socketType: 'STARTTLS', username: 'anna@bk.ru' });
    expect(list.filter((s) => s.kind === 'outgoingServer')[0]).toMatchObject({ port: '587', socketType: 'STARTTLS' });
    expect(list.filter((s) => s.type === 'pop3' && s.port === '110')).toHaveLength(1);
    expect(list).toHaveLength(6);
    expectGolden('thunderbird/person-mailru-pop-starttls.xml', xml);
  });

  it("servers typed by hand: just the account's servers; a plain one only because it was asked for", () => {
    const { account, context } = fixture({
      email: 'a@own.example',
      manual: { incoming: { host: 'mx.own.example', socket: 'plain' }, outgoing: { host: 'mx.own.example', socket: 'STARTTLS' } },
      format: 'autoconfig',
    });
    const list = servers(validate(FORMATS.autoconfig.build(account, context)));
    expect(list).toEqual([
      {
        kind: 'incomingServer',
        type: 'imap',
        hostname: 'mx.own.example',
        port: '143',
        socketType: 'plain',
        username: 'a@own.example',
        auth: ['password-cleartext'],
      },
      {
        kind: 'outgoingServer',
        type: 'smtp',
        hostname: 'mx.own.example',
        port: '587',
        socketType: 'STARTTLS',
        username: 'a@own.example',
        auth: ['password-cleartext'],
      },
    ]);
  });

  describe('hostile values', () => {
    const nstu = catalog.get('nstu');
    const withName = (name: string, login = nstu.login): Provider => ({ ...nstu, name, shortName: name, login });

    it.each([
      ['markup', '<NSTU & "Co"> \'x\''],
      ['INI and .reg specials', 'a"b\\c]d=e;f#g'],
      ['CDATA end', ']]> <![CDATA['],
      ['10k characters', 'Ж<'.repeat(5000)],
    ])('%s round-trip exactly in names and logins', (_, value) => {
      const login = `${value.replace(/\s/g, '')}%EMAILLOCALPART%`;
      const root = validate(buildAutoconfig(withName(value, login), nstu.variants[0]!, { email: email('ivan@nstu.ru') }));
      const provider = elements(root, 'emailProvider')[0]!;
      expect(text(provider, 'displayName')).toEqual([value]);
      expect(servers(root)[0]!.username).toBe(login.replace('%EMAILLOCALPART%', 'ivan'));
    });

    it.each([
      ['CR/LF', 'NSTU\r\n<x/>'],
      ['a NUL', 'NSTU\u0000'],
      ['a vertical tab', 'NSTU\u000b'],
    ])('%s is refused, never silently dropped', (_, value) => {
      expect(thrown(() => buildAutoconfig(withName(value), nstu.variants[0]!))).toMatchObject({
        code: 'INVALID_INPUT',
        field: 'provider.name',
        rule: 'no-control-characters',
      });
      expect(thrown(() => buildAutoconfig(withName('NSTU', value), nstu.variants[0]!))).toMatchObject({ code: 'INVALID_INPUT', field: 'servers.0.username' });
    });

    it('a provider with only plain servers has nothing to publish: a clear error', () => {
      const plainOnly: Provider = {
        ...nstu,
        variants: [{ ...nstu.variants[0]!, servers: nstu.variants[0]!.servers.map((s) => ({ ...s, socket: 'plain' as const, insecure: true })) }],
      };
      expect(thrown(() => buildAutoconfig(plainOnly, plainOnly.variants[0]!))).toMatchObject({ code: 'UNSUPPORTED', rule: 'offered-security' });
    });
  });
});
