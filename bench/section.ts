// What a benchmark section is, and the one way sections time things, so figures from different
// sections are comparable.
import { performance } from 'node:perf_hooks';

export interface Figure {
  value: number;
  /** `µs`, `/s`, `x`, `MB`, … */
  unit: string;
  note?: string;
}

export type Figures = Record<string, Figure>;

export interface BenchOptions {
  /** Shorter runs (for a smoke test); figures are noisier. */
  quick: boolean;
  /** Progress lines for people (stderr); never part of the figures. */
  log: (line: string) => void;
}

export interface BenchSection {
  /** Short id used on the command line: `npm run bench -- signing`. */
  name: string;
  summary: string;
  run(options: BenchOptions): Promise<Figures>;
}

/** Microseconds per call of `fn`, timed for about `milliseconds` after a short warm-up. */
export function microsPerOp(fn: () => unknown, milliseconds: number): number {
  const warmUntil = performance.now() + Math.min(50, milliseconds / 4);
  while (performance.now() < warmUntil) fn();
  let calls = 0;
  const start = performance.now();
  const until = start + milliseconds;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 16; i++) fn();
    calls += 16;
    now = performance.now();
  }
  return ((now - start) * 1000) / calls;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Times several functions in interleaved rounds (a, b, c, a, b, c, …) and returns each one's
 * median: on a shared machine, load changes between rounds hit every candidate alike, so the
 * ratios stay meaningful even when the absolute figures move.
 */
export function compare<K extends string>(candidates: Record<K, () => unknown>, options: { rounds: number; milliseconds: number }): Record<K, number> {
  const samples = Object.fromEntries(Object.keys(candidates).map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < options.rounds; round++) {
    for (const key of Object.keys(candidates) as K[]) samples[key].push(microsPerOp(candidates[key], options.milliseconds));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v as number[])])) as Record<K, number>;
}

export const round = (value: number, digits = 3) => Number(value.toPrecision(digits));
