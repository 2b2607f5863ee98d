// signerFromConfig as the web app and bulk workers call it: warnings through `log`, fatal
// problems as SIGNING_FAILED, the clock injectable, and the signer describing itself.
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { MailsetupError } from '../../src/errors.js';
import { diagnoseIdentity, loadSigningIdentity, signerFromConfig } from '../../src/signing/index.js';
import { makeTempDir } from '../support/tmp.js';
import { opensslVerify, TestPki } from './pki.js';

const tmp = makeTempDir('mailsetup-signer-config-');
afterAll(() => tmp.remove());
const pki = new TestPki(join(tmp.path, 'pki'));
const chain = pki.chain('Config', 'ec');
const env = {
  MAILSETUP_SIGNING_KEY: chain.leaf.key,
  MAILSETUP_SIGNING_CERT: pki.concat('full.pem', chain.leaf.cert, chain.intermediate.cert, chain.root.cert),
};

it('returns a signer for a good identity, logging nothing', async () => {
  const lines: string[] = [];
  const signer = await signerFromConfig(loadConfig(env), { log: (line) => lines.push(line) });
  expect(lines).toEqual([]);
  expect(signer.description).toMatchObject({
    subject: 'CN=Config Signer, O=mailsetup tests',
    issuer: 'CN=Config Intermediate, O=mailsetup tests',
    development: false,
  });
  expect(opensslVerify(signer.sign(Buffer.from('<plist>ü</plist>')), chain.root.cert, tmp.path).toString('utf8')).toBe('<plist>ü</plist>');
});

it('warns through log when the certificate is about to expire, and refuses once it has', async () => {
  const lines: string[] = [];
  const validTo = (await signerFromConfig(loadConfig(env))).description!.validTo;
  const soon = new Date(validTo.getTime() - 5 * 24 * 3600 * 1000);
  await signerFromConfig(loadConfig(env), { log: (line) => lines.push(line), now: () => soon });
  // The test CA gave the intermediate the same end date, so it is named too.
  expect(lines).toEqual([
    expect.stringMatching(/^the signing certificate expires in [45] day\(s\)/),
    expect.stringMatching(/^the intermediate "CN=Config Intermediate, O=mailsetup tests" expires in [45] day\(s\)/),
  ]);

  const later = new Date(validTo.getTime() + 1000);
  const refused = await signerFromConfig(loadConfig(env), { now: () => later }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(MailsetupError);
  expect((refused as MailsetupError).code).toBe('SIGNING_FAILED');
  expect((refused as MailsetupError).message).toMatch(/the signing certificate expired on/);
});

it('exposes the diagnostics the server prints at start-up', () => {
  const { identity, findings } = loadSigningIdentity(loadConfig(env));
  expect(findings).toEqual(diagnoseIdentity(identity));
  expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
  expect(findings.find((f) => f.code === 'chain')?.message).toBe('chain embedded in profiles: Config Signer → Config Intermediate (root: Config Root)');
});

it('generates the development identity in MAILSETUP_CERTS_DIR and says so', async () => {
  const lines: string[] = [];
  const signer = await signerFromConfig(loadConfig({ MAILSETUP_CERTS_DIR: join(tmp.path, 'certs') }), { log: (line) => lines.push(line) });
  expect(signer.description?.development).toBe(true);
  expect(lines[0]).toMatch(/generated a development signing identity/);
  expect(lines[1]).toMatch(/"Not Verified"/);
  opensslVerify(signer.sign(Buffer.from('x')), join(tmp.path, 'certs', 'development', 'ca.pem'), tmp.path);
});
