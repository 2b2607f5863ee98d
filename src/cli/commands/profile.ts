// `mailsetup profile`: one person's setup file, written whole to --out (or ./<address>.<ext>).
import { FORMAT_IDS } from '../../formats/registry.js';
import { generate, parseGenerateRequest, wantsSignature } from '../../service/generate.js';
import { resolveAccount } from '../../service/resolve.js';
import { CATALOG_OPTIONS, type Command, type CommandRun } from '../command.js';
import { writeFileAtomic } from '../../files.js';
import { resolveOutput } from '../io.js';
import { SIGNING_OPTIONS, SIGNING_USAGE } from '../signing.js';

function manualServers(run: CommandRun) {
  const incoming = run.string('incoming-host');
  const outgoing = run.string('outgoing-host');
  if (incoming === undefined && outgoing === undefined) return undefined;
  return {
    incoming: { host: incoming ?? '', port: run.string('incoming-port'), socket: run.string('incoming-security') },
    outgoing: { host: outgoing ?? '', port: run.string('outgoing-port'), socket: run.string('outgoing-security') },
  };
}

export const profileCommand: Command = {
  name: 'profile',
  summary: "Write one person's setup file (signed Apple profile by default).",
  usage: `mailsetup profile --email ADDR [options]

  --email ADDR          the person's email address (required)
  --name NAME           display name shown as the sender
  --provider ID         provider from the catalog (default: found from the address's domain)
  --variant ID          provider variant or region, e.g. rackcorp: global, us, mn
  --type KIND           imap | pop | exchange (default: the provider's first offer)
  --security SOCKET     SSL | STARTTLS | plain (default: implicit TLS where offered)
  --login LOGIN         login instead of the provider's (placeholders %EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%)
  --device DEVICE       ios | macos (default: ios)
  --format FORMAT       ${FORMAT_IDS.join(' | ')} (default: mobileconfig)
  --language LANG       en | ru | sv, for the texts in the file (default: en)
  --outlook VERSION     2010 | 2013 | 2016 (also 2019, 2021, 2024, Microsoft 365): Outlook for the prf, reg and outlook-pack formats (default: 2016)
  --mail-only           leave out the provider's calendars and contacts (CalDAV, CardDAV)
  --password-stdin      embed the password read from standard input (the device will not ask)
  --unsigned            do not sign the Apple profile (signed by default)
  --credential-url URL  ddm: https address your MDM serves credential data under (each asset's DataURL is URL/<Identifier>.json)
${SIGNING_USAGE}
  --out FILE            where to write (- for standard output; default: ./<address>.<extension>)
  --incoming-host HOST, --incoming-port N, --incoming-security SOCKET,
  --outgoing-host HOST, --outgoing-port N, --outgoing-security SOCKET
                        server settings by hand, for a domain no provider serves
  --providers PATH      add provider files or folders (repeatable)
  --default-provider ID provider for domains no provider lists`,
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    provider: { type: 'string' },
    variant: { type: 'string' },
    type: { type: 'string' },
    security: { type: 'string' },
    login: { type: 'string' },
    device: { type: 'string' },
    format: { type: 'string' },
    language: { type: 'string' },
    outlook: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'mail-only': { type: 'boolean' },
    unsigned: { type: 'boolean' },
    'credential-url': { type: 'string' },
    out: { type: 'string' },
    'incoming-host': { type: 'string' },
    'incoming-port': { type: 'string' },
    'incoming-security': { type: 'string' },
    'outgoing-host': { type: 'string' },
    'outgoing-port': { type: 'string' },
    'outgoing-security': { type: 'string' },
    ...CATALOG_OPTIONS,
    ...SIGNING_OPTIONS,
  },
  async run(run) {
    const password = run.values['password-stdin'] ? (await run.io.readStdin()).replace(/\r?\n$/, '') : undefined;
    const request = parseGenerateRequest({
      email: run.string('email') ?? '',
      name: run.string('name'),
      provider: run.string('provider'),
      variant: run.string('variant'),
      type: run.string('type'),
      security: run.string('security'),
      login: run.string('login'),
      device: run.string('device'),
      format: run.string('format'),
      language: run.string('language'),
      outlook: run.string('outlook'),
      password,
      unsigned: run.values.unsigned === true,
      credentialUrl: run.string('credential-url'),
      mailOnly: run.values['mail-only'] === true ? true : undefined,
      manual: manualServers(run),
    });
    // Check the address and provider before loading the identity, so input errors come first.
    const catalog = run.catalog();
    const resolved = resolveAccount(request, catalog);
    const file = generate(request, { config: run.config(), catalog, signer: wantsSignature(request) ? await run.signer() : undefined }, resolved);
    for (const warning of file.warnings) run.io.stderr(`mailsetup: warning: ${warning}\n`);
    const out = run.string('out');
    if (out === '-') {
      run.io.stdoutBytes(file.body);
      return 0;
    }
    const path = resolveOutput(run.io, out ?? file.fileName);
    writeFileAtomic(path, file.body);
    run.io.stdout(`${path}\n`);
    return 0;
  },
};
