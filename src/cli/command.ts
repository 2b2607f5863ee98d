// The shape of a CLI command: its options (node:util parseArgs), help text and run function.
import type { ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config.js';
import { MailsetupError } from '../errors.js';
import { isLanguage } from '../i18n.js';
import { LANGUAGES, type Language } from '../model/provider.js';
import { ProviderCatalog } from '../providers/catalog.js';
import type { Signer } from '../signing/signer.js';
import { resolveOutput, type CliIo } from './io.js';
import { cliSigner } from './signing.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CatalogSources {
  paths: string[];
  defaultProvider: string | undefined;
}

export interface CommandRun {
  values: ParsedValues;
  positionals: string[];
  io: CliIo;
  /** A string option's value, undefined when not given. */
  string(name: string): string | undefined;
  /** Loads configuration from the environment (once). */
  config(): Readonly<Config>;
  /** Where the catalog comes from: configured paths and --providers (absolute), and the default provider. */
  catalogSources(): CatalogSources;
  /** Loads the provider catalog from catalogSources() (once). */
  catalog(): ProviderCatalog;
  /** The signing identity for Apple profiles (the development one when none is configured); honours the --signing-* flags. */
  signer(): Promise<Signer | undefined>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  positionals?: boolean;
  run(run: CommandRun): Promise<number>;
}

/** Options every command that reads the catalog accepts. */
export const CATALOG_OPTIONS: OptionSpec = {
  providers: { type: 'string', multiple: true },
  'default-provider': { type: 'string' },
};

export function commandRun(values: ParsedValues, positionals: string[], io: CliIo): CommandRun {
  let config: Readonly<Config> | undefined;
  let catalog: ProviderCatalog | undefined;
  let signer: Signer | undefined;
  const string = (name: string) => values[name] as string | undefined;
  const getConfig = () => (config ??= loadConfig(io.env));
  const catalogSources = (): CatalogSources => {
    const base = getConfig();
    const extra = (values.providers as string[] | undefined) ?? [];
    return { paths: [...base.providerPaths, ...extra].map((p) => resolveOutput(io, p)), defaultProvider: string('default-provider') ?? base.defaultProvider };
  };
  return {
    values,
    positionals,
    io,
    string,
    config: getConfig,
    catalogSources,
    catalog: () => (catalog ??= ProviderCatalog.load(catalogSources())),
    signer: async () => (signer ??= await cliSigner(values, io, getConfig())),
  };
}

/** --language, checked against the languages the texts come in. */
export function languageOption(run: CommandRun): Language | undefined {
  const text = run.string('language');
  if (text === undefined || isLanguage(text)) return text;
  throw new MailsetupError('INVALID_INPUT', `"${text}" is not one of ${LANGUAGES.join(', ')}`, { field: '--language', rule: 'allowed-values' });
}
