// What a command may touch besides its arguments; tests pass their own.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Env } from '../config.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Binary output to standard output (`--out -`). */
  stdoutBytes(data: Buffer): void;
  readStdin(): Promise<string>;
  env: Env;
  cwd: string;
  isTTY: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdoutBytes: (data) => process.stdout.write(data),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stderr.isTTY),
  };
}

/** Writes a file whole or not at all: a temporary file beside it, then a rename. */
export function writeFileAtomic(path: string, data: Buffer | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    writeFileSync(temporary, data, { mode: 0o644 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

export function resolveOutput(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}
