// Where bulk results go: a ZIP archive (APPNOTE.TXT, streamed by formats/zip.ts) or a folder.
// Nothing half-written is ever left under a final name: the ZIP is written beside its name and
// renamed when complete (or removed); each file of a folder is written under a temporary name and
// renamed. Every write is checked, so a full disk is an IO error naming the file, never a short file.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { MailsetupError } from '../errors.js';
import { moveFile, removeStaleParts, temporaryPath, writeAll, writeError, writeFileAtomic, type StaleParts, type WriteFn } from '../files.js';
import { ZipStreamWriter } from '../formats/zip.js';
import { MANIFEST_NAME, type ManifestFile } from './manifest.js';

export type ExtraFile = { name: string; path: string } | { name: string; body: Buffer };

export interface OutputSink {
  /** Resolves when the sink is ready for more (back-pressure keeps memory flat). */
  add(name: string, body: Buffer): Promise<void>;
  /** Takes back files added for a row that could not be completed (a folder; an archive is dropped whole). */
  remove(names: readonly string[]): void;
  /** Adds the manifest (from disk or memory), then completes the output. */
  finish(extra?: ExtraFile): Promise<void>;
  /**
   * The run failed: an archive is removed; a folder keeps the whole files written so far and gets
   * the manifest of those rows. Safe to call more than once, and after finish.
   */
  abort(manifest?: ExtraFile): Promise<void>;
  readonly path: string;
  /** Where the manifest grows while the run lasts; absent: in memory (a download). */
  readonly manifest?: ManifestFile | undefined;
}

/** Where archive bytes go: a file (renamed into place when complete) or a stream (an HTTP response). */
interface ZipTarget {
  readonly flushBytes: number;
  /** Returns false when the target wants the writer to wait for `drained`. */
  write(chunks: Buffer[]): boolean;
  drained(): Promise<void>;
  end(): Promise<void>;
  discard(): void;
}

function fileTarget(path: string, write: WriteFn | undefined): ZipTarget {
  const temporary = temporaryPath(path);
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(temporary, 'wx', 0o644);
  } catch (error) {
    throw writeError(path, error);
  }
  const close = () => {
    if (fd === undefined) return;
    const open = fd;
    fd = undefined;
    closeSync(open);
  };
  return {
    // Written a megabyte at a time: a stream would make a trip to the thread pool per small chunk.
    flushBytes: 1024 * 1024,
    write(chunks) {
      try {
        writeAll(fd!, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), write);
      } catch (error) {
        throw writeError(path, error);
      }
      return true;
    },
    drained: async () => {},
    end() {
      try {
        // On disk before the rename: a crash then leaves the old archive or the new one, whole.
        fsyncSync(fd!);
        close(); // a network disk may report a failed write only here
        renameSync(temporary, path);
      } catch (error) {
        throw writeError(path, error);
      }
      return Promise.resolve();
    },
    discard() {
      try {
        close();
      } finally {
        rmSync(temporary, { force: true });
      }
    },
  };
}

function streamTarget(stream: Writable): ZipTarget {
  return {
    flushBytes: 64 * 1024,
    write: (chunks) => stream.write(Buffer.concat(chunks)),
    drained: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          stream.off('drain', done);
          stream.off('close', done);
          resolve();
        };
        stream.once('drain', done);
        stream.once('close', done);
      }),
    end: () => new Promise<void>((resolve) => stream.end(resolve)),
    discard: () => stream.destroy(),
  };
}

class ZipSink implements OutputSink {
  private readonly zip: ZipStreamWriter;
  private failure: Error | undefined;
  private done = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private blocked = false;

  constructor(
    readonly path: string,
    private readonly target: ZipTarget,
    readonly manifest?: ManifestFile | undefined,
  ) {
    // The writer hands over a header and the data per entry; they are gathered and written in blocks.
    this.zip = new ZipStreamWriter(
      (chunk) => {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      },
      { mtime: new Date(), mode: 0o100644, level: 6 },
    );
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      if (!this.target.write(chunks)) this.blocked = true;
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  async add(name: string, body: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.done) throw new Error('the archive is already finished');
    // Stored, not deflated: zlib sets up a new stream (and its 256 KB window) per entry, which costs
    // more than signing a profile; the archive is about twice as large, and is written far faster.
    this.zip.add(name, body);
    if (this.pendingBytes >= this.target.flushBytes) this.flush();
    if (this.blocked) {
      this.blocked = false;
      await this.target.drained();
    }
  }

  remove(): void {}

  async finish(extra?: ExtraFile): Promise<void> {
    try {
      if (this.failure) throw this.failure;
      // The one manifest is deflated: a CSV shrinks several times, for a moment of zlib.
      if (extra) this.zip.add(extra.name, 'path' in extra ? readFileSync(extra.path) : extra.body, { deflate: true });
      this.zip.finish();
      this.done = true;
      this.flush();
      await this.target.end();
    } catch (error) {
      this.done = true;
      this.target.discard();
      throw error;
    } finally {
      if (extra && 'path' in extra) rmSync(extra.path, { force: true });
    }
  }

  abort(manifest?: ExtraFile): Promise<void> {
    if (manifest && 'path' in manifest) rmSync(manifest.path, { force: true });
    if (this.done && !this.failure) return Promise.resolve(); // finished, or aborted already
    this.done = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.target.discard();
    return Promise.resolve();
  }
}

/** A ZIP written to a stream as it is made (an HTTP download). */
export function streamSink(stream: Writable, name = 'download.zip'): OutputSink {
  return new ZipSink(name, streamTarget(stream));
}

class DirectorySink implements OutputSink {
  private created = false;

  constructor(
    readonly path: string,
    readonly manifest: ManifestFile,
    private readonly write: WriteFn | undefined,
  ) {}

  /** The folder is made with the first file, so a run that fails early leaves nothing. */
  private ensure(): void {
    if (this.created) return;
    try {
      mkdirSync(this.path, { recursive: true });
    } catch (error) {
      throw new MailsetupError('IO', `cannot create folder ${this.path}`, { field: 'out', rule: 'writable', cause: error });
    }
    this.created = true;
  }

  add(name: string, body: Buffer): Promise<void> {
    this.ensure();
    writeFileAtomic(join(this.path, name), body, { write: this.write });
    return Promise.resolve();
  }

  remove(names: readonly string[]): void {
    for (const name of names) rmSync(join(this.path, name), { force: true });
  }

  private place(extra: ExtraFile): void {
    const to = join(this.path, extra.name);
    if ('body' in extra) return writeFileAtomic(to, extra.body, { write: this.write });
    try {
      moveFile(extra.path, to);
    } catch (error) {
      throw writeError(to, error);
    }
  }

  finish(extra?: ExtraFile): Promise<void> {
    this.ensure();
    if (extra) this.place(extra);
    return Promise.resolve();
  }

  abort(manifest?: ExtraFile): Promise<void> {
    if (!manifest) return Promise.resolve();
    // Files were written: the manifest says which. Nothing was: nothing is left, not even the folder.
    if (this.created) this.place(manifest);
    else if ('path' in manifest) rmSync(manifest.path, { force: true });
    return Promise.resolve();
  }
}

export interface SinkOptions {
  /** Told about leftovers of earlier runs that were removed. */
  warn?: ((text: string) => void) | undefined;
  /** The write call (tests make the disk fill up with it). */
  write?: WriteFn | undefined;
}

/**
 * Beside the output, not in it (a folder is only made with its first file). A folder's files are
 * visible as they come, so its manifest keeps up line by line; an archive's joins it at the end.
 */
function manifestPlace(path: string, folder: boolean, write: WriteFn | undefined): ManifestFile {
  return {
    path: join(dirname(path), `.${basename(path)}.${process.pid}.manifest.part`),
    label: folder ? join(path, MANIFEST_NAME) : path,
    eachLine: folder,
    write,
  };
}

function deadRuns(stale: StaleParts): string {
  return stale.pids.length === 1 ? `process ${stale.pids[0]}` : `processes ${stale.pids.join(', ')}`;
}

/** `.zip` paths become archives; anything else is a folder. Leftovers of runs that died are removed first. */
export function openSink(path: string, options: SinkOptions = {}): OutputSink {
  const base = basename(path);
  // An archive's and a manifest's temporary files live beside the output, a folder's files inside it.
  const beside = removeStaleParts(dirname(path), (name) => name === base);
  if (/\.zip$/i.test(path)) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // does not exist yet: fine
    }
    if (isDirectory) throw new MailsetupError('IO', `${path} is a folder; give a .zip file name`, { field: 'out', rule: 'writable' });
    if (beside.removed.length > 0) options.warn?.(`removed ${beside.removed.length} temporary file(s) left by an interrupted run (${deadRuns(beside)})`);
    return new ZipSink(path, fileTarget(path, options.write), manifestPlace(path, false, options.write));
  }
  // Inside a folder that may hold other files, only names exactly as temporaryPath makes them.
  const inside = removeStaleParts(path, (_name, sequenced) => sequenced);
  const removed = beside.removed.length + inside.removed.length;
  const stale: StaleParts = { removed: [...beside.removed, ...inside.removed], pids: [...new Set([...beside.pids, ...inside.pids])] };
  if (beside.removed.some((name) => name.endsWith('.manifest.part')) && !existsSync(join(path, MANIFEST_NAME))) {
    options.warn?.(
      `${path} was left without ${MANIFEST_NAME} by an interrupted run (${deadRuns(stale)}); removed its ${removed} temporary file(s); this run writes ${MANIFEST_NAME} for the rows it does`,
    );
  } else if (removed > 0) options.warn?.(`removed ${removed} temporary file(s) left by an interrupted run (${deadRuns(stale)})`);
  mkdirSync(dirname(path), { recursive: true });
  return new DirectorySink(path, manifestPlace(path, true, options.write), options.write);
}
