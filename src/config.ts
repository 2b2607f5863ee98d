// Configuration from the environment: read once, validated, frozen. Every default is here.
import { delimiter } from 'node:path';
import { z } from 'zod';
import { DEFAULTS } from './model/defaults.js';
import { identifier } from './model/rules.js';
import { parseWith } from './model/validate.js';

const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { error: 'use true or false' })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const list = z.string().transform((v) => v.split(delimiter).map((p) => p.trim()).filter(Boolean));

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
  MAILSETUP_ALLOW_PASSWORD: flag.default(true),
});

export interface Config {
  organization: { name: string; identifier: string };
  providerPaths: readonly string[];
  defaultProvider: string | undefined;
  consentText: string | undefined;
  /** Whether people may ask for their password to be embedded in a file. */
  allowPasswordEmbedding: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const defined = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('MAILSETUP_') && value !== undefined && value !== ''));
  const parsed = parseWith(envSchema, defined, { code: 'CONFIG_INVALID' });
  return Object.freeze({
    organization: Object.freeze({ name: parsed.MAILSETUP_ORG_NAME, identifier: parsed.MAILSETUP_ORG_ID.toLowerCase() }),
    providerPaths: Object.freeze(parsed.MAILSETUP_PROVIDERS),
    defaultProvider: parsed.MAILSETUP_DEFAULT_PROVIDER,
    consentText: parsed.MAILSETUP_CONSENT_TEXT,
    allowPasswordEmbedding: parsed.MAILSETUP_ALLOW_PASSWORD,
  });
}
