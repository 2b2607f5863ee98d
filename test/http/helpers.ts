// Shared set-up for the web app tests: an app with a real signer (the development identity,
// generated into a temporary folder), a captured log, a pinned clock, and OpenSSL checks.
import { join } from 'node:path';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import type { MailsetupError } from '../../src/errors.js';
import type { AppDeps } from '../../src/http/deps.js';
import type { Logger } from '../../src/logger.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { signerFromConfig, type Signer } from '../../src/signing/index.js';
import { makeTempDir } from '../support/tmp.js';
import type { Response as SupertestResponse } from 'supertest';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

export function captureLogger(): { logger: Logger; lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const push = (level: LogLine['level']) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { logger: { info: push('info'), warn: push('warn'), error: push('error') }, lines, text: () => JSON.stringify(lines) };
}

export interface TestSigning {
  signer: Signer;
  caFile: string;
  dir: string;
  remove(): void;
}

/** The development identity, generated once per test file into a temporary folder. */
export async function testSigning(): Promise<TestSigning> {
  const tmp = makeTempDir('mailsetup-http-');
  const config = loadConfig({ MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'), MAILSETUP_ORG_NAME: 'Test University IT' });
  const signer = await signerFromConfig(config, { cwd: tmp.path });
  return { signer, caFile: join(tmp.path, 'certs', 'development', 'ca.pem'), dir: tmp.path, remove: tmp.remove };
}

export function testConfig(env: Env = {}): Readonly<Config> {
  return loadConfig({ MAILSETUP_ORG_NAME: 'Test University IT', MAILSETUP_ORG_ID: 'edu.test.mail', MAILSETUP_LINK_SECRET: 'x'.repeat(40), ...env });
}

export function testApp(options: { env?: Env; signer?: Signer; logger?: Logger; now?: () => number; catalog?: ProviderCatalog } = {}) {
  const config = testConfig(options.env);
  const deps: AppDeps = {
    config,
    catalog: options.catalog ?? ProviderCatalog.load({ defaultProvider: config.defaultProvider }),
    signer: options.signer,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  return { app: createApp(deps), deps };
}

export { opensslVerify } from '../support/openssl.js';

/** Supertest: collect a binary body as a Buffer whatever the content type. */
export const binaryParser = ((res: NodeJS.ReadableStream, callback: (error: Error | null, body: Buffer) => void): void => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
  res.on('error', (error: Error) => callback(error, Buffer.alloc(0)));
}) as unknown as (res: SupertestResponse, callback: (error: Error | null, body: unknown) => void) => void;

/** The JSON body of an API error (src/http/error-handler.ts). */
export interface ApiErrorBody {
  error: ReturnType<MailsetupError['toJSON']>;
}

/** The `error` of a JSON error answer. */
export const apiError = (res: { body: unknown }) => (res.body as ApiErrorBody).error;

/** Text with tags removed and entities decoded, to compare what people read. */
export function visible(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#61;/g, '=')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
