// Turning validated rows into files, in batches: the same code runs inline (small lists, the admin
// page) and on worker threads (large lists), so both produce byte-identical results.
import type { Config } from '../config.js';
import { MailsetupError } from '../errors.js';
import { FORMAT_IDS, isFormatId } from '../formats/registry.js';
import type { GenerateRequest } from '../model/request.js';
import type { ProviderCatalog } from '../providers/catalog.js';
import { generate } from '../service/generate.js';
import type { Signer } from '../signing/signer.js';
import { errorOf, type RowError } from './rows.js';

export interface RowTask {
  line: number;
  request: GenerateRequest;
  /** Format ids from the FORMATS registry; one file each. */
  formats: readonly string[];
  unsigned: boolean;
}

/** `mobileconfig, autoconfig` → distinct format ids, each checked against FORMATS; may be empty. */
export function parseFormatList(text: string, field: string): string[] {
  const formats = [
    ...new Set(
      text
        .split(',')
        .map((f) => f.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  for (const format of formats) {
    if (!isFormatId(format)) throw new MailsetupError('INVALID_INPUT', `"${format}" is not one of ${FORMAT_IDS.join(', ')}`, { field, rule: 'allowed-values' });
  }
  return formats;
}

export interface OutputFile {
  format: string;
  name: string;
  contentType: string;
  body: Buffer;
  signed: boolean;
}

export interface RowOutput {
  line: number;
  files: OutputFile[];
  warnings: string[];
  error?: RowError;
}

export interface BatchGenerator {
  /** How many batches it works on at once (worker count; 1 inline). */
  readonly parallelism: number;
  run(tasks: readonly RowTask[]): Promise<RowOutput[]>;
  close(): Promise<void>;
}

export interface GeneratorDeps {
  config: Readonly<Config>;
  catalog: ProviderCatalog;
  signer?: Signer | undefined;
}

/** All of a person's files, or none: a row that fails in one format fails whole. */
export function generateRow(task: RowTask, deps: GeneratorDeps): RowOutput {
  try {
    const files: OutputFile[] = [];
    const warnings = new Set<string>();
    for (const format of task.formats) {
      const file = generate({ ...task.request, format, unsigned: task.unsigned }, deps);
      // Two formats with one extension (autoconfig and autodiscover are both .xml) get the format in the name.
      const name = files.some((f) => f.name === file.fileName) ? file.fileName.replace(/(\.[^.]+)$/, `.${format}$1`) : file.fileName;
      files.push({ format: file.format, name, contentType: file.contentType, body: file.body, signed: file.signed });
      for (const warning of file.warnings) warnings.add(warning);
    }
    return { line: task.line, files, warnings: [...warnings] };
  } catch (thrown) {
    return { line: task.line, files: [], warnings: [], error: errorOf(thrown) };
  }
}

export function inlineGenerator(deps: GeneratorDeps): BatchGenerator {
  return {
    parallelism: 1,
    run: (tasks) => Promise.resolve(tasks.map((task) => generateRow(task, deps))),
    close: async () => {},
  };
}
