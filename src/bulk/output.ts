// Where bulk results go: a ZIP archive (APPNOTE.TXT, streamed through yazl) or a folder. Both are
// whole-or-nothing per file: the ZIP is written beside its name and renamed when complete.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writevSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ZipFile } from 'yazl';
import { MailsetupError } from '../errors.js';
import { writeFileAtomic } from '../cli/io.js';

export type ExtraFile = { name: string; path: string } | { name: string; body: Buffer };

export interface OutputSink {
  /** Resolves when the sink is ready for more (back-pressure keeps memory flat). */
  add(name: string, body: Buffer): Promise<void>;
  /** Adds the manifest (from disk or memory), then completes the output. */
  finish(extra?: ExtraFile): Promise<void>;
  /** Removes whatever was written so far. */
  abort(): Promise<void>;
  readonly path: string;
}

// yazl keeps every entry (with its closure over the file's bytes) until end(), and looks for the
// next entry to write by scanning from the first: memory and time grow with the entry count.
// Entries that are fully written are replaced by their central directory records. This relies on
// yazl 3's `entries`, Entry.state, FILE_DATA_DONE and getCentralDirectoryRecord().
interface YazlEntry {
  state: number;
  getCentralDirectoryRecord(): Buffer;
}
const EMPTY = Buffer.alloc(0);
interface YazlInternals {
  entries: YazlEntry[];
}
const FILE_DATA_DONE = 3;

/** Where archive bytes go: a file (renamed into place when complete) or a stream (an HTTP response). */
interface ZipTarget {
  readonly flushBytes: number;
  /** Returns false when the target wants the writer to wait for `drained`. */
  write(chunks: Buffer[]): boolean;
  drained(): Promise<void>;
  end(): Promise<void>;
  discard(): void;
}

function fileTarget(path: string): ZipTarget {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.part`;
  const fail = (error: unknown) => new MailsetupError('IO', `cannot write ${path}: ${(error as Error).message}`, { field: 'out', rule: 'writable', cause: error });
  let fd: number;
  try {
    fd = openSync(temporary, 'w', 0o644);
  } catch (error) {
    throw fail(error);
  }
  let open = true;
  return {
    // Written a megabyte at a time: a stream would make a trip to the thread pool per small chunk.
    flushBytes: 1024 * 1024,
    write(chunks) {
      try {
        writevSync(fd, chunks);
      } catch (error) {
        throw fail(error);
      }
      return true;
    },
    drained: async () => {},
    async end() {
      open = false;
      try {
        closeSync(fd);
        renameSync(temporary, path);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw fail(error);
      }
    },
    discard() {
      if (open) closeSync(fd);
      open = false;
      rmSync(temporary, { force: true });
    },
  };
}

function streamTarget(stream: Writable): ZipTarget {
  return {
    flushBytes: 64 * 1024,
    write: (chunks) => stream.write(Buffer.concat(chunks)),
    drained: () => new Promise<void>((resolve) => {
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
  private readonly zip = new ZipFile();
  private directory: Buffer[] = [];
  private directoryCount = 0;
  private failure: Error | undefined;
  private readonly closed: Promise<void>;
  private readonly mtime = new Date();
  private added = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private blocked = false;

  constructor(readonly path: string, private readonly target: ZipTarget) {
    // yazl hands over a few small chunks per entry; they are gathered and written in blocks.
    const output = this.zip.outputStream as Readable;
    this.closed = new Promise<void>((resolve, reject) => {
      output.on('data', (chunk: Buffer) => {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        if (this.pendingBytes >= this.target.flushBytes) this.flush();
      });
      output.on('end', () => {
        this.flush();
        if (this.failure) return reject(this.failure);
        this.target.end().then(resolve, reject);
      });
    });
    this.closed.catch(() => {});
  }

  private flush(): void {
    if (this.pendingBytes === 0 || this.failure) return;
    try {
      if (!this.target.write(this.pending)) this.blocked = true;
    } catch (error) {
      this.failure = error as Error;
    }
    this.pending = [];
    this.pendingBytes = 0;
  }

  private compact(): void {
    const entries = (this.zip as unknown as YazlInternals).entries;
    let done = 0;
    while (done < entries.length && entries[done]!.state === FILE_DATA_DONE) done++;
    if (done < 256) return;
    // A written entry is only needed for its central directory record, which is final once its
    // data is written: keep those bytes (about 80 per entry) and let the entry go.
    for (const entry of entries.splice(0, done)) this.directory.push(entry.getCentralDirectoryRecord());
    this.directoryCount += done;
    if (this.directory.length > 1024) this.directory = [Buffer.concat(this.directory)];
  }

  async add(name: string, body: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    // Stored, not deflated: zlib sets up a new stream (and its 256 KB window) per entry, which costs
    // more than signing a profile; the archive is about twice as large, and is written far faster.
    this.zip.addBuffer(body, name, { mtime: this.mtime, mode: 0o100644, compress: false });
    this.compact();
    // yazl schedules a setImmediate per entry that holds the entry's bytes until it runs; a
    // producer that only awaits promises never lets it run, so give the event loop a turn.
    if (++this.added % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.blocked) {
      this.blocked = false;
      await this.target.drained();
    }
  }

  async finish(extra?: ExtraFile): Promise<void> {
    if (extra && 'path' in extra) this.zip.addFile(extra.path, extra.name, { mtime: this.mtime, mode: 0o100644 });
    if (extra && 'body' in extra) this.zip.addBuffer(extra.body, extra.name, { mtime: this.mtime, mode: 0o100644 });
    // Entries still pending are written first; the central directory then needs all of them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const internals = this.zip as unknown as YazlInternals;
    if (this.directoryCount > 0) {
      // yazl writes one record per entry and counts entries for the end record: the first stand-in
      // writes all kept records, the others nothing.
      const records = Buffer.concat(this.directory);
      const first: YazlEntry = { state: FILE_DATA_DONE, getCentralDirectoryRecord: () => records };
      const rest: YazlEntry = { state: FILE_DATA_DONE, getCentralDirectoryRecord: () => EMPTY };
      internals.entries = [first, ...Array.from({ length: this.directoryCount - 1 }, () => rest), ...internals.entries];
      this.directory = [];
    }
    this.zip.end();
    try {
      await this.closed;
    } catch (error) {
      this.target.discard();
      throw error;
    } finally {
      if (extra && 'path' in extra) rmSync(extra.path, { force: true });
    }
  }

  async abort(): Promise<void> {
    this.zip.outputStream.removeAllListeners('data');
    this.target.discard();
  }
}

/** A ZIP written to a stream as it is made (an HTTP download). */
export function streamSink(stream: Writable, name = 'download.zip'): OutputSink {
  return new ZipSink(name, streamTarget(stream));
}

class DirectorySink implements OutputSink {
  private created = false;

  constructor(readonly path: string) {}

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

  async add(name: string, body: Buffer): Promise<void> {
    this.ensure();
    writeFileAtomic(join(this.path, name), body);
  }

  async finish(extra?: ExtraFile): Promise<void> {
    this.ensure();
    if (extra && 'path' in extra) renameSync(extra.path, join(this.path, extra.name));
    if (extra && 'body' in extra) writeFileAtomic(join(this.path, extra.name), extra.body);
  }

  async abort(): Promise<void> {}
}

/** `.zip` paths become archives; anything else is a folder. */
export function openSink(path: string): OutputSink {
  if (/\.zip$/i.test(path)) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // does not exist yet: fine
    }
    if (isDirectory) throw new MailsetupError('IO', `${path} is a folder; give a .zip file name`, { field: 'out', rule: 'writable' });
    return new ZipSink(path, fileTarget(path));
  }
  return new DirectorySink(path);
}
