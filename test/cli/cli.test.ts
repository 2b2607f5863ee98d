import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';

let dir: ReturnType<typeof makeTempDir>;
beforeEach(() => (dir = makeTempDir()));
afterEach(() => dir.remove());

const run = (argv: string[], env: Record<string, string> = {}, stdin?: string) =>
  runCli(argv, { cwd: dir.path, env, ...(stdin === undefined ? {} : { stdin }) });

describe('mailsetup profile', () => {
  it('writes an unsigned profile that plistlib reads back with the NSTU settings', async () => {
    const result = await run(['profile', '--email', 'ivan.petrov@nstu.ru', '--name', 'Иван Петров', '--unsigned', '--out', 'ivan.mobileconfig']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const profile = plistlibParse(readFileSync(join(dir.path, 'ivan.mobileconfig'))) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({
      EmailAccountName: 'Иван Петров',
      IncomingMailServerHostName: 'mail2.nstu.ru',
      IncomingMailServerUsername: 'ivan.petrov@corp.nstu.ru',
      OutgoingMailServerPortNumber: 587,
    });
  });

  it('names the file after the address when --out is not given', async () => {
    const result = await run(['profile', '--email', 'åsa.öberg@mail.ru', '--unsigned']);
    expect(result.code).toBe(0);
    expect(readdirSync(dir.path)).toEqual(['åsa.öberg@mail.ru.mobileconfig']);
  });

  it('writes to standard output with --out -', async () => {
    const result = await run(['profile', '--email', 'a@mail.ru', '--unsigned', '--out', '-']);
    expect(result.code).toBe(0);
    expect(result.stdoutBytes.toString('utf8')).toContain('<string>imap.mail.ru</string>');
  });

  it('embeds a password only from standard input, with a warning', async () => {
    const result = await run(['profile', '--email', 'a@mail.ru', '--unsigned', '--password-stdin', '--out', 'p.mobileconfig'], {}, 's3cret\n');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/password is embedded/i);
    const profile = plistlibParse(readFileSync(join(dir.path, 'p.mobileconfig'))) as { PayloadContent: Record<string, unknown>[] };
    expect(profile.PayloadContent[0]).toMatchObject({ IncomingPassword: 's3cret', OutgoingPassword: 's3cret' });
    expect(result.stderr).not.toContain('s3cret');
  });

  it('refuses embedding when the operator forbids it', async () => {
    const result = await run(
      ['profile', '--email', 'a@mail.ru', '--unsigned', '--password-stdin', '--out', 'p.mobileconfig'],
      { MAILSETUP_ALLOW_PASSWORD: 'false' },
      'x',
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/password/);
    expect(existsSync(join(dir.path, 'p.mobileconfig'))).toBe(false);
  });

  it.each([
    [['--email', 'not-an-address'], 'email', 2],
    [['--email', 'a@nstu.ru', '--type', 'carrier-pigeon'], 'type', 2],
    [['--email', 'a@nstu.ru', '--device', 'toaster'], 'device', 2],
    [['--email', 'a@nstu.ru', '--format', 'docx'], 'format', 2],
    [['--email', 'a@nstu.ru', '--name', 'Bad\u0000Name'], 'name', 2],
    [['--email', 'a@nowhere.example'], 'email', 3],
    [['--email', 'a@nstu.ru', '--provider', 'nope'], 'provider', 3],
    [['--email', 'a@x.example', '--provider', 'rackcorp', '--variant', 'mars'], 'variant', 3],
    [['--email', 'a@nstu.ru', '--type', 'exchange'], 'type', 4],
    [
      ['--email', 'a@x.example', '--incoming-host', 'imap.x.example', '--incoming-port', '99999', '--outgoing-host', 'smtp.x.example'],
      'manual.incoming.port',
      2,
    ],
    [['--emial', 'a@nstu.ru'], 'emial', 64],
  ])('bad input %j: names %s on stderr, exits %d, writes no file', async (args, field, code) => {
    const result = await run(['profile', ...args, '--unsigned', '--out', 'x.mobileconfig']);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(/^mailsetup: error: /);
    expect(result.stderr).toContain(field);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('loads an organisation provider file and a default provider from the environment', async () => {
    writeFileSync(
      join(dir.path, 'org.yaml'),
      'id: exampleu\nname: Example University\ndomains: [example.edu]\nlogin: "%EMAILLOCALPART%"\nservers:\n  - { protocol: imap, host: imap.example.edu, port: 993, socket: SSL }\n  - { protocol: smtp, host: smtp.example.edu, port: 465, socket: SSL }\n',
    );
    const own = await run(['profile', '--email', 'kim@example.edu', '--unsigned', '--out', '-'], { MAILSETUP_PROVIDERS: 'org.yaml' });
    expect(own.code).toBe(0);
    expect(own.stdoutBytes.toString()).toContain('<string>imap.example.edu</string>');
    const fallback = await run(['profile', '--email', 'kim@unlisted.example', '--unsigned', '--out', '-'], { MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' });
    expect(fallback.code).toBe(0);
    expect(fallback.stdoutBytes.toString()).toContain('<string>mail.rackcorp.com</string>');
  });

  it('reports an invalid provider file with its path, field and rule', async () => {
    writeFileSync(
      join(dir.path, 'broken.yaml'),
      'id: broken\nname: Broken\nservers:\n  - { protocol: imap, host: imap.example.edu, port: 99999, socket: SSL }\n',
    );
    const result = await run(['profile', '--email', 'a@nstu.ru', '--unsigned', '--providers', 'broken.yaml', '--out', 'x.mobileconfig']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('broken.yaml');
    expect(result.stderr).toContain('servers.0.port');
    expect(existsSync(join(dir.path, 'x.mobileconfig'))).toBe(false);
  });

  it('reports an input error before it loads the signing identity', async () => {
    const signing = ['--signing-key', 'missing.pem', '--signing-cert', 'missing.pem'];
    const unknown = await run(['profile', '--email', 'a@unknown-example.org', ...signing, '--out', 'x.mobileconfig']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('email: no provider serves unknown-example.org');
    // The same identity with good input: now the missing key is the error.
    const known = await run(['profile', '--email', 'a@mail.ru', ...signing, '--out', 'x.mobileconfig']);
    expect(known.code).toBe(6);
    expect(known.stderr).toContain('--signing-key');
    expect(existsSync(join(dir.path, 'x.mobileconfig'))).toBe(false);
  });
});

describe('mailsetup providers', () => {
  it('lists the seed providers as JSON with variants and flags insecure servers', async () => {
    const result = await run(['providers', '--json']);
    expect(result.code).toBe(0);
    const providers = JSON.parse(result.stdout) as { id: string; variants: { id: string; servers: { insecure: boolean; socket: string }[] }[] }[];
    expect(providers.map((p) => p.id).sort()).toEqual(['mailru', 'microsoft365', 'nstu', 'rackcorp', 'yandex']);
    const rackcorp = providers.find((p) => p.id === 'rackcorp')!;
    expect(rackcorp.variants.map((v) => v.id)).toEqual(['global', 'us', 'mn']);
    for (const server of rackcorp.variants[0]!.servers) expect(server.insecure).toBe(server.socket === 'plain');
  });

  it('prints a readable list and marks the default provider', async () => {
    const result = await run(['providers'], { MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' });
    expect(result.stdout).toMatch(/^rackcorp \(default\)/m);
    expect(result.stdout).toContain('(insecure)');
  });

  it('refuses an unknown default provider as a configuration error', async () => {
    const result = await run(['providers'], { MAILSETUP_DEFAULT_PROVIDER: 'nobody' });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('MAILSETUP_DEFAULT_PROVIDER');
  });
});

describe('mailsetup itself', () => {
  it('shows help and rejects unknown commands with a usage error', async () => {
    expect((await run(['--help'])).stdout).toContain('profile');
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown command');
  });
});
