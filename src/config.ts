// Configuration from the environment: read once, validated, frozen. Every default is here.
import { isIP } from 'node:net';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defaultOutlookFolder, trimFolder, windowsFolderProblem } from './model/windows-path.js';
import { parseCidr, type Cidr } from './model/cidr.js';
import { DEFAULTS } from './model/defaults.js';
import { MailsetupError } from './errors.js';
import { ruleParams } from './error-rules.js';
import { emailAddress, hostName, identifier } from './model/rules.js';
import { parseWith } from './model/validate.js';

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { error: 'use true or false' })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const list = z.string().transform((v) =>
  v
    .split(delimiter)
    .map((p) => p.trim())
    .filter(Boolean),
);

const envSchema = z.object({
  MAILSETUP_ORG_NAME: z.string().trim().min(1).max(120).default(DEFAULTS.organization.name),
  MAILSETUP_ORG_ID: z
    .string()
    .trim()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/i, { error: 'a reverse-DNS name such as org.example.mail' })
    .default(DEFAULTS.organization.identifier),
  MAILSETUP_PROVIDERS: list.default([]),
  MAILSETUP_DEFAULT_PROVIDER: identifier.optional(),
  MAILSETUP_CONSENT_TEXT: z.string().trim().max(4000).optional(),
  MAILSETUP_CONSENT_TEXT_EN: z.string().trim().max(4000).optional(),
  MAILSETUP_CONSENT_TEXT_RU: z.string().trim().max(4000).optional(),
  MAILSETUP_CONSENT_TEXT_SV: z.string().trim().max(4000).optional(),
  MAILSETUP_ALLOW_PASSWORD: flag.default(true),
  MAILSETUP_SIGNING_KEY: z.string().trim().optional(),
  MAILSETUP_SIGNING_CERT: z.string().trim().optional(),
  MAILSETUP_SIGNING_CHAIN: z.string().trim().optional(),
  MAILSETUP_SIGNING_P12: z.string().trim().optional(),
  /** Not trimmed: a passphrase may end in a space. */
  MAILSETUP_SIGNING_P12_PASSWORD: z.string().optional(),
  MAILSETUP_SIGNING_KEY_PASSWORD: z.string().optional(),
  MAILSETUP_SIGNING_KEY_PASSWORD_FILE: z.string().trim().optional(),
  /** Seconds between checks of the identity files for a replacement; 0: only on SIGHUP. */
  MAILSETUP_IDENTITY_POLL: z.coerce.number().min(0).max(86_400).default(10),
  MAILSETUP_CERTS_DIR: z.string().trim().optional(),
  MAILSETUP_PUBLIC_HOST: hostName.optional(),
  MAILSETUP_LOG_ADDRESSES: flag.default(true),
  MAILSETUP_SMTP_URL: z
    .string()
    .trim()
    .regex(/^smtps?:\/\/[^\s]+$/i, { error: 'an SMTP address such as smtp://user:pass@host:587 or smtps://host:465' })
    .optional(),
  MAILSETUP_MAIL_FROM: z.string().trim().min(3).max(320).optional(),
  MAILSETUP_ADMIN_TOKEN: z.string().trim().min(16, { error: 'the admin token has at least 16 characters' }).optional(),
  MAILSETUP_OUTLOOK_FOLDER: z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      const problem = windowsFolderProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `use ${problem}`, params: ruleParams('windows-folder') });
    })
    .transform(trimFolder)
    .optional(),
});

export interface Config {
  organization: { name: string; identifier: string };
  /** The web app: where it listens, TLS, proxy trust, rate limits, QR link signing. */
  web: WebConfig;
  providerPaths: readonly string[];
  defaultProvider: string | undefined;
  /** Text shown before installing, by language code, plus `default` for every other language. */
  consentText: Readonly<Record<string, string>>;
  /** Whether people may ask for their password to be embedded in a file. */
  allowPasswordEmbedding: boolean;
  /** The autodiscovery service: the host name clients reach it by, and whether logs may name addresses. */
  autodiscovery: { publicHost: string | undefined; logAddresses: boolean };
  /** Bulk email delivery: the SMTP server (may carry a password: never log it) and the sender. */
  mail: { smtpUrl: string | undefined; from: string | undefined };
  /** The admin page is enabled only when a token is set. */
  admin: { token: string | undefined };
  /** Windows folder the Outlook setup pack's files go to (the .reg files point there). */
  outlookFolder: string;
  /** The signing identity's files (paths as given; relative ones are from the working folder). */
  signing: SigningConfig;
  /** Certificates from an ACME CA (Let's Encrypt by default) for HTTPS and signing; undefined: off. */
  acme: AcmeConfig | undefined;
  /** Finding unknown domains' servers and testing connections (src/discovery). */
  discovery: DiscoveryConfig;
}

export interface SigningConfig {
  keyFile: string | undefined;
  certFile: string | undefined;
  chainFile: string | undefined;
  p12File: string | undefined;
  /** The PKCS #12 passphrase: never log it. */
  p12Password: string | undefined;
  /** The passphrase of an encrypted PEM key, or a file holding it (read at each load): never log it. */
  keyPassword: string | undefined;
  keyPasswordFile: string | undefined;
  /** Milliseconds between checks of the identity files for a replacement; 0: only on SIGHUP. */
  pollMs: number;
  /** Where the development identity is generated when none is configured. */
  certsDir: string;
}

/** `certs/` beside `src/` and `dist/`, whatever the working folder. */
export const DEFAULT_CERTS_DIR = fileURLToPath(new URL('../certs', import.meta.url));

export type Env = Readonly<Record<string, string | undefined>>;

function consentTexts(byLanguage: Record<string, string | undefined>): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const [language, text] of Object.entries(byLanguage)) if (text) texts[language] = text;
  return texts;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key.startsWith('MAILSETUP_') && !key.startsWith('MAILSETUP_ACME_') && value !== undefined && value !== ''),
  );
  const parsed = parseWith(envSchema, defined, { code: 'CONFIG_INVALID' });
  if (parsed.MAILSETUP_SIGNING_KEY_PASSWORD !== undefined && parsed.MAILSETUP_SIGNING_KEY_PASSWORD_FILE !== undefined) {
    throw new MailsetupError('CONFIG_INVALID', 'set it or MAILSETUP_SIGNING_KEY_PASSWORD_FILE, not both', {
      field: 'MAILSETUP_SIGNING_KEY_PASSWORD',
      rule: 'one-source',
    });
  }
  const acme = loadAcmeConfig(env);
  const web = loadWebConfig(env, acme);
  if (acme && web.tls) {
    throw new MailsetupError('CONFIG_INVALID', 'gets the HTTPS certificate itself: unset MAILSETUP_TLS_CERT and MAILSETUP_TLS_KEY, or MAILSETUP_ACME_DOMAINS', {
      field: 'MAILSETUP_ACME_DOMAINS',
      rule: 'one-tls-source',
    });
  }
  return Object.freeze({
    organization: Object.freeze({ name: parsed.MAILSETUP_ORG_NAME, identifier: parsed.MAILSETUP_ORG_ID.toLowerCase() }),
    web,
    discovery: loadDiscoveryConfig(env),
    providerPaths: Object.freeze(parsed.MAILSETUP_PROVIDERS),
    defaultProvider: parsed.MAILSETUP_DEFAULT_PROVIDER,
    consentText: Object.freeze(
      consentTexts({
        default: parsed.MAILSETUP_CONSENT_TEXT,
        en: parsed.MAILSETUP_CONSENT_TEXT_EN,
        ru: parsed.MAILSETUP_CONSENT_TEXT_RU,
        sv: parsed.MAILSETUP_CONSENT_TEXT_SV,
      }),
    ),
    allowPasswordEmbedding: parsed.MAILSETUP_ALLOW_PASSWORD,
    // With ACME, the first certificate name is the public one unless another is set.
    autodiscovery: Object.freeze({ publicHost: parsed.MAILSETUP_PUBLIC_HOST ?? acme?.domains[0], logAddresses: parsed.MAILSETUP_LOG_ADDRESSES }),
    mail: Object.freeze({ smtpUrl: parsed.MAILSETUP_SMTP_URL, from: parsed.MAILSETUP_MAIL_FROM }),
    admin: Object.freeze({ token: parsed.MAILSETUP_ADMIN_TOKEN }),
    outlookFolder: parsed.MAILSETUP_OUTLOOK_FOLDER ?? defaultOutlookFolder(parsed.MAILSETUP_ORG_NAME),
    signing: Object.freeze({
      keyFile: parsed.MAILSETUP_SIGNING_KEY,
      certFile: parsed.MAILSETUP_SIGNING_CERT,
      chainFile: parsed.MAILSETUP_SIGNING_CHAIN,
      p12File: parsed.MAILSETUP_SIGNING_P12,
      p12Password: parsed.MAILSETUP_SIGNING_P12_PASSWORD,
      keyPassword: parsed.MAILSETUP_SIGNING_KEY_PASSWORD,
      keyPasswordFile: parsed.MAILSETUP_SIGNING_KEY_PASSWORD_FILE,
      pollMs: Math.round(parsed.MAILSETUP_IDENTITY_POLL * 1000),
      certsDir: parsed.MAILSETUP_CERTS_DIR ?? DEFAULT_CERTS_DIR,
    }),
    acme,
  });
}

/** ACME directories known by name; any other https:// address is used as given. */
export const ACME_DIRECTORIES = Object.freeze({
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
});

export interface AcmeConfig {
  /** Names on the certificate, the first one as its subject; each must reach this server. */
  domains: readonly string[];
  /** Contact address the CA may write to about the account (expiry notices, incidents). */
  email: string | undefined;
  directoryUrl: string;
  /** External Account Binding, for CAs that require an account elsewhere first: the key is secret. */
  externalAccountBinding: { kid: string; hmacKey: string } | undefined;
  /** The certificate's key: ECDSA P-256 (faster signing, smaller handshakes) or RSA 2048. */
  keyType: 'ecdsa' | 'rsa';
  /** How the CA checks the names: HTTP-01 on MAILSETUP_HTTP_PORT, or TLS-ALPN-01 on PORT. */
  challenge: 'http-01' | 'tls-alpn-01';
  /** Extra CA certificates trusted for the ACME server's own HTTPS (a private CA); none: the public roots. */
  caFile: string | undefined;
}

const acmeEnvSchema = z
  .object({
    MAILSETUP_ACME_DOMAINS: z
      .string()
      .transform((v) => [
        ...new Set(
          v
            .split(',')
            .map((d) => d.trim().toLowerCase())
            .filter(Boolean),
        ),
      ])
      .pipe(
        z.array(hostName.refine((h) => !isIP(h), { error: 'an ACME certificate names host names, not IP addresses', params: ruleParams('hostname') })).min(1),
      ),
    MAILSETUP_ACME_EMAIL: emailAddress.optional(),
    MAILSETUP_ACME_DIRECTORY: z
      .string()
      .trim()
      .transform((v) => (v in ACME_DIRECTORIES ? ACME_DIRECTORIES[v as keyof typeof ACME_DIRECTORIES] : v))
      .pipe(z.url({ protocol: /^https?$/, error: 'an ACME directory address (https://…) or letsencrypt, letsencrypt-staging' }))
      .default(ACME_DIRECTORIES.letsencrypt),
    MAILSETUP_ACME_EAB_KID: z.string().trim().min(1).optional(),
    /** base64url, so trimming cannot change it. */
    MAILSETUP_ACME_EAB_HMAC_KEY: z.string().trim().min(1).optional(),
    MAILSETUP_ACME_KEY_TYPE: z.enum(['ecdsa', 'rsa'], { error: 'use ecdsa or rsa' }).default('ecdsa'),
    MAILSETUP_ACME_CHALLENGE: z.enum(['http-01', 'tls-alpn-01'], { error: 'use http-01 or tls-alpn-01' }).default('http-01'),
    MAILSETUP_ACME_CA_FILE: z.string().trim().min(1).optional(),
  })
  .refine((v) => (v.MAILSETUP_ACME_EAB_KID === undefined) === (v.MAILSETUP_ACME_EAB_HMAC_KEY === undefined), {
    error: 'set both MAILSETUP_ACME_EAB_KID and MAILSETUP_ACME_EAB_HMAC_KEY, or neither',
    path: ['MAILSETUP_ACME_EAB_KID'],
    params: ruleParams('both-or-neither'),
  });

function loadAcmeConfig(env: Env): Readonly<AcmeConfig> | undefined {
  const defined = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('MAILSETUP_ACME_') && value !== undefined && value !== ''));
  if (Object.keys(defined).length === 0) return undefined;
  if (defined.MAILSETUP_ACME_DOMAINS === undefined) {
    throw new MailsetupError(
      'CONFIG_INVALID',
      `the ACME settings (${Object.keys(defined).join(', ')}) need MAILSETUP_ACME_DOMAINS: the names to get a certificate for`,
      {
        field: 'MAILSETUP_ACME_DOMAINS',
        rule: 'required',
      },
    );
  }
  const parsed = parseWith(acmeEnvSchema, defined, { code: 'CONFIG_INVALID' });
  return Object.freeze({
    domains: Object.freeze(parsed.MAILSETUP_ACME_DOMAINS),
    email: parsed.MAILSETUP_ACME_EMAIL?.address,
    directoryUrl: parsed.MAILSETUP_ACME_DIRECTORY,
    externalAccountBinding:
      parsed.MAILSETUP_ACME_EAB_KID && parsed.MAILSETUP_ACME_EAB_HMAC_KEY
        ? Object.freeze({ kid: parsed.MAILSETUP_ACME_EAB_KID, hmacKey: parsed.MAILSETUP_ACME_EAB_HMAC_KEY })
        : undefined,
    keyType: parsed.MAILSETUP_ACME_KEY_TYPE,
    challenge: parsed.MAILSETUP_ACME_CHALLENGE,
    caFile: parsed.MAILSETUP_ACME_CA_FILE,
  });
}

// The web app's settings. HOST and PORT keep their conventional names; the rest are MAILSETUP_*.
const webEnvSchema = z
  .object({
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** Plain HTTP beside HTTPS: ACME HTTP-01, autoconfig, and a redirect for everything else. */
    MAILSETUP_HTTP_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)], { error: 'a port (0-65535) or off' }).optional(),
    MAILSETUP_TLS_CERT: z.string().trim().min(1).optional(),
    MAILSETUP_TLS_KEY: z.string().trim().min(1).optional(),
    /** Express "trust proxy": false, true, a hop count, or addresses/subnets such as loopback. */
    MAILSETUP_TRUST_PROXY: z
      .string()
      .trim()
      .transform((v): boolean | number | string =>
        /^(false|0|no|off)$/i.test(v) ? false : /^(true|yes|on)$/i.test(v) ? true : /^\d+$/.test(v) ? Number(v) : v,
      )
      .default(false),
    /** Generated files per client per minute; 0 turns the limit off. */
    MAILSETUP_RATE_LIMIT: z.coerce.number().int().min(0).default(60),
    MAILSETUP_LINK_SECRET: z.string().min(32, { error: 'the link secret has at least 32 characters' }).optional(),
    /** Minutes a QR-code link stays valid. */
    MAILSETUP_LINK_TTL: z.coerce.number().int().min(1).max(1440).default(10),
    /** Worker threads that build and sign files for the web app; 0 builds them on the main thread. */
    MAILSETUP_WEB_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  })
  .refine((v) => (v.MAILSETUP_TLS_CERT === undefined) === (v.MAILSETUP_TLS_KEY === undefined), {
    error: 'set both MAILSETUP_TLS_CERT and MAILSETUP_TLS_KEY, or neither',
    path: ['MAILSETUP_TLS_CERT'],
    params: ruleParams('both-or-neither'),
  });

export interface WebConfig {
  host: string;
  /** HTTPS (or HTTP without TLS); 443 by default with ACME, else 8080. */
  port: number;
  /** The plain-HTTP port beside HTTPS (80 by default with ACME); undefined: none. */
  httpPort: number | undefined;
  tls: { certFile: string; keyFile: string } | undefined;
  /** Whether this server speaks HTTPS itself (TLS files or ACME): then HSTS is sent. */
  https: boolean;
  trustProxy: boolean | number | string;
  /** Generated files per client per minute; 0 means no limit. */
  rateLimitPerMinute: number;
  /** HMAC key for QR-code links; undefined means a random key per process. */
  linkSecret: string | undefined;
  linkTtlMinutes: number;
  /** Worker threads for building and signing files; undefined: as many as the cores (src/server.ts). */
  workers: number | undefined;
}

function loadWebConfig(env: Env, acme: AcmeConfig | undefined): Readonly<WebConfig> {
  const keys = ['HOST', 'PORT', ...Object.keys(webEnvSchema.shape).filter((k) => k.startsWith('MAILSETUP_'))];
  const defined = Object.fromEntries(
    keys.map((key): [string, string | undefined] => [key, env[key]]).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = parseWith(webEnvSchema, defined, { code: 'CONFIG_INVALID' });
  const tls =
    parsed.MAILSETUP_TLS_CERT && parsed.MAILSETUP_TLS_KEY
      ? Object.freeze({ certFile: parsed.MAILSETUP_TLS_CERT, keyFile: parsed.MAILSETUP_TLS_KEY })
      : undefined;
  const https = tls !== undefined || acme !== undefined;
  if (parsed.MAILSETUP_HTTP_PORT !== undefined && parsed.MAILSETUP_HTTP_PORT !== 'off' && !https) {
    throw new MailsetupError('CONFIG_INVALID', 'is the plain-HTTP port beside HTTPS: set MAILSETUP_ACME_DOMAINS or MAILSETUP_TLS_CERT too, or use PORT', {
      field: 'MAILSETUP_HTTP_PORT',
      rule: 'requires-https',
    });
  }
  const httpPort = parsed.MAILSETUP_HTTP_PORT === 'off' ? undefined : (parsed.MAILSETUP_HTTP_PORT ?? (acme ? 80 : undefined));
  return Object.freeze({
    host: parsed.HOST,
    port: parsed.PORT ?? (acme ? 443 : 8080),
    httpPort,
    tls,
    https,
    trustProxy: parsed.MAILSETUP_TRUST_PROXY,
    rateLimitPerMinute: parsed.MAILSETUP_RATE_LIMIT,
    linkSecret: parsed.MAILSETUP_LINK_SECRET,
    linkTtlMinutes: parsed.MAILSETUP_LINK_TTL,
    workers: parsed.MAILSETUP_WEB_WORKERS,
  });
}

// Discovery's settings: which DNS servers to ask, which networks and ports it may reach, its
// time limits, cache and rate limit. Defaults in DEFAULTS.discovery.
const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean),
);

/** `192.0.2.53`, `192.0.2.53:5353`, `2001:db8::53` or `[2001:db8::53]:5353`. */
const DNS_SERVER = /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|[0-9a-f:]+|\[[0-9a-f:]+\]:\d{1,5})$/i;

const seconds = (max: number) => z.coerce.number({ error: 'a number of seconds' }).positive({ error: 'more than 0 seconds' }).max(max);

const discoveryEnvSchema = z.object({
  MAILSETUP_DISCOVERY: flag.default(true),
  MAILSETUP_DNS_SERVERS: commaList
    .refine((servers) => servers.every((server) => DNS_SERVER.test(server)), {
      error: 'IP addresses, optionally with :port, separated by commas',
      params: ruleParams('dns-server'),
    })
    .optional(),
  MAILSETUP_DISCOVERY_ALLOW: commaList
    .transform((entries, ctx) => {
      const cidrs: Cidr[] = [];
      for (const entry of entries) {
        const cidr = parseCidr(entry);
        if (cidr) cidrs.push(cidr);
        else ctx.addIssue({ code: 'custom', message: `"${entry}" is not a network such as 10.0.0.0/8 or fd00::/8`, params: ruleParams('cidr') });
      }
      return cidrs;
    })
    .optional(),
  MAILSETUP_DISCOVERY_PORTS: commaList
    .transform((entries, ctx) =>
      entries.map((entry) => {
        const value = Number(entry);
        if (!Number.isInteger(value) || value < 1 || value > 65535) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not a port between 1 and 65535`, params: ruleParams('port-range') });
        }
        return value;
      }),
    )
    .optional(),
  MAILSETUP_DISCOVERY_TIMEOUT: seconds(60).default(DEFAULTS.discovery.probeTimeoutMs / 1000),
  MAILSETUP_DISCOVERY_DEADLINE: seconds(300).default(DEFAULTS.discovery.deadlineMs / 1000),
  MAILSETUP_DISCOVERY_CACHE: z.coerce.number().int().min(0).max(1_000_000).default(DEFAULTS.discovery.cacheEntries),
  MAILSETUP_DISCOVERY_CONNECTIONS: z.coerce.number().int().min(1).max(10_000).default(DEFAULTS.discovery.connectionsPerProcess),
  MAILSETUP_DISCOVERY_RATE_LIMIT: z.coerce.number().int().min(0).default(DEFAULTS.discovery.rateLimitPerMinute),
  MAILSETUP_DISCOVERY_CA: z.string().trim().min(1).optional(),
});

export interface DiscoveryConfig {
  /** False: unknown domains get the form for typing settings in, and nothing connects out. */
  enabled: boolean;
  /** DNS servers to ask (`ip` or `ip:port`); undefined: the system's resolver. */
  dnsServers: readonly string[] | undefined;
  /** Networks discovery may reach although they are private, loopback, … */
  allow: readonly Cidr[];
  /** Ports allowed besides the mail and web ports. */
  extraPorts: readonly number[];
  probeTimeoutMs: number;
  deadlineMs: number;
  /** Domains whose results are kept; 0 keeps none. */
  cacheEntries: number;
  /** Connections open at once across the process. */
  connectionsPerProcess: number;
  /** Discoveries per client per minute on the web; 0 means no limit. */
  rateLimitPerMinute: number;
  /** A PEM file of certificate authorities trusted besides Node's, for servers with a private CA. */
  caFile: string | undefined;
}

function loadDiscoveryConfig(env: Env): Readonly<DiscoveryConfig> {
  const keys = Object.keys(discoveryEnvSchema.shape);
  const defined: Record<string, string> = Object.fromEntries(
    keys.flatMap((key) => {
      const value = env[key];
      return value === undefined || value === '' ? [] : [[key, value] as const];
    }),
  );
  const parsed = parseWith(discoveryEnvSchema, defined, { code: 'CONFIG_INVALID' });
  return Object.freeze({
    enabled: parsed.MAILSETUP_DISCOVERY,
    dnsServers: parsed.MAILSETUP_DNS_SERVERS ? Object.freeze(parsed.MAILSETUP_DNS_SERVERS) : undefined,
    allow: Object.freeze(parsed.MAILSETUP_DISCOVERY_ALLOW ?? []),
    extraPorts: Object.freeze(parsed.MAILSETUP_DISCOVERY_PORTS ?? []),
    probeTimeoutMs: Math.round(parsed.MAILSETUP_DISCOVERY_TIMEOUT * 1000),
    deadlineMs: Math.round(parsed.MAILSETUP_DISCOVERY_DEADLINE * 1000),
    cacheEntries: parsed.MAILSETUP_DISCOVERY_CACHE,
    connectionsPerProcess: parsed.MAILSETUP_DISCOVERY_CONNECTIONS,
    rateLimitPerMinute: parsed.MAILSETUP_DISCOVERY_RATE_LIMIT,
    caFile: parsed.MAILSETUP_DISCOVERY_CA,
  });
}
