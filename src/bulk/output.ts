// Where bulk results go: a ZIP archive (APPNOTE.TXT, streamed through yazl) or a folder. Both are
// whole-or-nothing per file: the ZIP is written beside its name and renamed when complete.
import { createWriteStream, mkdirSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { MailsetupError } from '../errors.js';
import { writeFileAtomic } from '../cli/io.js';

export interface OutputSink {
  /** Resolves when the sink is ready for more (back-pressure keeps memory flat). */
  add(name: string, body: Buffer): Promise<void>;
  /** Adds a file from disk (the manifest), then completes the output. */
  finish(extra?: { name: string; path: string }): Promise<void>;
  /** Removes whatever was written so far. */
  abort(): Promise<void>;
  readonly path: string;
}

/** Bytes buffered between yazl and the disk before `add` waits for the disk to catch up. */
const HIGH_WATER = 8 * 1024 * 1024;

// yazl keeps every entry (with its closure over the compressed bytes) until end(), and looks for
// the next entry to write by scanning from the first: memory and time grow with the entry count.
// Entries that are fully written are moved aside (and their data released) until end() needs them
// for the central directory. This relies on yazl 3's Entry.state and FILE_DATA_DONE.
interface YazlEntry {
  state: number;
  doFileDataPump?: (() => void) | null;
}
interface YazlInternals {
  entries: YazlEntry[];
}
const FILE_DATA_DONE = 3;

class ZipSink implements OutputSink {
  private readonly zip = new ZipFile();
  private readonly file: WriteStream;
  private readonly temporary: string;
  private readonly written: YazlEntry[] = [];
  private failure: Error | undefined;
  private readonly closed: Promise<void>;
  private readonly mtime = new Date();

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.temporary = `${path}.${process.pid}.part`;
    this.file = createWriteStream(this.temporary, { mode: 0o644 });
    this.closed = new Promise<void>((resolve, reject) => {
      this.file.on('close', resolve);
      this.file.on('error', (error) => {
        this.failure = error;
        reject(new MailsetupError('IO', `cannot write ${path}: ${error.message}`, { field: 'out', rule: 'writable', cause: error }));
      });
    });
    this.closed.catch(() => {});
    this.zip.outputStream.pipe(this.file);
  }

  private compact(): void {
    const entries = (this.zip as unknown as YazlInternals).entries;
    let done = 0;
    while (done < entries.length && entries[done]!.state === FILE_DATA_DONE) done++;
    if (done < 256) return;
    for (const entry of entries.splice(0, done)) {
      entry.doFileDataPump = null;
      this.written.push(entry);
    }
  }

  private backlog(): number {
    return (this.zip.outputStream as Readable).readableLength + this.file.writableLength;
  }

  async add(name: string, body: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.zip.addBuffer(body, name, { mtime: this.mtime, mode: 0o100644 });
    this.compact();
    while (this.backlog() > HIGH_WATER && !this.failure) {
      // 'drain' only comes after a refused write; the short timer covers data still in yazl's stream.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.file.off('drain', done);
          resolve();
        };
        const timer = setTimeout(done, 5);
        this.file.once('drain', done);
      });
      this.compact();
    }
  }

  async finish(extra?: { name: string; path: string }): Promise<void> {
    if (extra) this.zip.addFile(extra.path, extra.name, { mtime: this.mtime, mode: 0o100644 });
    // Entries still pending are written first; the central directory then needs all of them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const internals = this.zip as unknown as YazlInternals;
    internals.entries = [...this.written, ...internals.entries];
    this.written.length = 0;
    this.zip.end();
    await this.closed;
    renameSync(this.temporary, this.path);
    if (extra) rmSync(extra.path, { force: true });
  }

  async abort(): Promise<void> {
    this.zip.outputStream.unpipe(this.file);
    this.file.destroy();
    rmSync(this.temporary, { force: true });
  }
}

class DirectorySink implements OutputSink {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
  }

  async add(name: string, body: Buffer): Promise<void> {
    writeFileAtomic(join(this.path, name), body);
  }

  async finish(extra?: { name: string; path: string }): Promise<void> {
    if (extra) renameSync(extra.path, join(this.path, extra.name));
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
    return new ZipSink(path);
  }
  try {
    return new DirectorySink(path);
  } catch (error) {
    throw new MailsetupError('IO', `cannot create folder ${path}`, { field: 'out', rule: 'writable', cause: error });
  }
}
