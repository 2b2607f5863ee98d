// A bulk run: staff rows in, per-person files and a manifest out, in input order. Rows are read,
// generated and written as a stream with a bounded number of batches in flight, so memory stays
// flat whatever the list's length; a bad row is reported and the others still produced.
import { rmSync } from 'node:fs';
import type { GenerateRequest } from '../model/request.js';
import type { BatchGenerator, OutputFile, RowOutput, RowTask } from './generator.js';
import { readStaff, type StaffSource } from './input.js';
import { ManifestWriter, MANIFEST_NAME, type ManifestEntry, type ManifestFile } from './manifest.js';
import type { ExtraFile, OutputSink } from './output.js';
import type { Progress, ProgressCounts } from './progress.js';
import { checkRow, describeRowError, errorOf, type RowDefaults, type RowError } from './rows.js';

export interface PersonFiles {
  line: number;
  request: GenerateRequest;
  files: OutputFile[];
}

export interface BulkRunOptions {
  source: StaffSource;
  formats: readonly string[];
  unsigned: boolean;
  defaults: RowDefaults;
  generator: BatchGenerator;
  /** Absent: nothing is written (sending or a dry run only). */
  sink?: OutputSink | undefined;
  /**
   * Where the manifest is assembled before it joins the output; `memory` keeps it in memory.
   * Default: where the sink keeps it (beside a ZIP or folder), none without a sink.
   */
  manifestPath?: string | undefined;
  /** Called for every row, in input order, with its manifest line (the admin page's row list). */
  onRow?: ((entry: ManifestEntry) => void) | undefined;
  /** Called for each good row, in input order, after its files are written (delivery). */
  onPerson?: ((person: PersonFiles) => Promise<void>) | undefined;
  progress?: Progress | undefined;
  /** Extra figure shown in the progress (messages sent so far). */
  sentCount?: (() => number) | undefined;
  warn?: ((text: string) => void) | undefined;
  /** Awaited after the last row, before the output is completed (deliveries still in progress). */
  settle?: (() => Promise<void>) | undefined;
  batchSize?: number | undefined;
}

export interface RowFailure {
  line: number;
  email: string;
  error: RowError;
}

export interface BulkSummary {
  rows: number;
  ok: number;
  failed: number;
  files: number;
  /** The first failures (all of them are in the manifest). */
  failures: RowFailure[];
  ignoredColumns: string[];
}

const KEEP_FAILURES = 1000;

type Slot = { line: number; email: string; task?: RowTask; error?: RowError };

export async function runBulk(options: BulkRunOptions): Promise<BulkSummary> {
  const batchSize = options.batchSize ?? 32;
  const window: { slots: Slot[]; outputs: Promise<RowOutput[]> }[] = [];
  const maxInFlight = Math.max(2, options.generator.parallelism * 2);
  const manifestFile: ManifestFile | 'memory' | undefined =
    options.manifestPath === undefined
      ? options.sink?.manifest
      : options.manifestPath === 'memory'
        ? 'memory'
        : { path: options.manifestPath, label: options.manifestPath, eachLine: false };
  const manifest = manifestFile ? new ManifestWriter(manifestFile === 'memory' ? undefined : manifestFile) : undefined;
  const manifestExtra = (): ExtraFile | undefined =>
    !manifest ? undefined : manifest.path ? { name: MANIFEST_NAME, path: manifest.path } : { name: MANIFEST_NAME, body: manifest.contents() };
  const summary: BulkSummary = { rows: 0, ok: 0, failed: 0, files: 0, failures: [], ignoredColumns: [] };
  const counts = (): ProgressCounts => ({ done: summary.rows, ok: summary.ok, failed: summary.failed, sent: options.sentCount?.() });
  const seen = new Map<string, number>();
  /** File names given so far (lower case: a disk or an unzip that ignores case must not merge two people). */
  const names = new Map<string, number>();

  const report = (entry: ManifestEntry) => {
    manifest?.add(entry);
    options.onRow?.(entry);
  };

  const fail = (line: number, email: string, error: RowError) => {
    summary.failed++;
    if (summary.failures.length < KEEP_FAILURES) summary.failures.push({ line, email, error });
    report({ line, email, status: 'error', files: [], error: describeRowError(error) });
  };

  const commit = async (slots: Slot[], outputs: RowOutput[]) => {
    const byLine = new Map(outputs.map((output) => [output.line, output]));
    for (const slot of slots) {
      summary.rows++;
      const output = slot.task ? byLine.get(slot.line) : undefined;
      const error = slot.error ?? output?.error;
      if (error || !output || !slot.task) {
        fail(slot.line, slot.email, error ?? { field: 'row', rule: 'internal', message: 'produced no files' });
      } else {
        const taken = output.files.map((file) => names.get(file.name.toLowerCase())).find((line) => line !== undefined);
        if (taken !== undefined) {
          // Names carry a hash of the address, so this takes two addresses made to collide; refused, never overwritten.
          fail(slot.line, slot.email, { field: 'email', rule: 'file-name-taken', message: `its file name is already used for line ${taken}` });
        } else {
          for (const file of output.files) names.set(file.name.toLowerCase(), slot.line);
          await write(slot.line, slot.task.request.email.address, output.files);
          summary.ok++;
          summary.files += output.files.length;
          if (options.onPerson) await options.onPerson({ line: slot.line, request: slot.task.request, files: output.files });
        }
      }
      options.progress?.update(counts());
    }
  };

  /** A row's files and then its manifest line; if either cannot be written, the row's files are taken back. */
  const write = async (line: number, email: string, files: readonly OutputFile[]) => {
    const written: string[] = [];
    try {
      for (const file of files) {
        if (options.sink) await options.sink.add(file.name, file.body);
        written.push(file.name);
      }
      report({ line, email, status: 'ok', files: files.map((f) => f.name) });
    } catch (error) {
      options.sink?.remove(written);
      try {
        report({ line, email, status: 'error', files: [], error: describeRowError(errorOf(error)) });
      } catch {
        // the manifest cannot be written either; it keeps the rows before this one
      }
      throw error;
    }
  };

  const drainOne = async () => {
    const head = window.shift()!;
    await commit(head.slots, await head.outputs);
  };

  const dispatch = async (slots: Slot[]) => {
    const tasks = slots.flatMap((slot) => (slot.task ? [slot.task] : []));
    const outputs = tasks.length > 0 ? options.generator.run(tasks) : Promise.resolve([]);
    outputs.catch(() => {});
    window.push({ slots, outputs });
    if (window.length >= maxInFlight) await drainOne();
  };

  try {
    let batch: Slot[] = [];
    const rows = readStaff(options.source, (header) => {
      summary.ignoredColumns = header.ignored;
      if (header.ignored.length > 0) options.warn?.(`ignoring column(s) ${header.ignored.map((h) => `"${h}"`).join(', ')}`);
    });
    for await (const row of rows) {
      const checked = checkRow(row, options.defaults, seen);
      batch.push(
        checked.ok
          ? {
              line: checked.line,
              email: checked.request.email.address,
              task: { line: checked.line, request: checked.request, formats: options.formats, unsigned: options.unsigned },
            }
          : { line: checked.line, email: checked.email, error: checked.error },
      );
      if (batch.length >= batchSize) {
        await dispatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await dispatch(batch);
    while (window.length > 0) await drainOne();
    await options.settle?.();
    manifest?.close();
    if (options.sink) await options.sink.finish(manifestExtra());
    options.progress?.end(counts());
    return summary;
  } catch (error) {
    // A folder keeps what was done, with the manifest of it; an archive is removed whole.
    try {
      manifest?.close();
    } catch {
      // it keeps its whole lines
    }
    if (options.sink) await options.sink.abort(manifestExtra());
    else if (manifest?.path) rmSync(manifest.path, { force: true });
    throw error;
  }
}
