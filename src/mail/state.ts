// The send state of a bulk run: an append-only journal (one JSON object per line, each written
// whole and fsync'd), compacted into a fresh file by write-then-rename when opened. A crash can
// only lose or tear the last line, which the reader ignores; a write that fails (a full disk) is
// cut back to the last whole line and reported as an IO error naming the file.
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { appendWhole, processAlive, removeStaleParts, writeAll, writeError, writeFileAtomic, type WriteFn } from '../files.js';
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

export interface SendStateOptions {
  now?: () => Date;
  /** The write call (tests make the disk fill up with it). */
  write?: WriteFn | undefined;
}

export class SendState implements SendLedger {
  private readonly records = new Map<string, SendRecord>();
  private fd: number | undefined;
  /** Bytes of whole lines in the journal: where a failed append is cut back to. */
  private size = 0;
  readonly runId: string;

  private constructor(
    readonly path: string,
    header: Header,
    records: SendRecord[],
    private readonly write: WriteFn | undefined,
  ) {
    this.runId = header.runId;
    for (const record of records) this.records.set(record.email, record);
  }

  /** Reads the journal (if any), rewrites it compacted, and opens it for appending. */
  static open(path: string, { now = () => new Date(), write }: SendStateOptions = {}): SendState {
    const release = lock(path, write);
    try {
      // A run that died while compacting left its temporary copy.
      removeStaleParts(dirname(path), (name) => name === basename(path));
      const state = SendState.read(path, now, write);
      state.release = release;
      return state;
    } catch (error) {
      release();
      throw error;
    }
  }

  private release: () => void = () => {};

  private static read(path: string, now: () => Date, write: WriteFn | undefined): SendState {
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
    const state = new SendState(path, header, records, write);
    state.rewrite(header);
    return state;
  }

  private rewrite(header: Header): void {
    writeFileAtomic(this.path, `${JSON.stringify(header)}\n${[...this.records.values()].map((r) => `${JSON.stringify(r)}\n`).join('')}`, {
      mode: 0o600,
      fsync: true,
      field: 'state',
      write: this.write,
    });
    try {
      this.fd = openSync(this.path, 'a', 0o600);
      this.size = fstatSync(this.fd).size;
    } catch (error) {
      throw writeError(this.path, error, 'state');
    }
  }

  get(email: string): SendRecord | undefined {
    return this.records.get(email.toLowerCase());
  }

  isSent(email: string): boolean {
    return this.get(email)?.status === 'sent';
  }

  /** Appends one record, on disk when this returns; throws the IO error (and keeps the journal whole) when it cannot. */
  record(record: SendRecord): void {
    const entry = { ...record, email: record.email.toLowerCase() };
    if (this.fd === undefined) throw new Error('send state is closed');
    try {
      this.size = appendWhole(this.fd, `${JSON.stringify(entry)}\n`, this.size, this.write);
      fsyncSync(this.fd);
    } catch (error) {
      throw writeError(this.path, error, 'state');
    }
    this.records.set(entry.email, entry);
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

/**
 * One run per state file: two runs at once (an overlapping cron job) would both see a person as
 * unsent and both mail them. A lock left by a run that died is taken over.
 */
function lock(path: string, write: WriteFn | undefined): () => void {
  const lockPath = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(lockPath, 'wx', 0o600);
      writeAll(fd, `${process.pid}\n`, write);
      const open = fd;
      fd = undefined;
      closeSync(open);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        // Made but not written (a full disk): it must not be left to look like a lock.
        if (fd !== undefined) {
          closeSync(fd);
          rmSync(lockPath, { force: true });
        }
        throw writeError(lockPath, error, 'state');
      }
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
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
