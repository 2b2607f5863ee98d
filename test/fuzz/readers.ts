// The real parsers, called in batches (one process for many files): Python's plistlib,
// ElementTree, configparser and zipfile (readers.py); libxml2's xmllint; Win::Hivex::Regedit, the
// library behind hivexregedit (reg-reader.pl).
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ReadResult<T> = { ok: true; value: T } | { ok: false; error: string };

export interface XmlNode {
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: XmlNode[];
}

export type PrfSections = Record<string, Record<string, string>>;
export type RegKeys = Record<string, Record<string, string | number>>;
export type Job = { kind: 'plist' | 'xml' | 'prf' | 'zip'; data: Buffer };

/** The repository's root folder, found from this file (the sources, or their compiled copy). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'test', 'fuzz', 'readers.py'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('the repository root (package.json with test/fuzz) was not found');
    dir = parent;
  }
  return dir;
}

function run(command: string, args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${command} could not run: ${error.message}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
    // A reader that does not read its input (xmllint) may exit before it is written.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input);
  });
}

/** Splits work into chunks, run `parallel` at a time (the machine's cores are shared). */
async function inChunks<T, R>(items: readonly T[], size: number, parallel: number, work: (chunk: readonly T[]) => Promise<R[]>): Promise<R[]> {
  const chunks: (readonly T[])[] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  const results: R[][] = chunks.map(() => []);
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const index = next++;
      results[index] = await work(chunks[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, worker));
  return results.flat();
}

export interface Readers {
  python(jobs: readonly Job[]): Promise<ReadResult<unknown>[]>;
  /** xmllint's verdict per document: undefined when well-formed (and valid, with `relaxng`). */
  xmllint(documents: readonly Buffer[], relaxng?: string): Promise<(string | undefined)[]>;
  reg(files: readonly Buffer[]): Promise<ReadResult<RegKeys>[]>;
  close(): void;
}

export function startReaders(options: { parallel?: number } = {}): Readers {
  const root = repoRoot();
  const parallel = options.parallel ?? 2;
  const tmp = mkdtempSync(join(tmpdir(), 'mailsetup-fuzz-'));
  const hive = join(tmp, 'empty.hive');
  copyFileSync(join(root, 'test', 'fixtures', 'reference', 'hivex', 'minimal.hive'), hive);
  let fileNumber = 0;

  return {
    python: (jobs) =>
      inChunks(jobs, 2000, parallel, async (chunk) => {
        const input = JSON.stringify(chunk.map((job) => ({ kind: job.kind, data: job.data.toString('base64') })));
        const out = await run('python3', [join(root, 'test', 'fuzz', 'readers.py')], input);
        if (out.code !== 0) throw new Error(`readers.py failed: ${out.stderr}`);
        return JSON.parse(out.stdout) as ReadResult<unknown>[];
      }),
    xmllint: (documents, relaxng) =>
      inChunks(documents, 400, parallel, async (chunk) => {
        const files = chunk.map((document) => {
          const file = join(tmp, `doc-${++fileNumber}.xml`);
          writeFileSync(file, document);
          return file;
        });
        const args = ['--noout', '--nonet', ...(relaxng ? ['--relaxng', relaxng] : []), ...files];
        const out = await run('xmllint', args, '');
        for (const file of files) rmSync(file, { force: true });
        // xmllint names the file in every complaint; "validates" lines are not complaints.
        const complaints = out.stderr.split('\n').filter((line) => line.trim() !== '' && !/ validates$/.test(line));
        return files.map((file) => {
          const mine = complaints.filter((line) => line.startsWith(`${file}:`) || line.startsWith(`${file} `));
          return mine.length > 0 ? mine.slice(0, 3).join(' | ').replaceAll(tmp, '') : undefined;
        });
      }),
    reg: (files) =>
      inChunks(files, 500, parallel, async (chunk) => {
        const out = await run('perl', [join(root, 'test', 'fuzz', 'reg-reader.pl'), hive], JSON.stringify(chunk.map((file) => file.toString('base64'))));
        if (out.code !== 0) throw new Error(`reg-reader.pl failed: ${out.stderr}`);
        return JSON.parse(out.stdout) as ReadResult<RegKeys>[];
      }),
    close: () => rmSync(tmp, { recursive: true, force: true }),
  };
}
