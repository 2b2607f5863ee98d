// `mailsetup import-ispdb`: converts Thunderbird ISPDB files into a provider file an organisation
// points MAILSETUP_PROVIDERS at, and reports every file loaded or skipped (with the reason).
import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { Document, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import { MailsetupError } from '../../errors.js';
import type { ProviderFileEntry } from '../../model/provider.js';
import { ProviderCatalog } from '../../providers/catalog.js';
import { importIspdb, readIspdbSources, type IspdbImport, type IspdbLoaded } from '../../providers/ispdb.js';
import type { Command, CommandRun } from '../command.js';
import { writeFileAtomic } from '../../files.js';

const DEFAULT_OUT = 'ispdb-providers.yaml';

const HEADER = [
  " Mail providers converted from Thunderbird's ISPDB by `mailsetup import-ispdb`.",
  ' The ISPDB is published under the Mozilla Public License 2.0 (https://mozilla.org/MPL/2.0/);',
  ' this file is derived from it and stays under that licence.',
  ' Use it with MAILSETUP_PROVIDERS=<this file> or --providers <this file>.',
].join('\n');

/** The entry without what the format fills in by default, so the file reads like a hand-written one. */
function compact(entry: ProviderFileEntry): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0 && key !== 'domains') && !(key === 'anyDomain' && v === false))
        .map(([key, v]) => [key, strip(v)]),
    );
  };
  return strip(entry) as Record<string, unknown>;
}

/** YAML with servers and short lists on one line each, as in the bundled provider files. */
function toYaml(value: unknown, header: string, itemComments: readonly string[] = []): string {
  const doc = new Document(value);
  doc.commentBefore = header;
  visit(doc, {
    Seq(_, node, path) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
      const parent = path[path.length - 1];
      if (isPair(parent) && isScalar(parent.key) && parent.key.value === 'servers') {
        for (const item of node.items) if (isMap(item)) item.flow = true;
      }
    },
  });
  const list = doc.get('providers');
  if (isSeq(list)) {
    list.items.forEach((item, index) => {
      if (isMap(item) && itemComments[index]) item.commentBefore = itemComments[index];
    });
  }
  return doc.toString({ lineWidth: 0 });
}

function display(run: CommandRun, file: string): string {
  const rel = relative(run.io.cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

type Destination = { kind: 'stdout' } | { kind: 'file'; path: string } | { kind: 'folder'; path: string };

function destination(run: CommandRun): Destination {
  const out = run.string('out') ?? DEFAULT_OUT;
  if (out === '-') return { kind: 'stdout' };
  const path = resolve(run.io.cwd, out);
  if (/[\\/]$/.test(out) || (existsSync(path) && statSync(path).isDirectory())) return { kind: 'folder', path };
  if (!/\.ya?ml$/i.test(out)) {
    throw new MailsetupError('USAGE', `--out ${out}: give a .yaml file, a folder (ending in /) or - for standard output`, { field: 'out', rule: 'out-format' });
  }
  return { kind: 'file', path };
}

/** Writes the providers; returns the paths written. Everything is built before the first write. */
function write(run: CommandRun, to: Destination, loaded: readonly IspdbLoaded[]): string[] {
  const origin = (item: IspdbLoaded) => ` from ${basename(item.file)}`;
  if (to.kind === 'folder') {
    const files = loaded.map((item) => ({ path: join(to.path, `${item.entry.id}.yaml`), text: toYaml(compact(item.entry), `${HEADER}\n${origin(item)}`) }));
    for (const file of files) writeFileAtomic(file.path, file.text);
    return files.map((file) => file.path);
  }
  const text = toYaml({ providers: loaded.map((item) => compact(item.entry)) }, HEADER, loaded.map(origin));
  if (to.kind === 'stdout') {
    run.io.stdout(text);
    return [];
  }
  writeFileAtomic(to.path, text);
  return [to.path];
}

function report(run: CommandRun, result: IspdbImport, written: string[], toStderr: boolean): void {
  const print = (line: string) => (toStderr ? run.io.stderr(`${line}\n`) : run.io.stdout(`${line}\n`));
  const total = result.loaded.length + result.skipped.length;
  const where = written.length === 1 ? `; wrote ${display(run, written[0]!)}` : written.length > 1 ? `; wrote ${written.length} files` : '';
  print(`loaded ${result.loaded.length} of ${total} ISPDB files, skipped ${result.skipped.length}${where}`);
  if (result.skipped.length > 0) print('skipped:');
  for (const skip of result.skipped) print(`  ${display(run, skip.file)}: ${skip.reason}`);
  if (result.notes.length === 0) return;
  if (!run.values.verbose) {
    print(`${result.notes.length} notes about servers, domains or texts left out (--verbose lists them)`);
    return;
  }
  print('notes:');
  for (const note of result.notes) print(`  ${display(run, note.file)}: ${note.note}`);
}

export const importIspdbCommand: Command = {
  name: 'import-ispdb',
  summary: 'Convert Thunderbird ISPDB files into a provider file.',
  usage: `mailsetup import-ispdb DIR_OR_FILE... [--out FILE.yaml|DIR/|-] [--include-known] [--verbose] [--json]

  DIR_OR_FILE       ISPDB clientConfig files, or folders of them (their *.xml files)
  --out PATH        a .yaml file (default: ./${DEFAULT_OUT}), a folder ending in / (one <id>.yaml
                    per provider), or - for standard output
  --include-known   also import domains the bundled providers already serve (the imported
                    provider then answers for them)
  --verbose         list every note: servers, domains or texts left out, ids changed
  --json            print the report as JSON`,
  options: {
    out: { type: 'string' },
    'include-known': { type: 'boolean' },
    verbose: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: true,
  run(run) {
    if (run.positionals.length === 0) {
      throw new MailsetupError('USAGE', 'name at least one ISPDB file or folder (see mailsetup import-ispdb --help)', { field: 'path', rule: 'required' });
    }
    const to = destination(run);
    if (to.kind === 'stdout' && run.values.json) {
      throw new MailsetupError('USAGE', '--json and --out - both want standard output; choose one', { field: 'out', rule: 'conflict' });
    }
    // Domains the bundled providers serve stay theirs unless asked otherwise: an imported file
    // listed in MAILSETUP_PROVIDERS would otherwise silently take them over.
    // Bundled ids are never taken: a provider file with the same id would replace the bundled one.
    const bundled = ProviderCatalog.load().list();
    const knownDomains = new Map<string, string>();
    if (!run.values['include-known']) {
      for (const provider of bundled) for (const domain of provider.domains) knownDomains.set(domain, provider.id);
    }
    const sources = readIspdbSources(run.positionals.map((path) => resolve(run.io.cwd, path)));
    const result = importIspdb(sources, { knownDomains, reservedIds: bundled.map((provider) => provider.id) });
    const written = result.loaded.length > 0 ? write(run, to, result.loaded) : [];
    if (run.values.json) {
      run.io.stdout(
        `${JSON.stringify(
          {
            files: sources.length,
            loaded: result.loaded.map((item) => ({ file: display(run, item.file), id: item.entry.id, domains: item.entry.domains })),
            skipped: result.skipped.map((skip) => ({ file: display(run, skip.file), reason: skip.reason })),
            notes: result.notes.map((note) => ({ file: display(run, note.file), note: note.note })),
            written,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      report(run, result, written, to.kind === 'stdout');
    }
    if (result.loaded.length === 0) {
      throw new MailsetupError('CATALOG_INVALID', `none of the ${sources.length} files could be imported; nothing was written`, {
        field: 'path',
        rule: 'ispdb',
      });
    }
    return Promise.resolve(0);
  },
};
