// Configuration from the environment: read once, validated, frozen. Every default is here.
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defaultOutlookFolder, trimFolder, windowsFolderProblem } from './model/windows-path.js';
import { DEFAULTS } from './model/defaults.js';
import { hostName, identifier } from './model/rules.js';
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
      if (problem) ctx.addIssue({ code: 'custom', message: `use ${problem}`, params: { rule: 'windows-folder' } });
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
}

export interface SigningConfig {
  keyFile: string | undefined;
  certFile: string | undefined;
  chainFile: string | undefined;
  p12File: string | undefined;
  /** The PKCS #12 passphrase: never log it. */
  p12Password: string | undefined;
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
  const defined = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('MAILSETUP_') && value !== undefined && value !== ''));
  const parsed = parseWith(envSchema, defined, { code: 'CONFIG_INVALID' });
  return Object.freeze({
    organization: Object.freeze({ name: parsed.MAILSETUP_ORG_NAME, identifier: parsed.MAILSETUP_ORG_ID.toLowerCase() }),
    web: loadWebConfig(env),
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
    autodiscovery: Object.freeze({ publicHost: parsed.MAILSETUP_PUBLIC_HOST, logAddresses: parsed.MAILSETUP_LOG_ADDRESSES }),
    mail: Object.freeze({ smtpUrl: parsed.MAILSETUP_SMTP_URL, from: parsed.MAILSETUP_MAIL_FROM }),
    admin: Object.freeze({ token: parsed.MAILSETUP_ADMIN_TOKEN }),
    outlookFolder: parsed.MAILSETUP_OUTLOOK_FOLDER ?? defaultOutlookFolder(parsed.MAILSETUP_ORG_NAME),
    signing: Object.freeze({
      keyFile: parsed.MAILSETUP_SIGNING_KEY,
      certFile: parsed.MAILSETUP_SIGNING_CERT,
      chainFile: parsed.MAILSETUP_SIGNING_CHAIN,
      p12File: parsed.MAILSETUP_SIGNING_P12,
      p12Password: parsed.MAILSETUP_SIGNING_P12_PASSWORD,
      certsDir: parsed.MAILSETUP_CERTS_DIR ?? DEFAULT_CERTS_DIR,
    }),
  });
}

// The web app's settings. HOST and PORT keep their conventional names; the rest are MAILSETUP_*.
const webEnvSchema = z
  .object({
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
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
  });

export interface WebConfig {
  host: string;
  port: number;
  tls: { certFile: string; keyFile: string } | undefined;
  trustProxy: boolean | number | string;
  /** Generated files per client per minute; 0 means no limit. */
  rateLimitPerMinute: number;
  /** HMAC key for QR-code links; undefined means a random key per process. */
  linkSecret: string | undefined;
  linkTtlMinutes: number;
  /** Worker threads for building and signing files; undefined: as many as the cores (src/server.ts). */
  workers: number | undefined;
}

function loadWebConfig(env: Env): Readonly<WebConfig> {
  const keys = ['HOST', 'PORT', ...Object.keys(webEnvSchema.shape).filter((k) => k.startsWith('MAILSETUP_'))];
  const defined = Object.fromEntries(keys.map((key) => [key, env[key]]).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = parseWith(webEnvSchema, defined, { code: 'CONFIG_INVALID' });
  return Object.freeze({
    host: parsed.HOST,
    port: parsed.PORT,
    tls:
      parsed.MAILSETUP_TLS_CERT && parsed.MAILSETUP_TLS_KEY
        ? Object.freeze({ certFile: parsed.MAILSETUP_TLS_CERT, keyFile: parsed.MAILSETUP_TLS_KEY })
        : undefined,
    trustProxy: parsed.MAILSETUP_TRUST_PROXY,
    rateLimitPerMinute: parsed.MAILSETUP_RATE_LIMIT,
    linkSecret: parsed.MAILSETUP_LINK_SECRET,
    linkTtlMinutes: parsed.MAILSETUP_LINK_TTL,
    workers: parsed.MAILSETUP_WEB_WORKERS,
  });
}
