// `npm run bench [-- --json] [-- --quick] [-- SECTION...]`: runs the benchmark sections and prints
// their figures (and ratios), or one JSON object with all of them. Figures are never asserted.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Figures } from './section.js';
import { SECTIONS } from './sections.js';

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, quick: { type: 'boolean' } }, allowPositionals: true });
  const unknown = positionals.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown section(s) ${unknown.join(', ')} (sections: ${SECTIONS.map((s) => s.name).join(', ')})\n`);
    return 64;
  }
  const chosen = positionals.length > 0 ? SECTIONS.filter((s) => positionals.includes(s.name)) : SECTIONS;
  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism() };
  const results: Record<string, Figures> = {};
  if (!values.json) process.stdout.write(`mailsetup bench: node ${machine.node}, ${machine.cores} core(s), ${machine.cpu}\n`);
  for (const section of chosen) {
    const log = (line: string) => process.stderr.write(`  [${section.name}] ${line}\n`);
    const figures = await section.run({ quick: values.quick === true, log });
    results[section.name] = figures;
    if (!values.json) {
      process.stdout.write(`\n${section.name}: ${section.summary}\n`);
      const width = Math.max(...Object.keys(figures).map((k) => k.length));
      for (const [name, figure] of Object.entries(figures)) {
        process.stdout.write(`  ${name.padEnd(width)}  ${String(figure.value).padStart(10)} ${figure.unit}${figure.note ? `  (${figure.note})` : ''}\n`);
      }
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ machine, sections: results })}\n`);
  return 0;
}

process.exitCode = await run(process.argv.slice(2));
