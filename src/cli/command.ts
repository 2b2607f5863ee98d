// The shape of a CLI command: its options (node:util parseArgs), help text and run function.
import type { ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config.js';
import { ProviderCatalog } from '../providers/catalog.js';
import type { Signer } from '../signing/signer.js';
import type { CliIo } from './io.js';
import { cliSigner } from './signing.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandRun {
  values: ParsedValues;
  positionals: string[];
  io: CliIo;
  /** Loads configuration from the environment (once). */
  config(): Readonly<Config>;
  /** Loads the provider catalog, honouring --providers and --default-provider. */
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
  const getConfig = () => (config ??= loadConfig(io.env));
  return {
    values,
    positionals,
    io,
    config: getConfig,
    catalog: () => {
      if (!catalog) {
        const base = getConfig();
        const extra = (values.providers as string[] | undefined) ?? [];
        const paths = [...base.providerPaths, ...extra].map((p) => (p.startsWith('/') ? p : `${io.cwd}/${p}`));
        const defaultProvider = (values['default-provider'] as string | undefined) ?? base.defaultProvider;
        catalog = ProviderCatalog.load({ paths, defaultProvider });
      }
      return catalog;
    },
    signer: async () => (signer ??= await cliSigner(values, io, getConfig())),
  };
}
