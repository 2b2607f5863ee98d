// Managed app configurations for Gmail, Outlook and Samsung Email: the vendors' documented keys
// with the model's values (JSON read back with JSON.parse, the iOS plist with Python's plistlib),
// nothing for IMAP and POP but a README with the settings links, and MDM variables in templates.
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { FORMATS } from '../../src/formats/registry.js';
import { formatContext, parseGenerateRequest } from '../../src/service/generate.js';
import { resolveAccount } from '../../src/service/resolve.js';
import { runCli } from '../support/cli.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { readZipEntries } from '../support/zip.js';
import { catalog, fixture } from './outlook-fixtures.js';

const tmp = makeTempDir('mailsetup-managed-apps-');
afterAll(() => tmp.remove());

const OUTLOOK_KEYS = ['EmailAccountName', 'EmailAddress', 'EmailUPN', 'ServerAuthentication', 'ServerHostName', 'AccountType'].map(
  (key) => `com.microsoft.outlook.EmailProfile.${key}`,
);

describe('--format managed-apps', () => {
  it('Exchange: Gmail and Outlook get their documented keys with the account values; Samsung Email by its field titles', async () => {
    const boss = fixture({ email: 'boss@corp.example', provider: 'rackcorp', variant: 'mn', type: 'exchange', format: 'managed-apps', password: 'secret-pw' });
    const entries = await readZipEntries(FORMATS['managed-apps'].build(boss.account, boss.context));
    expect([...entries.keys()]).toEqual(['README.txt', 'android/gmail.json', 'android/outlook.json', 'ios/outlook.plist']);
    const exchange = boss.account.exchange!;
    expect(JSON.parse(entries.get('android/gmail.json')!.toString())).toEqual({ email_address: 'boss@corp.example', exchange_host: `${exchange.host}:443` });
    const outlook = JSON.parse(entries.get('android/outlook.json')!.toString()) as Record<string, string>;
    expect(Object.keys(outlook)).toEqual(OUTLOOK_KEYS);
    expect(outlook).toMatchObject({
      'com.microsoft.outlook.EmailProfile.EmailAddress': 'boss@corp.example',
      'com.microsoft.outlook.EmailProfile.EmailUPN': exchange.username,
      'com.microsoft.outlook.EmailProfile.ServerHostName': exchange.host,
      'com.microsoft.outlook.EmailProfile.ServerAuthentication': 'Username and Password',
      'com.microsoft.outlook.EmailProfile.AccountType': 'BasicAuth',
    });
    expect(plistlibParse(entries.get('ios/outlook.plist')!)).toEqual(outlook);
    const readme = entries.get('README.txt')!.toString();
    expect(readme).toContain(`Exchange server name: ${exchange.host}:443`);
    expect(readme).toContain('User name: boss@corp.example');
    const everything = [...entries.values()].map((data) => data.toString()).join('\n');
    expect(everything).not.toContain('secret-pw');
  });

  it('IMAP: no app takes a managed configuration; the README says so and links the settings page and the setup page', async () => {
    const request = parseGenerateRequest({ email: 'ivan.petrov@nstu.ru', format: 'managed-apps', language: 'ru' });
    const resolved = resolveAccount(request, catalog);
    const context = formatContext(resolved, request, loadConfig({ MAILSETUP_PUBLIC_HOST: 'mail.example.org' }));
    const entries = await readZipEntries(FORMATS['managed-apps'].build(resolved.account, context));
    expect([...entries.keys()]).toEqual(['README.txt']);
    const readme = entries.get('README.txt')!.toString();
    expect(readme).toContain('только для Exchange');
    expect(readme).toContain('https://mail.example.org/settings/nstu/default?email=ivan.petrov%40nstu.ru');
    expect(readme).toContain('https://mail.example.org/setup?email=ivan.petrov%40nstu.ru');
  });

  it('bulk --mdm intune --format managed-apps: Intune tokens in the app keys', async () => {
    const run = await runCli(
      [
        'bulk',
        '--mdm',
        'intune',
        '--provider',
        'rackcorp',
        '--variant',
        'mn',
        '--type',
        'exchange',
        '--device',
        'ios',
        '--format',
        'managed-apps',
        '--out',
        'apps',
      ],
      {
        cwd: tmp.path,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readdirSync(join(tmp.path, 'apps'))).toEqual(['intune-rackcorp-mn-exchange-ios.apps.zip']);
    const entries = await readZipEntries(readFileSync(join(tmp.path, 'apps', 'intune-rackcorp-mn-exchange-ios.apps.zip')));
    expect(JSON.parse(entries.get('android/gmail.json')!.toString())).toEqual({ email_address: '{{mail}}', exchange_host: 'mail.ex1.rackcorp.com:443' });
    const outlook = plistlibParse(entries.get('ios/outlook.plist')!) as Record<string, string>;
    expect(outlook['com.microsoft.outlook.EmailProfile.EmailAddress']).toBe('{{mail}}');
    expect(outlook['com.microsoft.outlook.EmailProfile.EmailUPN']).toBe('{{mail}}');
    expect([...entries.values()].map((data) => data.toString()).join('\n')).not.toContain('mdm-template');
  });
});
