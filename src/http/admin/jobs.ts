// The admin page's uploads: what is kept of each (in memory, for an hour, never a password), how
// the request's choices are read, and the summaries the page shows. Pure functions over a Job.
import { parseFormatList } from '../../bulk/generator.js';
import { readStaff, type StaffSource } from '../../bulk/input.js';
import type { ManifestEntry } from '../../bulk/manifest.js';
import { MailsetupError, type Rule } from '../../errors.js';
import type { Deliverer } from '../../mail/deliver.js';
import type { MemoryLedger } from '../../mail/state.js';
import { DEFAULTS } from '../../model/defaults.js';

/** Lists larger than this belong on the command line (`mailsetup bulk`), which streams them. */
export const ADMIN_LIMITS = Object.freeze({ uploadBytes: 5 * 1024 * 1024, rows: 10_000, jobs: 20, jobTtlMs: 60 * 60 * 1000 });

export interface SendProgress {
  state: 'sending' | 'done' | 'failed';
  startedAt: number;
  total: number;
  error?: string;
  /** Its progress() gives the figures, while sending and after. */
  deliverer: Deliverer;
}

/** A row of the check table: its manifest line and the name the staff file gives. */
export type AdminRow = ManifestEntry & { name?: string };

export interface Job {
  id: string;
  name: string;
  staff: Buffer;
  /** The staff file's text encoding as chosen on the page (a WHATWG name); absent: found by the reader. */
  encoding: string | undefined;
  formats: string[];
  unsigned: boolean;
  createdAt: number;
  rows: AdminRow[];
  ok: number;
  ledger: MemoryLedger;
  sending?: SendProgress | undefined;
}

export function adminError(
  code: 'INVALID_INPUT' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNSUPPORTED' | 'PAYLOAD_TOO_LARGE',
  field: string,
  rule: Rule,
  message: string,
): MailsetupError {
  return new MailsetupError(code, message, { field, rule });
}

/** The staff file as the bulk reader takes it; `encoding` is its option for files not in UTF-8. */
export function adminStaffSource(job: Pick<Job, 'staff' | 'name' | 'encoding'>): StaffSource {
  return { buffer: job.staff, name: job.name, ...(job.encoding ? { encoding: job.encoding } : {}) };
}

/** `?encoding=` as a WHATWG name (`cp1251` → `windows-1251`); empty: let the reader decide. */
export function parseEncoding(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    return new TextDecoder(value.trim()).encoding;
  } catch {
    throw adminError(
      'INVALID_INPUT',
      'encoding',
      'known-encoding',
      `"${value.slice(0, 40)}" is not a known text encoding (for example utf-8, windows-1251, windows-1252, koi8-r)`,
    );
  }
}

/** The names the staff file gives, by line, as typed: the check table shows them so a garbled file shows. */
export async function staffNames(source: StaffSource): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for await (const row of readStaff(source)) if (row.values.name) names.set(row.line, row.values.name);
  return names;
}

export function parseFormats(value: unknown): string[] {
  const formats = typeof value === 'string' ? parseFormatList(value, 'formats') : [];
  return formats.length > 0 ? formats : [DEFAULTS.format];
}

export function sendingSummary(sending: SendProgress) {
  const report = sending.deliverer.progress();
  return {
    state: sending.state,
    total: sending.total,
    sent: report.sent,
    alreadySent: report.alreadySent,
    failed: report.failed,
    failures: report.failures.map((f) => ({ line: f.line, email: f.email, error: f.error })),
    ...(sending.error ? { error: sending.error } : {}),
  };
}

export function jobSummary(job: Job, withRows = true) {
  const sending = job.sending ? sendingSummary(job.sending) : undefined;
  return {
    id: job.id,
    name: job.name,
    ...(job.encoding ? { encoding: job.encoding } : {}),
    formats: job.formats,
    unsigned: job.unsigned,
    ok: job.ok,
    failed: job.rows.length - job.ok,
    ...(withRows ? { rows: job.rows } : {}),
    ...(sending ? { sending } : {}),
  };
}

/** Forgets uploads older than the limit, except one still being mailed. */
export function expireJobs(jobs: Map<string, Job>, now: number): void {
  for (const [id, job] of jobs) {
    if (now - job.createdAt > ADMIN_LIMITS.jobTtlMs && job.sending?.state !== 'sending') jobs.delete(id);
  }
}
