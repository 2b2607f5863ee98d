// Bulk generation: a staff CSV to a ZIP of signed profiles through the real `mailsetup bulk`
// command, each run in a fresh child process so its peak memory is its own. Targets: 10,000 rows
// in at most 5 s on 2 cores and at most 300 MB peak; 100,000 rows with memory as flat as 10,000.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { main } from '../dist/cli/main.js';
import { round, type BenchSection, type Figures } from './section.js';

interface ChildResult {
  seconds: number;
  peakMB: number;
  /** Largest resident set seen in each quarter of the run, MB. */
  quarters: number[];
  code: number;
  stderr: string;
}

const NAMES = ['Иван Петров', 'Åsa Öberg', 'Björn Ström', 'Мария Иванова', 'Anna Berg', 'Ольга Смирнова'];
const DOMAINS = ['nstu.ru', 'mail.ru', 'yandex.ru', 'bk.ru'];

/** A staff list of `rows` people, `;`-separated with a BOM as Excel writes it. */
export function staffCsv(rows: number): string {
  const lines = ['\uFEFFEmail;Name;Device;Language'];
  for (let i = 0; i < rows; i++) {
    lines.push(`person${i}@${DOMAINS[i % DOMAINS.length]};${NAMES[i % NAMES.length]} ${i};${i % 5 === 0 ? 'macos' : 'ios'};${['en', 'ru', 'sv'][i % 3]}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Runs in the child: the bulk command in this process, resident memory sampled as it goes. */
async function child(args: string[]): Promise<void> {
  const samples: { at: number; rss: number }[] = [];
  const sample = () => samples.push({ at: performance.now(), rss: process.memoryUsage.rss() });
  const timer = setInterval(sample, 50);
  let stderr = '';
  const start = performance.now();
  const code = await main(['bulk', ...args], {
    stdout: () => {},
    stderr: (text) => void (stderr += text),
    stdoutBytes: () => {},
    readStdin: () => Promise.resolve(''),
    env: process.env,
    cwd: process.cwd(),
    isTTY: false,
  });
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  sample();
  const end = performance.now();
  const quarters = [0, 1, 2, 3].map((q) => {
    const from = start + ((end - start) * q) / 4;
    const to = start + ((end - start) * (q + 1)) / 4;
    const inQuarter = samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.rss);
    return inQuarter.length > 0 ? Math.max(...inQuarter) / 1048576 : 0;
  });
  const result: ChildResult = { seconds, peakMB: process.resourceUsage().maxRSS / 1024, quarters, code, stderr: stderr.slice(-2000) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(args: string[], env: Record<string, string>, cwd: string): Promise<ChildResult> {
  const entry = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [entry, '--bulk-child', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as ChildResult);
      } catch {
        reject(new Error(`bulk bench child failed: ${out}`));
      }
    });
  });
}

export const bulkBench: BenchSection = {
  name: 'bulk',
  summary: 'staff CSV → ZIP of signed profiles with `mailsetup bulk` (child process per run; wall time and peak resident memory)',
  async run({ quick, log }) {
    const dir = mkdtempSync(join(tmpdir(), 'mailsetup-bench-bulk-'));
    try {
      const env = { MAILSETUP_CERTS_DIR: join(dir, 'certs') };
      const small = quick ? 2000 : 10000;
      const large = quick ? 20000 : 100000;
      writeFileSync(join(dir, 'warm.csv'), staffCsv(10));
      writeFileSync(join(dir, 'small.csv'), staffCsv(small));
      writeFileSync(join(dir, 'large.csv'), staffCsv(large));
      log('warm-up run (creates the development signing identity)');
      await runChild(['warm.csv', '--out', 'warm.zip'], env, dir);
      const figures: Figures = {};
      for (const [label, rows] of [
        ['small', small],
        ['large', large],
      ] as const) {
        log(`${rows} rows → ${label}.zip`);
        const result = await runChild([`${label}.csv`, '--out', `${label}.zip`], env, dir);
        if (result.code !== 0) throw new Error(`bulk run failed (exit ${result.code}): ${result.stderr}`);
        const key = `rows${rows}`;
        figures[`${key}.seconds`] = { value: round(result.seconds), unit: 's', note: label === 'small' ? 'wall time, target ≤ 5 s on 2 cores' : 'wall time' };
        figures[`${key}.perSecond`] = { value: Math.round(rows / result.seconds), unit: '/s', note: 'signed profiles' };
        figures[`${key}.peakRss`] = {
          value: round(result.peakMB),
          unit: 'MB',
          note: label === 'small' ? 'peak resident memory, target ≤ 300 MB' : 'peak resident memory',
        };
        figures[`${key}.rssByQuarter`] = {
          value: round(Math.max(...result.quarters)),
          unit: 'MB',
          note: `largest per quarter of the run: ${result.quarters.map((q) => round(q)).join(' / ')}`,
        };
        figures[`${key}.zipSize`] = { value: round(statSync(join(dir, `${label}.zip`)).size / 1048576), unit: 'MB' };
      }
      const smallPeak = figures[`rows${small}.peakRss`]!.value;
      const largePeak = figures[`rows${large}.peakRss`]!.value;
      figures.memoryGrowth = { value: round(largePeak / smallPeak), unit: 'x', note: `peak at ${large} rows ÷ peak at ${small} rows (flat ≈ 1)` };
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

if (process.argv[2] === '--bulk-child') await child(process.argv.slice(3));
