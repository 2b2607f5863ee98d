// The one entry every transport calls: a validated request in, the bytes of a file out.
import type { Config } from '../config.js';
import { MailsetupError } from '../errors.js';
import type { FormatContext, ProfileText } from '../formats/context.js';
import { safeFileName } from '../formats/filename.js';
import { FORMATS, FORMAT_IDS, isFormatId, type FormatId } from '../formats/registry.js';
import { translator } from '../i18n.js';
import { DEFAULTS } from '../model/defaults.js';
import type { Language } from '../model/provider.js';
import { generateRequestSchema, type GenerateRequest, type GenerateRequestInput } from '../model/request.js';
import { parseWith } from '../model/validate.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import type { Signer } from '../signing/signer.js';
import { resolveAccount, type ResolvedAccount } from './resolve.js';

export interface ServiceDeps {
  config: Readonly<Config>;
  catalog: ProviderCatalog;
  /** Absent: Apple profiles come out unsigned, with a warning. */
  signer?: Signer | undefined;
}

export interface GeneratedFile {
  format: FormatId;
  fileName: string;
  contentType: string;
  body: Buffer;
  signed: boolean;
  warnings: string[];
  resolved: ResolvedAccount;
}

export function parseGenerateRequest(input: GenerateRequestInput | Record<string, unknown>): GenerateRequest {
  return parseWith(generateRequestSchema, input);
}

/**
 * Apple's ConsentText is keyed by language, and the device shows its own language's entry or
 * `default`. Every configured language goes in; `default` is the person's chosen language.
 */
function consentFor(texts: Readonly<Record<string, string>>, language: Language): { consentText?: Record<string, string> } {
  const fallback = texts[language] ?? texts.default ?? texts.en;
  return fallback === undefined ? {} : { consentText: { ...texts, default: fallback } };
}

export function profileText(resolved: ResolvedAccount, language: Language, config: Readonly<Config>): ProfileText {
  const t = translator(language);
  const values = { email: resolved.email.address, provider: resolved.provider?.shortName ?? '' };
  const suffix = resolved.provider ? '' : 'NoProvider';
  return {
    profileName: t('profile.name', values),
    profileDescription: t(`profile.description${suffix}`, values),
    accountDescription: t(`profile.accountDescription${suffix}`, values),
    ...consentFor(config.consentText, language),
  };
}

export function formatContext(resolved: ResolvedAccount, request: GenerateRequest, config: Readonly<Config>): FormatContext {
  const language = request.language ?? DEFAULTS.language;
  return {
    organization: config.organization,
    device: request.device ?? DEFAULTS.device,
    language,
    text: profileText(resolved, language, config),
    includePassword: resolved.account.password !== undefined,
    provider: resolved.provider,
    variant: resolved.variant,
    outlookVersion: request.outlook,
    outlookFolder: config.outlookFolder,
    credentialUrl: request.credentialUrl,
    publicBaseUrl: config.autodiscovery.publicHost ? `https://${config.autodiscovery.publicHost}` : undefined,
  };
}

/** Whether the file asked for is signed: a signable format (Apple profiles), not asked for unsigned. */
export function wantsSignature(request: Pick<GenerateRequest, 'format' | 'unsigned'>): boolean {
  const format = request.format ?? DEFAULTS.format;
  return !request.unsigned && isFormatId(format) && FORMATS[format].signable;
}

/**
 * `resolved` may be passed when the caller already resolved this request against `deps.catalog`
 * (the CLI does, to report input errors before it loads the signing identity).
 */
export function generate(request: GenerateRequest, deps: ServiceDeps, resolved: ResolvedAccount = resolveAccount(request, deps.catalog)): GeneratedFile {
  const formatId = request.format ?? DEFAULTS.format;
  if (!isFormatId(formatId)) {
    throw new MailsetupError('INVALID_INPUT', `"${formatId}" is not one of ${FORMAT_IDS.join(', ')}`, { field: 'format', rule: 'allowed-values' });
  }
  if (request.password !== undefined && !deps.config.allowPasswordEmbedding) {
    throw new MailsetupError('FORBIDDEN', 'this service does not embed passwords; leave it empty and the device will ask for it', {
      field: 'password',
      rule: 'password-forbidden',
    });
  }
  const format = FORMATS[formatId];
  const context = formatContext(resolved, request, deps.config);
  const t = translator(context.language);
  const warnings = resolved.warnings.map((warning) => t(warning.key, warning.values));
  if (context.includePassword) warnings.push(t('warning.passwordEmbedded'));
  const built = format.build(resolved.account, context);
  let body: Buffer = typeof built === 'string' ? Buffer.from(built, 'utf8') : built;
  let signed = false;
  if (wantsSignature(request)) {
    if (deps.signer) {
      body = deps.signer.sign(body);
      signed = true;
    } else {
      warnings.push(t('warning.unsigned'));
    }
  }
  return {
    format: formatId,
    fileName: safeFileName(resolved.email.address, format.extension),
    contentType: format.contentType,
    body,
    signed,
    warnings,
    resolved,
  };
}
