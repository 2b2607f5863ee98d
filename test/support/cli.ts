// Runs the CLI's main() in memory with captured output.
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export async function runCli(argv: string[], options: { cwd: string; env?: Record<string, string>; stdin?: string }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const bytes: Buffer[] = [];
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stdoutBytes: (data) => void bytes.push(data),
    readStdin: () => Promise.resolve(options.stdin ?? ''),
    env: options.env ?? {},
    cwd: options.cwd,
    isTTY: false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, stdoutBytes: Buffer.concat(bytes) };
}
