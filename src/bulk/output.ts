// Where bulk results go: a ZIP archive (APPNOTE.TXT, streamed by formats/zip.ts) or a folder. Both are
// whole-or-nothing per file: the ZIP is written beside its name and renamed when complete.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writevSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { MailsetupError } from '../errors.js';
import { writeFileAtomic } from '../cli/io.js';
import { ZipStreamWriter } from '../formats/zip.js';

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
  const fail = (error: unknown) =>
    new MailsetupError('IO', `cannot write ${path}: ${(error as Error).message}`, { field: 'out', rule: 'writable', cause: error });
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
      this.target.discard();
      throw error;
    } finally {
      if (extra && 'path' in extra) rmSync(extra.path, { force: true });
    }
  }

  async abort(): Promise<void> {
    this.done = true;
    this.pending = [];
    this.pendingBytes = 0;
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
