// Shared by the Outlook and Thunderbird format tests: accounts resolved from the seed catalog,
// format contexts as the service builds them, and golden-file comparison.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import type { FormatContext } from '../../src/formats/context.js';
import type { Account } from '../../src/model/account.js';
import type { GenerateRequestInput } from '../../src/model/request.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { formatContext, parseGenerateRequest } from '../../src/service/generate.js';
import { resolveAccount, type ResolvedAccount } from '../../src/service/resolve.js';

export const catalog = ProviderCatalog.load();
export const config = loadConfig({ MAILSETUP_ORG_NAME: 'Example IT', MAILSETUP_ORG_ID: 'org.example.mail' });

export interface Fixture {
  account: Account;
  context: FormatContext;
  resolved: ResolvedAccount;
}

export function fixture(input: GenerateRequestInput & Record<string, unknown>): Fixture {
  const request = parseGenerateRequest(input);
  const resolved = resolveAccount(request, catalog);
  return { account: resolved.account, context: formatContext(resolved, request, config), resolved };
}

/** The account with fields replaced as if validation had let them through (builders must still refuse). */
export function tampered(account: Account, change: (copy: Account) => void): Account {
  const copy = structuredClone(account);
  change(copy);
  return copy;
}

const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

/** Compares bytes with test/golden/<name>; UPDATE_GOLDEN=1 rewrites the file. */
export function expectGolden(name: string, actual: string | Buffer): void {
  const path = join(GOLDEN_DIR, name);
  const bytes = typeof actual === 'string' ? Buffer.from(actual, 'utf8') : actual;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  if (!existsSync(path)) throw new Error(`golden file ${name} is missing: run the tests once with UPDATE_GOLDEN=1 and review it`);
  expect(bytes.equals(readFileSync(path))).toBe(true);
}
