// Writing files so that a failure is an IO error naming the file and never leaves a half-written
// file behind: checked writes, whole-line appends, atomic replace, and the leftovers of dead runs.
import { closeSync, copyFileSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MailsetupError } from './errors.js';

export type WriteFn = (fd: number, buffer: Uint8Array, offset: number, length: number, position: null) => number;

const defaultWrite: WriteFn = (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position);

/** The causes people can act on, in their words; anything else keeps the system's message. */
const CAUSES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file is larger than the disk allows',
  EROFS: 'the disk is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'the disk reported an error',
  EISDIR: 'a folder has that name',
  ENOTDIR: 'a part of the path is not a folder',
};

/** A failed write as the IO error that names the file (the one the person asked for, not a temporary one). */
export function writeError(path: string, error: unknown, field = 'out'): MailsetupError {
  if (error instanceof MailsetupError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const cause = code && CAUSES[code] ? `${CAUSES[code]} (${code})` : String((error as Error | undefined)?.message ?? error);
  return new MailsetupError('IO', `cannot write ${path}: ${cause}`, { field, rule: 'writable', cause: error });
}

/**
 * Writes every byte, however many calls that takes: one write call may write less than asked
 * (a disk filling up does that first), and what was not written is not on disk.
 */
export function writeAll(fd: number, data: Buffer | string, write: WriteFn = defaultWrite): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let offset = 0; offset < bytes.length;) {
    const written = write(fd, bytes, offset, bytes.length - offset, null);
    if (!(written > 0)) throw Object.assign(new Error('a write made no progress'), { code: 'ENOSPC' });
    offset += written;
  }
}

/**
 * Appends `data` to a file that holds `size` bytes of whole records (lines), and returns the new
 * size; when the write fails part-way, cuts the file back to `size` so no torn record is left.
 */
export function appendWhole(fd: number, data: Buffer | string, size: number, write?: WriteFn): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    writeAll(fd, bytes, write);
  } catch (error) {
    try {
      ftruncateSync(fd, size);
    } catch {
      // a reader skips a torn last line; the write error is what matters
    }
    throw error;
  }
  return size + bytes.length;
}

let sequence = 0;

/** A name beside `path` for writing before the rename; the process id lets a later run tell a dead run's leftovers. */
export function temporaryPath(path: string): string {
  return `${path}.${process.pid}.${++sequence}.part`;
}

export interface WriteOptions {
  mode?: number;
  /** On disk before the rename, so a crash leaves the old file or the new one, never an empty one. */
  fsync?: boolean;
  /** The input field that named the file, for the error (`out`, `state`). */
  field?: string;
  write?: WriteFn;
}

/** Writes a file whole or not at all: a temporary file beside it, then a rename; failures are IO errors naming `path`. */
export function writeFileAtomic(path: string, data: Buffer | string, options: WriteOptions = {}): void {
  const temporary = temporaryPath(path);
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(temporary, 'wx', options.mode ?? 0o644);
    writeAll(fd, data, options.write);
    if (options.fsync) fsyncSync(fd);
    const open = fd;
    fd = undefined;
    closeSync(open); // a network disk may report a failed write only here
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw writeError(path, error, options.field);
  }
}

/** Moves a finished file into place; across disks (a folder that is a mount point) by copy. */
export function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const temporary = temporaryPath(to);
    try {
      copyFileSync(from, temporary);
      renameSync(temporary, to);
    } finally {
      rmSync(temporary, { force: true });
    }
    rmSync(from, { force: true });
  }
}

/** Whether a process with this id runs (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `name.PID.part`, `name.PID.N.part`, `.name.PID.manifest.part`: what a run writes before its renames. */
const PART = /^(\.?)(.+?)\.(\d{1,7})(\.\d+)?\.(manifest\.)?part$/;
/** Linux's largest process id: a larger number is not one of ours. */
const PID_MAX = 4194304;

export interface StaleParts {
  removed: string[];
  /** The dead runs they came from. */
  pids: number[];
}

/**
 * Removes the temporary files in `dir` that a run which no longer exists left behind (killed, or
 * the machine stopped), for the names `owns` accepts (told the final name, and whether the
 * temporary name has the sequence number `temporaryPath` adds); those of running processes stay.
 */
export function removeStaleParts(dir: string, owns: (name: string, sequenced: boolean) => boolean): StaleParts {
  const result: StaleParts = { removed: [], pids: [] };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return result; // no folder yet: nothing left behind
  }
  for (const name of names) {
    const match = PART.exec(name);
    if (!match || !owns(match[2]!, match[4] !== undefined)) continue;
    const pid = Number(match[3]);
    if (pid > PID_MAX || pid === process.pid || processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
    result.removed.push(name);
    if (!result.pids.includes(pid)) result.pids.push(pid);
  }
  return result;
}
