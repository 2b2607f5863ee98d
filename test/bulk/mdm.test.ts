// MDM template profiles: the MDM's user variables in place of per-person values, no signature,
// identifiers that stay the same from run to run, and valid against Apple's schema.
import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateProfileXml } from '../../src/formats/apple-schema-xml.js';
import { runCli } from '../support/cli.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { readZipEntries } from '../support/zip.js';

const tmp = makeTempDir('mailsetup-mdm-');
afterAll(() => tmp.remove());

type Profile = { PayloadIdentifier: string; PayloadUUID: string; TargetDeviceType?: number; PayloadContent: Record<string, unknown>[] };

function load(dir: string, name: string): { xml: Buffer; profile: Profile } {
  const xml = readFileSync(join(tmp.path, dir, name));
  return { xml, profile: plistlibParse(xml) as Profile };
}

describe('bulk --mdm', () => {
  it('writes Jamf Pro templates with $EMAIL, $USERNAME and $FULLNAME, unsigned and schema-valid', async () => {
    const run = await runCli(['bulk', '--mdm', 'jamf', '--provider', 'nstu', '--out', 'jamf'], { cwd: tmp.path });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const files = readdirSync(join(tmp.path, 'jamf')).sort();
    expect(files).toEqual([
      'jamf-nstu-default-imap-ios.mobileconfig',
      'jamf-nstu-default-imap-macos.mobileconfig',
      'jamf-nstu-default-pop-ios.mobileconfig',
      'jamf-nstu-default-pop-macos.mobileconfig',
    ]);
    const { xml, profile } = load('jamf', 'jamf-nstu-default-imap-ios.mobileconfig');
    expect(xml.subarray(0, 5).toString()).toBe('<?xml'); // plain XML, no CMS envelope
    const mail = profile.PayloadContent[0]!;
    expect(mail).toMatchObject({
      EmailAddress: '$EMAIL',
      EmailAccountName: '$FULLNAME',
      IncomingMailServerUsername: '$USERNAME@corp.nstu.ru',
      OutgoingMailServerUsername: '$USERNAME@corp.nstu.ru',
      IncomingMailServerHostName: 'mail2.nstu.ru',
    });
    expect(profile.TargetDeviceType).toBeUndefined();
    expect(xml.toString()).not.toContain('mdm-template');
    expect(validateProfileXml(xml, 'iOS')).toEqual([]);
    expect(validateProfileXml(readFileSync(join(tmp.path, 'jamf', 'jamf-nstu-default-imap-macos.mobileconfig')), 'macOS')).toEqual([]);
  });

  it('keeps identifiers stable across runs and distinct per template', async () => {
    await runCli(['bulk', '--mdm', 'jamf', '--provider', 'nstu', '--out', 'again.zip'], { cwd: tmp.path });
    const zip = await readZipEntries(join(tmp.path, 'again.zip'));
    const first = load('jamf', 'jamf-nstu-default-imap-ios.mobileconfig').profile;
    const second = plistlibParse(zip.get('jamf-nstu-default-imap-ios.mobileconfig')!) as Profile;
    expect(second.PayloadIdentifier).toBe(first.PayloadIdentifier);
    expect(second.PayloadUUID).toBe(first.PayloadUUID);
    expect(second.PayloadContent[0]!.PayloadUUID).toBe(first.PayloadContent[0]!.PayloadUUID);
    expect(first.PayloadIdentifier).toBe('local.mailsetup.mdm.nstu.default.imap.ios');
    const uuids = [...zip.values()].map((body) => (plistlibParse(body) as Profile).PayloadUUID);
    expect(new Set(uuids).size).toBe(zip.size);
    // The same template for another MDM keeps the identity, so switching MDM replaces the profile.
    await runCli(['bulk', '--mdm', 'intune', '--provider', 'nstu', '--type', 'imap', '--device', 'ios', '--out', 'intune'], { cwd: tmp.path });
    const intune = load('intune', 'intune-nstu-default-imap-ios.mobileconfig').profile;
    expect(intune.PayloadUUID).toBe(first.PayloadUUID);
  });

  // Intune's token list (app-configuration-policies-use-ios, which custom-settings-ios points to):
  // {{username}} is the person's display name ("John Doe") and {{partialupn}} the UPN before @.
  it('writes Intune templates with {{mail}}, {{partialupn}} in logins and {{username}} as the sender name', () => {
    const { xml, profile } = load('intune', 'intune-nstu-default-imap-ios.mobileconfig');
    expect(readdirSync(join(tmp.path, 'intune'))).toEqual(['intune-nstu-default-imap-ios.mobileconfig']);
    expect(profile.PayloadContent[0]).toMatchObject({
      EmailAddress: '{{mail}}',
      EmailAccountName: '{{username}}',
      IncomingMailServerUsername: '{{partialupn}}@corp.nstu.ru',
      OutgoingMailServerUsername: '{{partialupn}}@corp.nstu.ru',
    });
    expect(xml.toString()).not.toContain('{{username}}@');
    expect(validateProfileXml(xml, 'iOS')).toEqual([]);
  });

  // Under MDM, iOS ignores OutgoingPasswordSameAsIncomingPassword and requires the ActiveSync UserName.
  it('never relies on OutgoingPasswordSameAsIncomingPassword; every server and the ActiveSync payload name their user', async () => {
    for (const mdm of ['jamf', 'intune', 'generic']) {
      const run = await runCli(['bulk', '--mdm', mdm, '--provider', 'rackcorp', '--variant', 'mn', '--device', 'ios', '--out', `mdm-${mdm}`], {
        cwd: tmp.path,
      });
      expect(run.code).toBe(0);
      const names = readdirSync(join(tmp.path, `mdm-${mdm}`)).sort();
      expect(names).toEqual([
        `${mdm}-rackcorp-mn-exchange-ios.mobileconfig`,
        `${mdm}-rackcorp-mn-imap-ios.mobileconfig`,
        `${mdm}-rackcorp-mn-pop-ios.mobileconfig`,
      ]);
      const email = { jamf: '$EMAIL', intune: '{{mail}}', generic: '%EMAILADDRESS%' }[mdm];
      for (const name of names) {
        const { xml, profile } = load(`mdm-${mdm}`, name);
        const payload = profile.PayloadContent[0]!;
        expect(payload).not.toHaveProperty('OutgoingPasswordSameAsIncomingPassword');
        if (payload.PayloadType === 'com.apple.eas.account') expect(payload.UserName).toBe(email);
        else expect(payload).toMatchObject({ IncomingMailServerUsername: email, OutgoingMailServerUsername: email });
        expect(validateProfileXml(xml, 'iOS')).toEqual([]);
      }
    }
  });

  it('takes the templates a staff list needs, Exchange included, with generic placeholders', async () => {
    writeFileSync(
      join(tmp.path, 'mdm-staff.csv'),
      'email,provider,variant,type,device\r\nboss@corp.example,rackcorp,mn,exchange,ios\r\nann@mail.ru,,,,\r\nbad,,,,\r\nbob@mail.ru,,,,\r\n',
    );
    const run = await runCli(['bulk', 'mdm-staff.csv', '--mdm', 'generic', '--out', 'generic'], { cwd: tmp.path });
    expect(run.code).toBe(10);
    expect(run.stderr).toContain('line 4: email: "bad" is not an email address');
    expect(readdirSync(join(tmp.path, 'generic')).sort()).toEqual([
      'generic-mailru-default-imap-ios.mobileconfig',
      'generic-rackcorp-mn-exchange-ios.mobileconfig',
    ]);
    const eas = load('generic', 'generic-rackcorp-mn-exchange-ios.mobileconfig');
    expect(eas.profile.PayloadContent[0]).toMatchObject({
      PayloadType: 'com.apple.eas.account',
      EmailAddress: '%EMAILADDRESS%',
      UserName: '%EMAILADDRESS%',
      Host: 'mail.ex1.rackcorp.com',
    });
    expect(validateProfileXml(eas.xml, 'iOS')).toEqual([]);
  });

  it('asks for --domain when the login contains the mail domain and the provider lists none', async () => {
    writeFileSync(
      join(tmp.path, 'hosting.yaml'),
      [
        'id: hosting',
        'name: Example Hosting',
        'anyDomain: true',
        'login: "%EMAILLOCALPART%+%EMAILDOMAIN%"',
        'servers:',
        '  - { protocol: imap, host: imap.hosting.example, port: 993, socket: SSL }',
        '  - { protocol: smtp, host: smtp.hosting.example, port: 465, socket: SSL }',
      ].join('\n'),
    );
    const base = ['bulk', '--mdm', 'jamf', '--providers', 'hosting.yaml', '--provider', 'hosting', '--device', 'ios'];
    const missing = await runCli([...base, '--out', 'no-domain'], { cwd: tmp.path });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('give it with --domain');
    expect(readdirSync(tmp.path)).not.toContain('no-domain');
    const given = await runCli([...base, '--domain', 'customer.example', '--out', 'with-domain'], { cwd: tmp.path });
    expect(given.code).toBe(0);
    const { profile } = load('with-domain', 'jamf-hosting-default-imap-ios.mobileconfig');
    expect(profile.PayloadContent[0]).toMatchObject({ EmailAddress: '$EMAIL', IncomingMailServerUsername: '$USERNAME+customer.example' });
  });

  it('rejects an unknown MDM by name', async () => {
    const run = await runCli(['bulk', '--mdm', 'airwatch', '--out', 'x'], { cwd: tmp.path });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--mdm: "airwatch" is not one of jamf, intune, generic');
  });
});
