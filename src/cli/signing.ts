// The signing flags every signing command accepts, and the Signer they lead to. Passwords are
// never taken on the command line (other users see it in the process list): only the name of
// an environment variable holding one.
import type { Config, SigningConfig } from '../config.js';
import { MailsetupError } from '../errors.js';
import { loadSigningIdentity, signerFromConfig, type SigningOptions } from '../signing/index.js';
import type { Signer } from '../signing/signer.js';
import type { OptionSpec, ParsedValues } from './command.js';
import type { CliIo } from './io.js';

export const SIGNING_OPTIONS: OptionSpec = {
  'signing-key': { type: 'string' },
  'signing-cert': { type: 'string' },
  'signing-chain': { type: 'string' },
  'signing-p12': { type: 'string' },
  'signing-p12-password-env': { type: 'string' },
  'signing-key-password-env': { type: 'string' },
};

export const SIGNING_USAGE = `  --signing-key FILE    private key (PEM) to sign with, e.g. Let's Encrypt privkey.pem
  --signing-cert FILE   its certificate, with or without the chain (e.g. fullchain.pem)
  --signing-chain FILE  intermediate certificates, when not in the certificate file
  --signing-p12 FILE    a PKCS #12 (.p12/.pfx) file instead of key and certificate
  --signing-p12-password-env VAR
                        name of the environment variable holding the .p12 passphrase
                        (default MAILSETUP_SIGNING_P12_PASSWORD; never give a password as an argument)
  --signing-key-password-env VAR
                        name of the environment variable holding an encrypted key's passphrase
                        (default MAILSETUP_SIGNING_KEY_PASSWORD, or the file MAILSETUP_SIGNING_KEY_PASSWORD_FILE)`;

/** The configured signing settings with the command line's flags laid over them. */
export function signingSettings(
  values: ParsedValues,
  io: CliIo,
  config: Readonly<Config>,
): { config: Pick<Config, 'organization' | 'signing' | 'acme'>; options: SigningOptions } {
  const flag = (name: string) => values[name] as string | undefined;
  const names: NonNullable<SigningOptions['names']> = {};
  let signing: SigningConfig = config.signing;
  if (flag('signing-key') !== undefined || flag('signing-cert') !== undefined || flag('signing-p12') !== undefined) {
    // An identity on the command line replaces the configured one as a whole.
    signing = { ...signing, keyFile: flag('signing-key'), certFile: flag('signing-cert'), p12File: flag('signing-p12'), chainFile: undefined };
    Object.assign(names, { key: '--signing-key', cert: '--signing-cert', p12: '--signing-p12' });
  }
  if (flag('signing-chain') !== undefined) {
    signing = { ...signing, chainFile: flag('signing-chain') };
    names.chain = '--signing-chain';
  }
  const fromVariable = (option: string): { variable: string; password: string } | undefined => {
    const variable = flag(option);
    if (variable === undefined) return undefined;
    const password = io.env[variable];
    if (password === undefined) {
      throw new MailsetupError('USAGE', `--${option}: the environment variable ${variable} is not set`, { field: `--${option}`, rule: 'variable-set' });
    }
    return { variable, password };
  };
  const p12Password = fromVariable('signing-p12-password-env');
  if (p12Password) {
    signing = { ...signing, p12Password: p12Password.password };
    names.p12Password = p12Password.variable;
  }
  const keyPassword = fromVariable('signing-key-password-env');
  if (keyPassword) {
    signing = { ...signing, keyPassword: keyPassword.password, keyPasswordFile: undefined };
    names.keyPassword = keyPassword.variable;
  }
  return {
    config: { organization: config.organization, signing, acme: config.acme },
    options: { names, cwd: io.cwd, log: (line) => io.stderr(`mailsetup: warning: ${line}\n`) },
  };
}

export async function cliSigner(values: ParsedValues, io: CliIo, config: Readonly<Config>): Promise<Signer> {
  const settings = signingSettings(values, io, config);
  return signerFromConfig({ ...config, ...settings.config }, settings.options);
}

export function cliIdentity(values: ParsedValues, io: CliIo, config: Readonly<Config>) {
  const settings = signingSettings(values, io, config);
  return loadSigningIdentity(settings.config, settings.options);
}
