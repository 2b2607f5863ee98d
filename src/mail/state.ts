// The send state of a bulk run: an append-only journal (one JSON object per line, each written
// with a single append and fsync'd), compacted into a fresh file by write-then-rename when opened.
// A crash can only lose or tear the last line, which the reader ignores.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../cli/io.js';
import { MailsetupError } from '../errors.js';

export type SendStatus = 'sending' | 'sent' | 'failed';

export interface SendRecord {
  /** The address, lower case: the identity of a message in this run. */
  email: string;
  status: SendStatus;
  messageId: string;
  attempts: number;
  at: string;
  error?: string | undefined;
  line?: number | undefined;
}

/** What delivery needs from a send state: the file-backed one below, or one in memory (admin page). */
export interface SendLedger {
  readonly runId: string;
  isSent(email: string): boolean;
  record(record: SendRecord): void;
  close(): void;
}

/** A send state that lives as long as the process: for the admin page, which keeps nothing on disk. */
export class MemoryLedger implements SendLedger {
  private readonly records = new Map<string, SendRecord>();
  readonly runId = randomUUID();

  isSent(email: string): boolean {
    return this.records.get(email.toLowerCase())?.status === 'sent';
  }

  record(record: SendRecord): void {
    this.records.set(record.email.toLowerCase(), { ...record, email: record.email.toLowerCase() });
  }

  close(): void {}
}

interface Header {
  mailsetupSendState: 1;
  runId: string;
  created: string;
}

export class SendState implements SendLedger {
  private readonly records = new Map<string, SendRecord>();
  private fd: number | undefined;
  readonly runId: string;

  private constructor(
    readonly path: string,
    header: Header,
    records: SendRecord[],
  ) {
    this.runId = header.runId;
    for (const record of records) this.records.set(record.email, record);
  }

  /** Reads the journal (if any), rewrites it compacted, and opens it for appending. */
  static open(path: string, now: () => Date = () => new Date()): SendState {
    const release = lock(path);
    try {
      const state = SendState.read(path, now);
      state.release = release;
      return state;
    } catch (error) {
      release();
      throw error;
    }
  }

  private release: () => void = () => {};

  private static read(path: string, now: () => Date): SendState {
    let header: Header | undefined;
    const records: SendRecord[] = [];
    if (existsSync(path)) {
      const lines = readFileSync(path, 'utf8').split('\n');
      for (const line of lines) {
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          continue; // a line torn by a crash
        }
        const object = value as Partial<Header & SendRecord>;
        if (object.mailsetupSendState === 1 && typeof object.runId === 'string') header = object as Header;
        else if (typeof object.email === 'string' && typeof object.status === 'string') records.push(object as SendRecord);
      }
      if (!header) throw new MailsetupError('IO', `${path} is not a mailsetup send state file`, { field: 'state', rule: 'state-file' });
    }
    header ??= { mailsetupSendState: 1, runId: randomUUID(), created: now().toISOString() };
    const state = new SendState(path, header, records);
    state.rewrite(header);
    return state;
  }

  private rewrite(header: Header): void {
    writeFileAtomic(this.path, `${JSON.stringify(header)}\n${[...this.records.values()].map((r) => `${JSON.stringify(r)}\n`).join('')}`, {
      mode: 0o600,
      fsync: true,
    });
    this.fd = openSync(this.path, 'a', 0o600);
  }

  get(email: string): SendRecord | undefined {
    return this.records.get(email.toLowerCase());
  }

  isSent(email: string): boolean {
    return this.get(email)?.status === 'sent';
  }

  record(record: SendRecord): void {
    const entry = { ...record, email: record.email.toLowerCase() };
    this.records.set(entry.email, entry);
    if (this.fd === undefined) throw new Error('send state is closed');
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(this.fd);
  }

  all(): SendRecord[] {
    return [...this.records.values()];
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.release();
    this.release = () => {};
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One run per state file: two runs at once (an overlapping cron job) would both see a person as
 * unsent and both mail them. A lock left by a run that died is taken over.
 */
function lock(path: string): () => void {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new MailsetupError('IO', `cannot create ${lockPath}: ${(error as Error).message}`, { field: 'state', rule: 'writable' });
      }
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new MailsetupError('IO', `another mailsetup run (process ${holder}) is sending with ${path}; wait for it to finish`, {
          field: 'state',
          rule: 'state-locked',
        });
      }
      rmSync(lockPath, { force: true }); // left by a run that died
    }
  }
  throw new MailsetupError('IO', `cannot lock ${path}`, { field: 'state', rule: 'state-locked' });
}
