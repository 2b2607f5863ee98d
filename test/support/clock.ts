// A clock for renewal schedules: real (or frozen) time plus an offset the test moves, and timers that run
// only when the test fires them, so a schedule months long runs in milliseconds.
import type { RenewalClock } from '../../src/signing/renewer.js';

interface Timer {
  at: number;
  run: () => void;
}

export class TestClock implements RenewalClock {
  offset = 0;
  private readonly timers = new Map<number, Timer>();
  private nextId = 1;
  private readonly frozenAt: number | undefined;

  /** `frozen`: time moves only when the test moves it (else it runs on from real time). */
  constructor(options: { frozen?: boolean } = {}) {
    this.frozenAt = options.frozen ? Date.now() : undefined;
  }

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offset;
  }

  setTimeout(run: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now() + ms, run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Milliseconds from now until each pending timer, soonest first. */
  pending(): number[] {
    const now = this.now();
    return [...this.timers.values()].map((t) => t.at - now).sort((a, b) => a - b);
  }

  /** Moves time forward without running timers (they run when fired). */
  advance(ms: number): void {
    this.offset += ms;
  }

  /** Moves time to the soonest timer and runs it; false when none is pending. */
  fireNext(): boolean {
    const [id, timer] = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
    if (id === undefined || !timer) return false;
    this.timers.delete(id);
    this.offset += Math.max(0, timer.at - this.now());
    timer.run();
    return true;
  }
}
