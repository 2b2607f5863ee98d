// The command line: `mailsetup <command> [options]`. main() never exits the process itself,
// so tests run it in memory; errors become one line on stderr and a documented exit code.
import { parseArgs } from 'node:util';
import { asMailsetupError, MailsetupError } from '../errors.js';
import { commandRun, type Command } from './command.js';
import type { CliIo } from './io.js';
import { COMMANDS } from './commands/index.js';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'mailsetup: email setup files for every device from one provider catalog',
    '',
    'Usage: mailsetup <command> [options]   (mailsetup <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command)
    throw new MailsetupError('USAGE', `unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`, {
      field: 'command',
      rule: 'known-command',
    });
  return command;
}

function parse(command: Command, args: string[]) {
  try {
    return parseArgs({
      args,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new MailsetupError('USAGE', `${message} (see mailsetup ${command.name} --help)`, { field: 'arguments', rule: 'usage' });
  }
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(overview());
      return name === undefined ? 64 : 0;
    }
    if (name === '--version') {
      io.stdout('mailsetup 0.1.0\n');
      return 0;
    }
    const command = findCommand(name);
    const { values, positionals } = parse(command, args);
    if (values.help) {
      io.stdout(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return 0;
    }
    return await command.run(commandRun(values, positionals, io));
  } catch (thrown) {
    const error = asMailsetupError(thrown);
    io.stderr(`mailsetup: error: ${error.message}\n`);
    if (error.code === 'INTERNAL' && io.env.MAILSETUP_DEBUG) io.stderr(`${(thrown as Error)?.stack ?? String(thrown)}\n`);
    return error.exitCode;
  }
}
