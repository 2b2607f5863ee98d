// manifest.csv (RFC 4180): one line per staff row, so an operator can see what became of each.
import { closeSync, openSync, writeSync } from 'node:fs';

export const MANIFEST_NAME = 'manifest.csv';
const MANIFEST_HEADER = ['line', 'email', 'status', 'files', 'error'] as const;

export interface ManifestEntry {
  line: number;
  email: string;
  status: 'ok' | 'error';
  files: readonly string[];
  error?: string | undefined;
}

/**
 * A CSV cell: quoted when needed, and a leading = + - @ defused with an apostrophe, because
 * spreadsheet programs run such cells as formulas (CSV injection).
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly (string | number)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

function manifestLine(entry: ManifestEntry): string {
  return csvLine([entry.line, entry.email, entry.status, entry.files.join(' '), entry.error ?? '']);
}

/**
 * Appends manifest lines to a file as rows complete, so memory stays flat whatever the row count;
 * without a path (the admin page's bounded lists) the manifest is kept in memory.
 */
export class ManifestWriter {
  private readonly fd: number | undefined;
  private pending = '';
  private readonly kept: string[] = [];

  constructor(readonly path?: string | undefined) {
    this.fd = path === undefined ? undefined : openSync(path, 'w', 0o644);
    this.pending = `\uFEFF${csvLine([...MANIFEST_HEADER])}`;
  }

  add(entry: ManifestEntry): void {
    this.pending += manifestLine(entry);
    if (this.pending.length > 65536) this.flush();
  }

  private flush(): void {
    if (this.fd === undefined) this.kept.push(this.pending);
    else if (this.pending) writeSync(this.fd, this.pending);
    this.pending = '';
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
  }

  /** The whole manifest, when kept in memory. */
  contents(): Buffer {
    return Buffer.from(this.kept.join(''), 'utf8');
  }
}
