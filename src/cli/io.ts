// What a command may touch besides its arguments (tests pass their own).
import { resolve } from 'node:path';
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

/** fs.writeSync's shape: how many bytes of `length` from `offset` went to the file. Tests hand in failing ones. */

export function resolveOutput(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}
