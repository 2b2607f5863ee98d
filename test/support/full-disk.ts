// A nearly full disk for a CLI child process: a small tmpfs when the test may mount one (root on
// Linux), otherwise the same limits injected into the child's fs calls (enospc-preload.mjs).
// MAILSETUP_TEST_FULL_DISK=inject forces the second way, to check that it still proves the point.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const PAGE = 4096;
const PRELOAD = new URL('./enospc-preload.mjs', import.meta.url).href;

export interface FullDisk {
  /** Where the limited space is. */
  dir: string;
  /** Environment for the child process (empty on a real tmpfs). */
  env: Record<string, string>;
  how: 'tmpfs' | 'injected';
  remove(): void;
}

function tryMount(dir: string, bytes: number): boolean {
  if (process.env.MAILSETUP_TEST_FULL_DISK === 'inject' || process.platform !== 'linux') return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0777`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fills a tmpfs until exactly `free` bytes (whole pages) are left. */
function fill(dir: string, free: number): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const block = Buffer.alloc(PAGE);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  if (free > 0) execFileSync('truncate', ['-s', `-${free}`, join(dir, 'filler')]);
}

/** `free` bytes left on a fresh disk at `dir` (rounded up to whole pages on tmpfs). */
export function fullDisk(dir: string, free: number): FullDisk {
  mkdirSync(dir, { recursive: true });
  const pages = Math.ceil(free / PAGE);
  if (tryMount(dir, (pages + 16) * PAGE)) {
    fill(dir, pages * PAGE);
    return {
      dir,
      env: {},
      how: 'tmpfs',
      remove: () => {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  return {
    dir,
    env: { NODE_OPTIONS: `--import=${PRELOAD}`, MAILSETUP_TEST_FULL_DIR: dir, MAILSETUP_TEST_FULL_BYTES: String(free) },
    how: 'injected',
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
