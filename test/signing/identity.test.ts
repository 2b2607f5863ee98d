// Signing identities through the command line, as an operator configures them: Let's Encrypt
// style PEM files, a separate chain file, PKCS #12 as OpenSSL 3 writes it, the development
// identity on a fresh checkout; and every broken identity refused with a clear error, a
// non-zero exit and no file.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/tmp.js';
import { openssl, opensslVerify, TestPki, type Issued } from './pki.js';

const tmp = makeTempDir('mailsetup-identity-');
afterAll(() => tmp.remove());
const pki = new TestPki(join(tmp.path, 'pki'));
const work = tmp.path;
let outputs = 0;

/** `mailsetup profile` for a fixed person; returns the result, the output path and its bytes. */
async function profile(env: Record<string, string>, extra: string[] = []) {
  const out = join(work, `out-${++outputs}.mobileconfig`);
  const result = await runCli(['profile', '--email', 'ivan.petrov@nstu.ru', '--name', 'Иван Петров', '--out', out, ...extra], {
    cwd: work,
    env: { MAILSETUP_CERTS_DIR: join(work, 'unused-certs'), ...env },
  });
  return { ...result, out, body: existsSync(out) ? readFileSync(out) : undefined };
}

function unsignedBody(): Promise<Buffer> {
  return runCli(['profile', '--email', 'ivan.petrov@nstu.ru', '--name', 'Иван Петров', '--unsigned', '--out', '-'], { cwd: work }).then((r) => r.stdoutBytes);
}

let rsa: { root: Issued; intermediate: Issued; leaf: Issued };
let ec: { root: Issued; intermediate: Issued; leaf: Issued };
beforeAll(() => {
  rsa = pki.chain('Org RSA', 'rsa');
  ec = pki.chain('Org EC', 'ec');
});

describe('PEM files', () => {
  it.each(['rsa', 'ec'] as const)("signs with a Let's Encrypt style privkey.pem + fullchain.pem (%s)", async (kind) => {
    const { root, intermediate, leaf } = kind === 'rsa' ? rsa : ec;
    const fullchain = pki.concat(`${kind}-fullchain.pem`, leaf.cert, intermediate.cert);
    const result = await profile({ MAILSETUP_SIGNING_KEY: leaf.key, MAILSETUP_SIGNING_CERT: fullchain });
    // The test root is private, so the one warning is that devices must trust it (with a public
    // CA such as Let's Encrypt the root is in the device's store and nothing is printed).
    expect(result.stderr).toMatch(
      new RegExp(
        `^mailsetup: warning: the chain stops at "CN=Org ${kind.toUpperCase()} Intermediate, O=mailsetup tests": its issuer "O=mailsetup tests, CN=Org ${kind.toUpperCase()} Root" is missing[^\\n]*\\n$`,
      ),
    );
    expect(result.code).toBe(0);
    expect(opensslVerify(result.body!, root.cert, work).equals(await unsignedBody())).toBe(true);
  });

  it('signs with certificate and chain in separate files given as flags, in any order', async () => {
    const chain = pki.concat('rsa-chain-reversed.pem', rsa.root.cert, rsa.intermediate.cert);
    const result = await profile({}, ['--signing-key', rsa.leaf.key, '--signing-cert', rsa.leaf.cert, '--signing-chain', chain]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    opensslVerify(result.body!, rsa.root.cert, work);
  });
});

describe('PKCS #12', () => {
  it('reads the AES-256/PBKDF2 file OpenSSL 3 writes by default, with a non-ASCII passphrase', async () => {
    const p12 = pki.p12('default.p12', rsa.leaf, [rsa.intermediate.cert], 'pässwörd ключ');
    const described = p12Info(p12, 'pässwörd ключ');
    expect(described).toMatch(/PBES2, PBKDF2, AES-256-CBC/);
    expect(described).toMatch(/MAC: sha256/);
    const result = await profile({ MAILSETUP_SIGNING_P12: p12, MAILSETUP_SIGNING_P12_PASSWORD: 'pässwörd ключ', MAILSETUP_SIGNING_CHAIN: rsa.root.cert });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(opensslVerify(result.body!, rsa.root.cert, work).equals(await unsignedBody())).toBe(true);
  });

  it('reads an EC file through --signing-p12 and --signing-p12-password-env', async () => {
    const p12 = pki.p12('ec.p12', ec.leaf, [ec.intermediate.cert], 'secret');
    const result = await profile({ P12_PASS: 'secret' }, ['--signing-p12', p12, '--signing-p12-password-env', 'P12_PASS']);
    expect(result.code).toBe(0);
    opensslVerify(result.body!, ec.root.cert, work);
  });

  it('reads an older SHA-1/3DES file', async () => {
    const p12 = pki.p12('legacy.p12', rsa.leaf, [rsa.intermediate.cert], 'old', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']);
    expect(p12Info(p12, 'old')).toMatch(/pbeWithSHA1And3-KeyTripleDES-CBC/);
    const result = await profile({ MAILSETUP_SIGNING_P12: p12, MAILSETUP_SIGNING_P12_PASSWORD: 'old' });
    expect(result.code).toBe(0);
    opensslVerify(result.body!, rsa.root.cert, work);
  });
});

/** What `openssl pkcs12 -info` says about a file's protection (an independent reader; it writes to stderr). */
function p12Info(p12: string, password: string): string {
  const result = spawnSync('openssl', ['pkcs12', '-info', '-in', p12, '-noout', '-passin', 'env:PW'], {
    env: { ...process.env, PW: password },
    encoding: 'utf8',
  });
  return `${result.stdout}${result.stderr}`;
}

describe('an encrypted PEM key with its passphrase (MAILSETUP_SIGNING_KEY_PASSWORD)', () => {
  const passphrase = 'лошадь battery staple ';
  /** The EC signer's key encrypted by openssl: PKCS #8 ("BEGIN ENCRYPTED PRIVATE KEY") or traditional ("Proc-Type: 4,ENCRYPTED"). */
  const encrypted = (form: 'pkcs8' | 'traditional', kind: 'ec' | 'rsa' = 'ec') => {
    const out = pki.path(`encrypted-${form}-${kind}.key`);
    const source = kind === 'ec' ? ec.leaf.key : rsa.leaf.key;
    const command = form === 'pkcs8' ? ['pkey', '-aes256'] : kind === 'ec' ? ['ec', '-aes256'] : ['rsa', '-traditional', '-aes128'];
    openssl([...command, '-in', source, '-passout', 'env:PW', '-out', out], { env: { PW: passphrase } });
    return out;
  };
  const refusedWith = (result: Awaited<ReturnType<typeof profile>>, message: RegExp) => {
    expect(result.stderr).toMatch(/^mailsetup: error: /);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.code).toBe(6);
    expect(existsSync(result.out)).toBe(false);
  };

  it.each([
    ['pkcs8', 'ec'],
    ['traditional', 'ec'],
    ['traditional', 'rsa'],
  ] as const)('signs with a %s-encrypted %s key and the right passphrase', async (form, kind) => {
    const key = encrypted(form, kind);
    expect(readFileSync(key, 'utf8')).toMatch(form === 'pkcs8' ? /BEGIN ENCRYPTED PRIVATE KEY/ : /Proc-Type: 4,ENCRYPTED/);
    const chain = kind === 'ec' ? ec : rsa;
    const result = await profile({
      MAILSETUP_SIGNING_KEY: key,
      MAILSETUP_SIGNING_CERT: pki.concat(`encrypted-${kind}-full.pem`, chain.leaf.cert, chain.intermediate.cert),
      MAILSETUP_SIGNING_KEY_PASSWORD: passphrase,
    });
    expect(result.code).toBe(0);
    expect(opensslVerify(result.body!, chain.root.cert, work).equals(await unsignedBody())).toBe(true);
  });

  it('reads the passphrase from a file (MAILSETUP_SIGNING_KEY_PASSWORD_FILE) or the variable --signing-key-password-env names', async () => {
    const key = encrypted('pkcs8');
    const file = join(work, 'key-passphrase.txt');
    writeFileSync(file, `${passphrase}\n`);
    const full = pki.concat('encrypted-file-full.pem', ec.leaf.cert, ec.intermediate.cert);
    const fromFile = await profile({ MAILSETUP_SIGNING_KEY: key, MAILSETUP_SIGNING_CERT: full, MAILSETUP_SIGNING_KEY_PASSWORD_FILE: file });
    expect(fromFile.code).toBe(0);
    opensslVerify(fromFile.body!, ec.root.cert, work);
    const fromFlag = await profile({ SECRET_PHRASE: passphrase }, [
      '--signing-key',
      key,
      '--signing-cert',
      full,
      '--signing-key-password-env',
      'SECRET_PHRASE',
    ]);
    expect(fromFlag.code).toBe(0);
    opensslVerify(fromFlag.body!, ec.root.cert, work);
  });

  it('a wrong passphrase, and none at all, is a signing error naming the passphrase setting', async () => {
    const key = encrypted('pkcs8');
    const cert = ec.leaf.cert;
    refusedWith(
      await profile({ MAILSETUP_SIGNING_KEY: key, MAILSETUP_SIGNING_CERT: cert, MAILSETUP_SIGNING_KEY_PASSWORD: 'wrong' }),
      /MAILSETUP_SIGNING_KEY_PASSWORD: MAILSETUP_SIGNING_KEY: .*encrypted-pkcs8-ec\.key: the passphrase is wrong/,
    );
    refusedWith(
      await profile({ MAILSETUP_SIGNING_KEY: encrypted('traditional'), MAILSETUP_SIGNING_CERT: cert, MAILSETUP_SIGNING_KEY_PASSWORD: 'wrong' }),
      /MAILSETUP_SIGNING_KEY_PASSWORD: .*the passphrase is wrong/,
    );
    refusedWith(
      await profile({ MAILSETUP_SIGNING_KEY: key, MAILSETUP_SIGNING_CERT: cert }),
      /the private key in .* is encrypted: set MAILSETUP_SIGNING_KEY_PASSWORD to its passphrase/,
    );
    const wrongFile = join(work, 'wrong-passphrase.txt');
    writeFileSync(wrongFile, 'wrong\n');
    refusedWith(
      await profile({ MAILSETUP_SIGNING_KEY: key, MAILSETUP_SIGNING_CERT: cert, MAILSETUP_SIGNING_KEY_PASSWORD_FILE: wrongFile }),
      /MAILSETUP_SIGNING_KEY_PASSWORD_FILE: .*the passphrase is wrong/,
    );
    refusedWith(
      await profile({ MAILSETUP_SIGNING_KEY: key, MAILSETUP_SIGNING_CERT: cert, MAILSETUP_SIGNING_KEY_PASSWORD_FILE: join(work, 'no-such-passphrase') }),
      /MAILSETUP_SIGNING_KEY_PASSWORD_FILE: the passphrase file .*no-such-passphrase does not exist/,
    );
    const both = await profile({
      MAILSETUP_SIGNING_KEY: key,
      MAILSETUP_SIGNING_CERT: cert,
      MAILSETUP_SIGNING_KEY_PASSWORD: 'x',
      MAILSETUP_SIGNING_KEY_PASSWORD_FILE: wrongFile,
    });
    expect(both.code).toBe(5);
    expect(both.stderr).toMatch(/MAILSETUP_SIGNING_KEY_PASSWORD: set it or MAILSETUP_SIGNING_KEY_PASSWORD_FILE, not both/);
  });
});

describe('an identity that cannot sign is refused: clear error, exit 6, no file', () => {
  const expectRefused = (result: Awaited<ReturnType<typeof profile>>, message: RegExp) => {
    expect(result.stderr).toMatch(/^mailsetup: error: /);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.code).toBe(6);
    expect(result.stdout).toBe('');
    expect(existsSync(result.out)).toBe(false);
  };

  it('an expired certificate', async () => {
    const expired = pki.issue('Expired Signer', 'rsa', rsa.intermediate, {
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    });
    expectRefused(
      await profile({ MAILSETUP_SIGNING_KEY: expired.key, MAILSETUP_SIGNING_CERT: pki.concat('expired-full.pem', expired.cert, rsa.intermediate.cert) }),
      /expired on 2021-01-01/,
    );
  });

  it('a key that does not belong to the certificate', async () => {
    expectRefused(
      await profile({ MAILSETUP_SIGNING_KEY: ec.leaf.key, MAILSETUP_SIGNING_CERT: rsa.leaf.cert }),
      /private key does not belong to the certificate "CN=Org RSA Signer/,
    );
  });

  it('a wrong PKCS #12 passphrase, and none at all', async () => {
    const p12 = pki.p12('wrong.p12', rsa.leaf, [rsa.intermediate.cert], 'right');
    expectRefused(
      await profile({ MAILSETUP_SIGNING_P12: p12, MAILSETUP_SIGNING_P12_PASSWORD: 'wrong' }),
      /MAILSETUP_SIGNING_P12: .*wrong\.p12: the passphrase is wrong/,
    );
    expectRefused(await profile({ MAILSETUP_SIGNING_P12: p12 }), /the passphrase is wrong .*no passphrase was given: set MAILSETUP_SIGNING_P12_PASSWORD/);
  });

  it('a PKCS #12 file with the legacy RC2 encryption', async () => {
    const p12 = pki.p12('rc2.p12', rsa.leaf, [], 'x', ['-legacy']);
    expectRefused(await profile({ MAILSETUP_SIGNING_P12: p12, MAILSETUP_SIGNING_P12_PASSWORD: 'x' }), /legacy RC2 encryption; export it again/);
  });

  it.each([
    [
      'key',
      (dir: string) => ({ MAILSETUP_SIGNING_KEY: join(dir, 'nope.key'), MAILSETUP_SIGNING_CERT: rsa.leaf.cert }),
      /MAILSETUP_SIGNING_KEY: the private key file .*nope\.key does not exist/,
    ],
    [
      'certificate',
      (dir: string) => ({ MAILSETUP_SIGNING_KEY: rsa.leaf.key, MAILSETUP_SIGNING_CERT: join(dir, 'nope.pem') }),
      /MAILSETUP_SIGNING_CERT: the certificate file .*nope\.pem does not exist/,
    ],
    [
      'chain',
      (dir: string) => ({ MAILSETUP_SIGNING_KEY: rsa.leaf.key, MAILSETUP_SIGNING_CERT: rsa.leaf.cert, MAILSETUP_SIGNING_CHAIN: join(dir, 'nope-chain.pem') }),
      /MAILSETUP_SIGNING_CHAIN: the chain file .*does not exist/,
    ],
    [
      'PKCS #12',
      (dir: string) => ({ MAILSETUP_SIGNING_P12: join(dir, 'nope.p12'), MAILSETUP_SIGNING_P12_PASSWORD: 'x' }),
      /MAILSETUP_SIGNING_P12: the PKCS #12 file .*does not exist/,
    ],
  ])('a missing %s file', async (_what, env, message) => {
    expectRefused(await profile(env(work)), message);
  });

  it('a missing file named by a flag is reported under the flag', async () => {
    expectRefused(
      await profile({}, ['--signing-key', 'missing.key', '--signing-cert', rsa.leaf.cert]),
      /--signing-key: the private key file .*missing\.key does not exist/,
    );
  });

  it('a key without its certificate', async () => {
    expectRefused(await profile({ MAILSETUP_SIGNING_KEY: rsa.leaf.key }), /MAILSETUP_SIGNING_CERT/);
  });
});

describe('an identity that can sign but has a flaw: the profile is written, with a warning', () => {
  const expectWarned = (result: Awaited<ReturnType<typeof profile>>, warning: RegExp, root: string) => {
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^mailsetup: warning: /);
    expect(result.stderr).toMatch(warning);
    opensslVerify(result.body!, root, work);
  };

  it('expiring within 30 days', async () => {
    const soon = pki.issue('Soon Signer', 'ec', ec.intermediate, { notAfter: new Date(Date.now() + 10 * 24 * 3600 * 1000) });
    expectWarned(
      await profile({ MAILSETUP_SIGNING_KEY: soon.key, MAILSETUP_SIGNING_CERT: pki.concat('soon-full.pem', soon.cert, ec.intermediate.cert) }),
      /the signing certificate expires in (9|10) day\(s\)/,
      ec.root.cert,
    );
  });

  it('a missing intermediate, naming the missing issuer', async () => {
    const result = await profile({ MAILSETUP_SIGNING_KEY: rsa.leaf.key, MAILSETUP_SIGNING_CERT: rsa.leaf.cert });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /the chain stops at "CN=Org RSA Signer, O=mailsetup tests": its issuer "CN=Org RSA Intermediate, O=mailsetup tests" is missing/,
    );
  });

  it('SHA-1 in the chain', async () => {
    const weak = pki.chain('Weak', 'rsa', { intermediateMd: 'sha1' });
    expectWarned(
      await profile({ MAILSETUP_SIGNING_KEY: weak.leaf.key, MAILSETUP_SIGNING_CERT: pki.concat('weak-full.pem', weak.leaf.cert, weak.intermediate.cert) }),
      /"CN=Weak Intermediate, O=mailsetup tests" is signed with sha1WithRSAEncryption/,
      weak.root.cert,
    );
  });

  it('a key usage without digitalSignature', async () => {
    const encipher = pki.issue('Encipher Signer', 'rsa', rsa.intermediate, { extensions: 'signer_no_digital_signature' });
    expectWarned(
      await profile({ MAILSETUP_SIGNING_KEY: encipher.key, MAILSETUP_SIGNING_CERT: pki.concat('encipher-full.pem', encipher.cert, rsa.intermediate.cert) }),
      /key usage \(keyEncipherment\) does not include digitalSignature/,
      rsa.root.cert,
    );
  });

  it('`mailsetup identity --json` lists the same findings with stable codes', async () => {
    const result = await runCli(['identity', '--json', '--signing-key', rsa.leaf.key, '--signing-cert', rsa.leaf.cert], { cwd: work });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; findings: { severity: string; code: string }[] };
    expect(report.ok).toBe(true);
    expect(report.findings.filter((f) => f.severity === 'warning').map((f) => f.code)).toEqual(['chain-incomplete']);
    const broken = await runCli(['identity', '--signing-key', ec.leaf.key, '--signing-cert', rsa.leaf.cert], { cwd: work });
    expect(broken.code).toBe(6);
    expect(broken.stdout).toMatch(/^error: the private key does not belong/m);
    expect(broken.stdout).toMatch(/result: this identity cannot sign profiles/);
  });
});

describe('a fresh checkout with no identity configured', () => {
  it('generates the development identity, signs with it and says devices will show "Not Verified"', async () => {
    const certs = join(work, 'fresh-certs');
    const first = await profile({ MAILSETUP_CERTS_DIR: certs });
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/generated a development signing identity; its CA certificate is .*fresh-certs\/development\/ca\.pem/);
    expect(first.stderr).toMatch(/devices show them as "Not Verified"/);
    const ca = join(certs, 'development', 'ca.pem');
    expect(opensslVerify(first.body!, ca, work).equals(await unsignedBody())).toBe(true);
    // The CA's private key is not kept; the signing key is readable by its owner only.
    expect(readdirSync(join(certs, 'development')).sort()).toEqual(['ca.pem', 'signing-cert.pem', 'signing-key.pem']);
    expect((await import('node:fs')).statSync(join(certs, 'development', 'signing-key.pem')).mode & 0o077).toBe(0);

    const caBefore = readFileSync(ca, 'utf8');
    const second = await profile({ MAILSETUP_CERTS_DIR: certs });
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/generated/);
    expect(second.stderr).toMatch(/"Not Verified"/);
    expect(readFileSync(ca, 'utf8')).toBe(caBefore);
    opensslVerify(second.body!, ca, work);
  });

  it('does not race when several processes create it at once', async () => {
    const certs = join(work, 'race-certs');
    const dist = fileURLToPath(new URL('../../dist/signing/index.js', import.meta.url));
    const script = `import { signerFromConfig } from ${JSON.stringify(dist)}; import { loadConfig } from ${JSON.stringify(dist.replace('signing/index.js', 'config.js'))};
      const signer = await signerFromConfig(loadConfig({ MAILSETUP_CERTS_DIR: ${JSON.stringify(certs)} }));
      process.stdout.write(signer.description.fingerprint256 + ' ' + signer.sign(Buffer.from('x')).length);`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    const fingerprints = new Set(results.map((r) => r.split(' ')[0]));
    expect(fingerprints.size).toBe(1);
    expect(readdirSync(certs)).toEqual(['development']);
  });
});

describe('mailsetup inspect', () => {
  let signedPath: string;
  beforeAll(async () => {
    const result = await profile({
      MAILSETUP_SIGNING_KEY: rsa.leaf.key,
      MAILSETUP_SIGNING_CERT: pki.concat('inspect-full.pem', rsa.leaf.cert, rsa.intermediate.cert),
    });
    signedPath = result.out;
  });

  it('reports our signed profile: signer, chain, validity, schema and what it installs', async () => {
    const result = await runCli(['inspect', signedPath], { cwd: work });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^signed: yes, signature valid \(sha256, signed \d{4}-/m);
    expect(result.stdout).toMatch(/^signer: CN=Org RSA Signer, O=mailsetup tests$/m);
    expect(result.stdout).toMatch(/^ {2}issuer: CN=Org RSA Intermediate, O=mailsetup tests$/m);
    expect(result.stdout).toMatch(/^ {2}1: CN=Org RSA Intermediate, O=mailsetup tests {2}\[RSA 2048, .*, valid\]$/m);
    expect(result.stdout).toMatch(/^root: O=mailsetup tests, CN=Org RSA Root \(not included, not publicly trusted\)$/m);
    expect(result.stdout).toMatch(/^devices will show: Not Verified/m);
    expect(result.stdout).toMatch(/^Apple schema \(iOS\): passes$/m);
    expect(result.stdout).toMatch(/imap account ivan\.petrov@nstu\.ru for Иван Петров/);
    expect(result.stdout).toMatch(/imap mail2\.nstu\.ru:993, TLS, login ivan\.petrov@corp\.nstu\.ru, EmailAuthPassword, password not embedded/);
    expect(result.stdout).toMatch(/smtp mail2\.nstu\.ru:587, TLS/);
    expect(result.stdout).toMatch(/^passwords embedded: no$/m);
  });

  it('reports an unsigned profile with an embedded password without printing the password', async () => {
    const out = join(work, 'with-password.mobileconfig');
    await runCli(['profile', '--email', 'a@mail.ru', '--unsigned', '--password-stdin', '--out', out], { cwd: work, stdin: 'Sup3r-Secret!\n' });
    const result = await runCli(['inspect', out, '--json'], { cwd: work });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('Sup3r-Secret!');
    const report = JSON.parse(result.stdout) as {
      signed: boolean;
      passwordsEmbedded: boolean;
      installs: { account: { servers: { host: string; port: number; passwordEmbedded: boolean }[] } }[];
    };
    expect(report.signed).toBe(false);
    expect(report.passwordsEmbedded).toBe(true);
    expect(report.installs[0]!.account.servers.map((s) => [s.host, s.port, s.passwordEmbedded])).toEqual([
      ['imap.mail.ru', 993, true],
      ['smtp.mail.ru', 465, true],
    ]);
    const text = await runCli(['inspect', out], { cwd: work });
    expect(text.stdout).toMatch(/^signed: no/m);
    expect(text.stdout).not.toContain('Sup3r-Secret!');
  });

  it('reads a profile signed by openssl, and catches one changed after signing', async () => {
    const plist = join(work, 'plain.plist');
    writeFileSync(plist, await unsignedBody());
    const byOpenssl = join(work, 'openssl-signed.mobileconfig');
    openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-md',
      'sha256',
      '-signer',
      ec.leaf.cert,
      '-inkey',
      ec.leaf.key,
      '-certfile',
      ec.intermediate.cert,
      '-outform',
      'DER',
      '-in',
      plist,
      '-out',
      byOpenssl,
    ]);
    const good = await runCli(['inspect', byOpenssl], { cwd: work });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^signer: CN=Org EC Signer, O=mailsetup tests$/m);
    // Streaming signers write BER with indefinite lengths; that is read too.
    const streamed = join(work, 'openssl-streamed.mobileconfig');
    openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-stream',
      '-md',
      'sha256',
      '-signer',
      rsa.leaf.cert,
      '-inkey',
      rsa.leaf.key,
      '-outform',
      'DER',
      '-in',
      plist,
      '-out',
      streamed,
    ]);
    expect(readFileSync(streamed).subarray(0, 2)).toEqual(Buffer.from([0x30, 0x80]));
    const stream = await runCli(['inspect', streamed], { cwd: work });
    expect(stream.code).toBe(0);
    expect(stream.stdout).toMatch(/^signed: yes, signature valid/m);

    const tampered = readFileSync(byOpenssl);
    const at = tampered.indexOf(Buffer.from('mail2.nstu.ru'));
    tampered[at] = 'X'.charCodeAt(0);
    const tamperedPath = join(work, 'tampered.mobileconfig');
    writeFileSync(tamperedPath, tampered);
    const bad = await runCli(['inspect', tamperedPath], { cwd: work });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/SIGNATURE INVALID/);
    expect(bad.stdout).toMatch(/problem: the profile was changed after signing/);
  });

  it('refuses a file it cannot read, and a file that is not a profile', async () => {
    const missing = await runCli(['inspect', 'nope.mobileconfig'], { cwd: work });
    expect(missing.code).toBe(7);
    expect(missing.stderr).toMatch(/nope\.mobileconfig cannot be read/);
    writeFileSync(join(work, 'junk.mobileconfig'), 'hello');
    const junk = await runCli(['inspect', 'junk.mobileconfig'], { cwd: work });
    expect(junk.code).toBe(2);
    expect(junk.stdout).toMatch(/not a readable XML property list/);
  });
});
