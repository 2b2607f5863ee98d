// manifest.csv (RFC 4180): one line per staff row, so an operator can see what became of each.
import { closeSync, openSync } from 'node:fs';
import { csvLine } from '../csv.js';
import { appendWhole, writeError, type WriteFn } from '../files.js';

export const MANIFEST_NAME = 'manifest.csv';
const MANIFEST_HEADER = ['line', 'email', 'status', 'files', 'error'] as const;

export interface ManifestEntry {
  line: number;
  email: string;
  status: 'ok' | 'error';
  files: readonly string[];
  error?: string | undefined;
}

function manifestLine(entry: ManifestEntry): string {
  return csvLine([entry.line, entry.email, entry.status, entry.files.join(' '), entry.error ?? '']);
}

export interface ManifestFile {
  /** Where the lines go while the run lasts. */
  path: string;
  /** The file errors name (the manifest the person will look for). */
  label: string;
  /** Every line on disk as soon as it is added, not in blocks. */
  eachLine: boolean;
  write?: WriteFn | undefined;
}

/**
 * Appends manifest lines to a file as rows complete, so memory stays flat whatever the row count;
 * without a file (the admin page's bounded lists) the manifest is kept in memory. A write that
 * fails is undone (the file is cut back to its last whole line) and reported as an IO error.
 */
export class ManifestWriter {
  private readonly fd: number | undefined;
  private pending = '';
  private readonly kept: string[] = [];
  private size = 0;
  private broken = false;
  private closed = false;
  readonly path: string | undefined;

  constructor(private readonly file?: ManifestFile | undefined) {
    this.path = file?.path;
    try {
      this.fd = file === undefined ? undefined : openSync(file.path, 'w', 0o644);
    } catch (error) {
      throw writeError(file!.label, error);
    }
    this.pending = `\uFEFF${csvLine([...MANIFEST_HEADER])}`;
  }

  add(entry: ManifestEntry): void {
    if (this.broken) throw writeError(this.file!.label, new Error('an earlier write failed'));
    this.pending += manifestLine(entry);
    if (this.file?.eachLine || this.pending.length > 65536) this.flush();
  }

  private flush(): void {
    const text = this.pending;
    this.pending = '';
    if (this.fd === undefined) return void this.kept.push(text);
    if (!text) return;
    try {
      this.size = appendWhole(this.fd, text, this.size, this.file!.write);
    } catch (error) {
      this.broken = true; // and the file keeps its whole lines
      throw writeError(this.file!.label, error);
    }
  }

  /** Writes what is left; after a failed write, keeps the whole lines already there. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.broken) this.flush();
    } finally {
      if (this.fd !== undefined) closeSync(this.fd);
    }
  }

  /** The whole manifest, when kept in memory. */
  contents(): Buffer {
    return Buffer.from(this.kept.join(''), 'utf8');
  }
}
