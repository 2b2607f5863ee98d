// MDM export: one unsigned template profile per provider, variant, account type and device,
// chosen from a staff list (what its rows resolve to) or from the catalog.
import type { Config } from '../config.js';
import { MailsetupError } from '../errors.js';
import { safeFileName } from '../formats/filename.js';
import { buildMdmDeclarations, buildMdmManagedApps, buildMdmProfile, TEMPLATE_PERSON, type MdmFormat, type MdmId } from '../formats/mdm.js';
import { translator } from '../i18n.js';
import { DEVICES, type AccountKind, type Device } from '../model/account.js';
import type { Language } from '../model/provider.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { formatContext, parseGenerateRequest } from '../service/generate.js';
import { kindsOffered, resolveAccount } from '../service/resolve.js';
import type { OutputSink } from './output.js';
import { DEFAULTS } from '../model/defaults.js';

export interface TemplateChoice {
  provider: string;
  variant: string;
  kind: AccountKind;
  device: Device;
  /** Mail domain used for logins built with %EMAILDOMAIN%. */
  domain?: string | undefined;
}

export interface MdmExportOptions {
  mdm: MdmId;
  /** A configuration profile (default) or Declarative Device Management declarations. */
  format?: MdmFormat;
  /** DDM: the https address the MDM serves credential data under. */
  credentialUrl?: string | undefined;
  config: Readonly<Config>;
  catalog: ProviderCatalog;
  language: Language;
  /** Overrides each choice's domain. */
  domain?: string | undefined;
}

const MDM_EXTENSIONS: Readonly<Record<MdmFormat, string>> = { mobileconfig: 'mobileconfig', ddm: 'ddm.zip', 'managed-apps': 'apps.zip' };

function choiceKey(choice: TemplateChoice): string {
  return `${choice.provider}.${choice.variant}.${choice.kind}.${choice.device}`;
}

/** Every combination the catalog offers, narrowed by the options given. */
export function catalogChoices(
  catalog: ProviderCatalog,
  filter: { provider?: string; variant?: string; type?: AccountKind; device?: Device },
): TemplateChoice[] {
  const providers = filter.provider ? [catalog.get(filter.provider)] : catalog.list();
  const choices: TemplateChoice[] = [];
  for (const provider of providers) {
    const variants = filter.variant ? provider.variants.filter((v) => v.id === filter.variant) : provider.variants;
    if (filter.variant && variants.length === 0) {
      throw new MailsetupError(
        'UNKNOWN_VARIANT',
        `${provider.name} has no variant "${filter.variant}" (choose ${provider.variants.map((v) => v.id).join(', ')})`,
        { field: 'variant', rule: 'known-variant' },
      );
    }
    for (const variant of variants) {
      const kinds = kindsOffered(variant).filter((kind) => !filter.type || kind === filter.type);
      for (const kind of kinds) {
        for (const device of filter.device ? [filter.device] : DEVICES) {
          choices.push({ provider: provider.id, variant: variant.id, kind, device, domain: variant.domains[0] ?? provider.domains[0] });
        }
      }
    }
  }
  return choices;
}

export interface MdmFile {
  name: string;
  body: Buffer;
  choice: TemplateChoice;
}

function buildTemplate(choice: TemplateChoice, options: MdmExportOptions): MdmFile {
  const request = parseGenerateRequest({
    email: TEMPLATE_PERSON.email,
    name: TEMPLATE_PERSON.name,
    provider: choice.provider,
    variant: choice.variant,
    type: choice.kind,
    device: choice.device,
    language: options.language,
  });
  const resolved = resolveAccount(request, options.catalog);
  const context = formatContext(resolved, request, options.config);
  const t = translator(options.language);
  const provider = resolved.provider?.shortName ?? choice.provider;
  context.text = {
    ...context.text,
    profileName: t('mdm.profileName', { provider }),
    profileDescription: t('mdm.profileDescription', { provider }),
    accountDescription: provider,
  };
  const domain = options.domain ?? choice.domain;
  const template = { mdm: options.mdm, providerId: choice.provider, variantId: choice.variant, domain };
  const format = options.format ?? DEFAULTS.format;
  let body: Buffer;
  try {
    if (format === 'ddm') body = buildMdmDeclarations(resolved.account, context, template, options.credentialUrl);
    else if (format === 'managed-apps') body = buildMdmManagedApps(resolved.account, context, template);
    else body = Buffer.from(buildMdmProfile(resolved.account, context, template), 'utf8');
  } catch (error) {
    if (error instanceof RangeError) {
      throw new MailsetupError('INVALID_INPUT', `${choice.provider}'s login contains the mail domain; give it with --domain`, {
        field: 'domain',
        rule: 'required',
      });
    }
    throw error;
  }
  return { name: safeFileName(`${options.mdm}-${choiceKey(choice).replaceAll('.', '-')}`, MDM_EXTENSIONS[format]), body, choice };
}

/** Every distinct template, built in memory first so that nothing is written when one fails. */
export function buildTemplates(choices: readonly TemplateChoice[], options: MdmExportOptions): MdmFile[] {
  const unique = new Map(choices.map((choice) => [choiceKey(choice), choice]));
  return [...unique.values()].map((choice) => buildTemplate(choice, options));
}

export async function writeTemplates(files: readonly MdmFile[], sink: OutputSink): Promise<void> {
  for (const file of files) await sink.add(file.name, file.body);
}
