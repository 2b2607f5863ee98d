// The ACME, HTTP port, identity polling and key passphrase settings: validated once at start-up
// into the frozen configuration, every mistake named by its variable and rule.
import { describe, expect, it } from '@jest/globals';
import { ACME_DIRECTORIES, loadConfig } from '../../src/config.js';
import { MailsetupError } from '../../src/errors.js';

const failure = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return error as MailsetupError;
  }
  throw new Error('expected a configuration error');
};

describe('ACME settings', () => {
  it('default to Let’s Encrypt production, ECDSA, HTTP-01 on port 80 and HTTPS on 443, and name the public host', () => {
    const config = loadConfig({
      MAILSETUP_ACME_DOMAINS: 'Setup.Example.org, autoconfig.example.org,setup.example.org',
      MAILSETUP_ACME_EMAIL: 'it@example.org',
    });
    expect(config.acme).toEqual({
      domains: ['setup.example.org', 'autoconfig.example.org'],
      email: 'it@example.org',
      directoryUrl: ACME_DIRECTORIES.letsencrypt,
      externalAccountBinding: undefined,
      keyType: 'ecdsa',
      challenge: 'http-01',
      caFile: undefined,
    });
    expect(config.web).toMatchObject({ port: 443, httpPort: 80, https: true });
    expect(config.autodiscovery.publicHost).toBe('setup.example.org');
    expect(Object.isFrozen(config.acme)).toBe(true);
  });

  it('take the staging directory by name, EAB, RSA, TLS-ALPN-01 and no plain-HTTP port', () => {
    const config = loadConfig({
      MAILSETUP_ACME_DOMAINS: 'setup.example.org',
      MAILSETUP_ACME_DIRECTORY: 'letsencrypt-staging',
      MAILSETUP_ACME_EAB_KID: 'kid-1',
      MAILSETUP_ACME_EAB_HMAC_KEY: 'c2VjcmV0',
      MAILSETUP_ACME_KEY_TYPE: 'rsa',
      MAILSETUP_ACME_CHALLENGE: 'tls-alpn-01',
      MAILSETUP_HTTP_PORT: 'off',
    });
    expect(config.acme).toMatchObject({
      directoryUrl: ACME_DIRECTORIES['letsencrypt-staging'],
      externalAccountBinding: { kid: 'kid-1', hmacKey: 'c2VjcmV0' },
      keyType: 'rsa',
      challenge: 'tls-alpn-01',
    });
    expect(config.web.httpPort).toBeUndefined();
  });

  it.each([
    [{ MAILSETUP_ACME_EMAIL: 'it@example.org' }, 'MAILSETUP_ACME_DOMAINS', 'required'],
    [{ MAILSETUP_ACME_DOMAINS: '192.0.2.1' }, 'MAILSETUP_ACME_DOMAINS.0', 'hostname'],
    [{ MAILSETUP_ACME_DOMAINS: '*.example.org' }, 'MAILSETUP_ACME_DOMAINS.0', 'hostname'],
    [{ MAILSETUP_ACME_DOMAINS: 'a.example.org', MAILSETUP_ACME_EMAIL: 'nobody' }, 'MAILSETUP_ACME_EMAIL', 'email-format'],
    [{ MAILSETUP_ACME_DOMAINS: 'a.example.org', MAILSETUP_ACME_DIRECTORY: 'ftp://ca.example' }, 'MAILSETUP_ACME_DIRECTORY', 'format'],
    [{ MAILSETUP_ACME_DOMAINS: 'a.example.org', MAILSETUP_ACME_EAB_KID: 'kid' }, 'MAILSETUP_ACME_EAB_KID', 'both-or-neither'],
    [{ MAILSETUP_ACME_DOMAINS: 'a.example.org', MAILSETUP_ACME_KEY_TYPE: 'dsa' }, 'MAILSETUP_ACME_KEY_TYPE', 'allowed-values'],
    [{ MAILSETUP_ACME_DOMAINS: 'a.example.org', MAILSETUP_TLS_CERT: 'c.pem', MAILSETUP_TLS_KEY: 'k.pem' }, 'MAILSETUP_ACME_DOMAINS', 'one-tls-source'],
    [{ MAILSETUP_HTTP_PORT: '80' }, 'MAILSETUP_HTTP_PORT', 'requires-https'],
    [{ MAILSETUP_SIGNING_KEY_PASSWORD: 'a', MAILSETUP_SIGNING_KEY_PASSWORD_FILE: 'f' }, 'MAILSETUP_SIGNING_KEY_PASSWORD', 'one-source'],
    [{ MAILSETUP_IDENTITY_POLL: '-1' }, 'MAILSETUP_IDENTITY_POLL', 'min'],
  ])('refuses %j, naming %s', (env, field, rule) => {
    const error = failure(env);
    expect(error).toBeInstanceOf(MailsetupError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.field).toBe(field);
    expect(error.rule).toBe(rule);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
  });

  it('keeps HTTP on 8080 without ACME, and a plain-HTTP port beside configured TLS files when asked', () => {
    expect(loadConfig({}).web).toMatchObject({ port: 8080, httpPort: undefined, https: false });
    expect(loadConfig({ MAILSETUP_TLS_CERT: 'c.pem', MAILSETUP_TLS_KEY: 'k.pem', MAILSETUP_HTTP_PORT: '8081' }).web).toMatchObject({
      port: 8080,
      httpPort: 8081,
      https: true,
    });
    expect(loadConfig({ MAILSETUP_IDENTITY_POLL: '0.5' }).signing.pollMs).toBe(500);
    expect(loadConfig({}).signing.pollMs).toBe(10_000);
  });
});
