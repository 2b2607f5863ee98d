// Declarative Device Management: the compiled facts equal Apple's declarative YAML, the validator
// reports each kind of broken declaration set, and what we write validates, reads back as the
// model's values, carries no password, and keeps identifiers and ServerTokens stable.
import { afterAll, describe, expect, test } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { compileDeclarativeSchemas, serializeDeclarativeSchemas } from '../../src/formats/declarative-schema-compile.js';
import { loadDeclarativeSchemas, validateDeclarations } from '../../src/formats/declarative-schema.js';
import { buildDeclarations, DEFAULT_CREDENTIAL_URL, serverToken, type Declaration } from '../../src/formats/ddm.js';
import { FORMATS } from '../../src/formats/registry.js';
import type { Problem } from '../../src/formats/apple-schema.js';
import type { Account } from '../../src/model/account.js';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/tmp.js';
import { readZipEntries } from '../support/zip.js';
import { fixture } from './outlook-fixtures.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const APPLE = join(REPO, 'test', 'fixtures', 'reference', 'apple-schemas');
const DECLARATIONS = join(APPLE, 'declarative', 'declarations');
const tmp = makeTempDir('mailsetup-ddm-');
afterAll(() => tmp.remove());

const brief = (problems: Problem[]) => problems.map((p) => [p.path, p.rule]);
type Json = Record<string, unknown>;

/** The ZIP a format writes, its declarations parsed with JSON.parse (file name → declaration). */
async function unzip(body: Buffer): Promise<{ readme: string; declarations: Map<string, Declaration> }> {
  const entries = await readZipEntries(body);
  const declarations = new Map<string, Declaration>();
  for (const [name, data] of entries)
    if (name.startsWith('declarations/')) declarations.set(name.slice('declarations/'.length), JSON.parse(data.toString('utf8')) as Declaration);
  return { readme: entries.get('README.txt')!.toString('utf8'), declarations };
}

/** A small valid set written by hand: one credential, one mail configuration, one activation. */
function handWritten(): Json[] {
  return [
    {
      Type: 'com.apple.asset.credential.userpassword',
      Identifier: 'cred-1',
      ServerToken: 't1',
      Payload: { Reference: { DataURL: 'https://mdm.example.org/c/1.json', ContentType: 'application/json' } },
    },
    {
      Type: 'com.apple.configuration.account.mail',
      Identifier: 'mail-1',
      ServerToken: 't2',
      Payload: {
        IncomingServer: {
          ServerType: 'IMAP',
          HostName: 'imap.example.org',
          Port: 993,
          AuthenticationMethod: 'Password',
          AuthenticationCredentialsAssetReference: 'cred-1',
        },
        OutgoingServer: { HostName: 'smtp.example.org', Port: 465, AuthenticationMethod: 'Password', AuthenticationCredentialsAssetReference: 'cred-1' },
      },
    },
    { Type: 'com.apple.activation.simple', Identifier: 'act-1', ServerToken: 't3', Payload: { StandardConfigurations: ['mail-1'] } },
  ];
}

describe('compiled declarative schema facts', () => {
  test("the committed JSON is exactly what Apple's declarative YAML compiles to (regenerate: npm run apple-schemas)", () => {
    const files = readdirSync(DECLARATIONS, { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.yaml'))
      .sort()
      .map((name) => ({ name, document: parseYaml(readFileSync(join(DECLARATIONS, name), 'utf8')) as unknown }));
    const compiled = compileDeclarativeSchemas(files, {
      sourceText: readFileSync(join(APPLE, 'SOURCE.txt'), 'utf8'),
      licenseText: readFileSync(join(APPLE, 'LICENSE.txt'), 'utf8'),
    });
    expect(readFileSync(join(REPO, 'src', 'formats', 'declarative-schema.data.json'), 'utf8')).toBe(serializeDeclarativeSchemas(compiled));
    expect(loadDeclarativeSchemas()).toEqual(compiled);
    const schemas = loadDeclarativeSchemas();
    for (const type of ['mail', 'exchange', 'caldav', 'carddav']) expect(schemas.declarations[`com.apple.configuration.account.${type}`]).toBeDefined();
    const exchange = schemas.declarations['com.apple.configuration.account.exchange']!.keys;
    expect(exchange.find((k) => k.key === 'Port')?.os?.iOS).toEqual({ introduced: 'n/a' });
    expect(exchange.find((k) => k.key === 'AuthenticationCredentialsAssetReference')?.assetTypes).toEqual(['com.apple.asset.credential.userpassword']);
  });
});

describe('validateDeclarations', () => {
  test('a correct hand-written set passes on both systems', () => {
    expect(validateDeclarations(handWritten(), 'iOS')).toEqual([]);
    expect(validateDeclarations(handWritten(), 'macOS')).toEqual([]);
  });

  test('reports missing keys, wrong types, values outside the list and unknown keys', () => {
    const set = handWritten();
    const mail = set[1]!.Payload as Json;
    delete (mail.IncomingServer as Json).HostName;
    (mail.IncomingServer as Json).Port = '993';
    (mail.OutgoingServer as Json).AuthenticationMethod = 'Plain';
    mail.Incomingserver = {};
    delete set[0]!.ServerToken;
    expect(brief(validateDeclarations(set, 'iOS'))).toEqual([
      ['[0].ServerToken', 'required'],
      ['[1].Payload.IncomingServer.HostName', 'required'],
      ['[1].Payload.IncomingServer.Port', 'type'],
      ['[1].Payload.OutgoingServer.AuthenticationMethod', 'allowed-values'],
      ['[1].Payload.Incomingserver', 'unknown-key'],
    ]);
  });

  test('reports keys the OS does not support, unknown types and over-long tokens', () => {
    const exchange = {
      Type: 'com.apple.configuration.account.exchange',
      Identifier: 'ex-1',
      ServerToken: 'x'.repeat(65),
      Payload: { EnabledProtocolTypes: ['EAS'], HostName: 'mail.example.org', Port: 443 },
    };
    expect(brief(validateDeclarations([exchange], 'iOS'))).toEqual([
      ['[0].Payload.Port', 'unsupported-os'],
      ['[0].ServerToken', 'length'],
    ]);
    expect(brief(validateDeclarations([exchange, { Type: 'com.example.nothing', Identifier: 'n', ServerToken: 't', Payload: {} }], 'macOS'))).toEqual([
      ['[0].ServerToken', 'length'],
      ['[1].Type', 'unknown-payload-type'],
    ]);
  });

  test('reports duplicate identifiers, dangling or mistyped asset references and activations naming nothing', () => {
    const set = handWritten();
    ((set[1]!.Payload as Json).OutgoingServer as Json).AuthenticationCredentialsAssetReference = 'missing';
    ((set[1]!.Payload as Json).IncomingServer as Json).AuthenticationCredentialsAssetReference = 'act-1';
    (set[2]!.Payload as Json).StandardConfigurations = ['mail-1', 'cred-1'];
    set.push({ ...set[0]!, ServerToken: 'other' });
    expect(brief(validateDeclarations(set, 'iOS'))).toEqual([
      ['[3].Identifier', 'unique'],
      ['[1].Payload.IncomingServer.AuthenticationCredentialsAssetReference', 'reference'],
      ['[1].Payload.OutgoingServer.AuthenticationCredentialsAssetReference', 'reference'],
      ['[2].Payload.StandardConfigurations[1]', 'reference'],
    ]);
  });
});

describe('--format ddm', () => {
  const nstu = fixture({ email: 'ivan.petrov@nstu.ru', format: 'ddm', password: 'never-written' });

  test('NSTU IMAP: valid on iOS and macOS, the model values read back, one credential per login, no password', async () => {
    const body = FORMATS.ddm.build(nstu.account, nstu.context);
    const { readme, declarations } = await unzip(body);
    expect([...declarations.keys()]).toEqual(['credential-incoming.json', 'mail.json', 'activation.json']);
    const list = [...declarations.values()];
    expect(validateDeclarations(list, 'iOS')).toEqual([]);
    expect(validateDeclarations(list, 'macOS')).toEqual([]);
    const incoming = nstu.account.incoming!;
    const outgoing = nstu.account.outgoing!;
    const credential = declarations.get('credential-incoming.json')!;
    expect(declarations.get('mail.json')).toEqual({
      Type: 'com.apple.configuration.account.mail',
      Identifier: expect.stringMatching(/^[0-9A-F-]{36}$/),
      ServerToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      Payload: {
        VisibleName: nstu.context.text.accountDescription,
        IncomingServer: {
          ServerType: 'IMAP',
          HostName: incoming.host,
          Port: incoming.port,
          AuthenticationMethod: 'Password',
          AuthenticationCredentialsAssetReference: credential.Identifier,
        },
        OutgoingServer: {
          HostName: outgoing.host,
          Port: outgoing.port,
          AuthenticationMethod: 'Password',
          AuthenticationCredentialsAssetReference: credential.Identifier,
        },
      },
    });
    expect(credential.Payload).toEqual({ Reference: { DataURL: `${DEFAULT_CREDENTIAL_URL}/${credential.Identifier}.json`, ContentType: 'application/json' } });
    expect(declarations.get('activation.json')!.Payload).toEqual({ StandardConfigurations: [declarations.get('mail.json')!.Identifier] });
    for (const declaration of list) expect(declaration.ServerToken).toBe(serverToken(declaration.Type, declaration.Identifier, declaration.Payload));
    const text = [...(await readZipEntries(body)).values()].map((data) => data.toString('utf8')).join('\n');
    expect(nstu.account.password).toBe('never-written');
    expect(text).not.toContain('never-written');
    expect(readme).toContain(`user name: ${incoming.username}`);
    expect(readme).toContain('declarations/mail.json');
  });

  test('identifiers and ServerTokens are stable across runs; a change moves only the tokens of what changed', () => {
    const first = buildDeclarations(nstu.account, nstu.context);
    expect(FORMATS.ddm.build(nstu.account, nstu.context)).toEqual(FORMATS.ddm.build(nstu.account, nstu.context));
    expect(buildDeclarations(nstu.account, nstu.context)).toEqual(first);
    const starttls = fixture({ email: 'ivan.petrov@nstu.ru', format: 'ddm', security: 'STARTTLS' });
    const second = buildDeclarations(starttls.account, starttls.context);
    expect(second.map((d) => d.Identifier)).toEqual(first.map((d) => d.Identifier));
    expect(second[0]!.ServerToken).toBe(first[0]!.ServerToken); // the credential did not change
    expect(second[1]!.ServerToken).not.toBe(first[1]!.ServerToken); // the mail configuration did (port 143)
    expect(second[2]!.ServerToken).toBe(first[2]!.ServerToken);
    const other = fixture({ email: 'anna@nstu.ru', format: 'ddm' });
    expect(buildDeclarations(other.account, other.context)[1]!.Identifier).not.toBe(first[1]!.Identifier);
  });

  test('POP with a different SMTP login gets two credentials', () => {
    const mailru = fixture({ email: 'anna@mail.ru', type: 'pop', format: 'ddm' });
    const account = { ...mailru.account, outgoing: { ...mailru.account.outgoing!, username: 'anna-smtp@mail.ru' } } as Account;
    const list = buildDeclarations(account, mailru.context);
    expect(list.map((d) => d.Type)).toEqual([
      'com.apple.asset.credential.userpassword',
      'com.apple.asset.credential.userpassword',
      'com.apple.configuration.account.mail',
      'com.apple.activation.simple',
    ]);
    expect((list[2]!.Payload.IncomingServer as Json).ServerType).toBe('POP');
    expect(validateDeclarations(list, 'iOS')).toEqual([]);
  });

  test('Exchange: EAS on iOS, EWS with port and path on macOS, both valid', () => {
    for (const device of ['ios', 'macos'] as const) {
      const boss = fixture({ email: 'boss@corp.example', provider: 'rackcorp', variant: 'mn', type: 'exchange', device, format: 'ddm' });
      const list = buildDeclarations(boss.account, boss.context);
      expect(validateDeclarations(list, device === 'ios' ? 'iOS' : 'macOS')).toEqual([]);
      const exchange = list.find((d) => d.Type === 'com.apple.configuration.account.exchange')!;
      expect(exchange.Payload).toMatchObject({ HostName: 'mail.ex1.rackcorp.com', EnabledProtocolTypes: [device === 'ios' ? 'EAS' : 'EWS'] });
      if (device === 'macos') expect(exchange.Payload).toMatchObject({ Port: 443, Path: '/EWS/Exchange.asmx' });
      else expect(exchange.Payload.Port).toBeUndefined();
    }
  });

  test('the CLI writes the ZIP, takes --credential-url, and names the flag when the address is not https', async () => {
    const run = await runCli(
      ['profile', '--email', 'ivan.petrov@nstu.ru', '--format', 'ddm', '--credential-url', 'https://mdm.example.org/assets/', '--out', 'ivan.zip'],
      {
        cwd: tmp.path,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { declarations } = await unzip(readFileSync(join(tmp.path, 'ivan.zip')));
    const credential = declarations.get('credential-incoming.json')!;
    expect((credential.Payload.Reference as Json).DataURL).toBe(`https://mdm.example.org/assets/${credential.Identifier}.json`);
    const bad = await runCli(
      ['profile', '--email', 'ivan.petrov@nstu.ru', '--format', 'ddm', '--credential-url', 'http://mdm.example.org', '--out', 'bad.zip'],
      {
        cwd: tmp.path,
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/credentialUrl.*https/);
    expect(readdirSync(tmp.path)).not.toContain('bad.zip');
  });
});

describe('bulk --mdm … --format ddm', () => {
  test('Jamf templates: the variables in the credential list, no person, valid, stable across runs', async () => {
    const run = await runCli(['bulk', '--mdm', 'jamf', '--provider', 'nstu', '--type', 'imap', '--format', 'ddm', '--out', 'ddm'], { cwd: tmp.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readdirSync(join(tmp.path, 'ddm')).sort()).toEqual(['jamf-nstu-default-imap-ios.ddm.zip', 'jamf-nstu-default-imap-macos.ddm.zip']);
    const body = readFileSync(join(tmp.path, 'ddm', 'jamf-nstu-default-imap-ios.ddm.zip'));
    const { readme, declarations } = await unzip(body);
    const list = [...declarations.values()];
    expect(validateDeclarations(list, 'iOS')).toEqual([]);
    expect(readme).toContain('user name: $USERNAME@corp.nstu.ru');
    expect([...(await readZipEntries(body)).values()].map((data) => data.toString('utf8')).join('\n')).not.toContain('mdm-template');
    for (const declaration of list) expect(declaration.ServerToken).toBe(serverToken(declaration.Type, declaration.Identifier, declaration.Payload));
    await runCli(['bulk', '--mdm', 'jamf', '--provider', 'nstu', '--type', 'imap', '--format', 'ddm', '--out', 'ddm-again'], { cwd: tmp.path });
    expect(readFileSync(join(tmp.path, 'ddm-again', 'jamf-nstu-default-imap-ios.ddm.zip')).equals(body)).toBe(true);
    const wrong = await runCli(['bulk', '--mdm', 'jamf', '--provider', 'nstu', '--format', 'prf', '--out', 'x'], { cwd: tmp.path });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--format');
  });
});
