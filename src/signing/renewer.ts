// The renewal loop for an ACME certificate: one timer, armed at most a day ahead (long timers
// overflow, clocks jump, ARI windows move), that renews at the planned time, retries with backoff
// while the CA cannot be reached or refuses, and records each step for `mailsetup identity`.
import type { RenewalStatus } from './acme-store.js';
import type { WindowAnswer } from './acme.js';
import { MAX_TIMER_MS, renewalTime, retryDelay, URGENT_DAYS, type Backoff, type RenewalWindow } from './renewal.js';

/** Time and timers, injectable so tests can run a renewal schedule without waiting for it. */
export interface RenewalClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: RenewalClock = {
  now: () => Date.now(),
  // Unref'd: a pending renewal never keeps a stopping process alive.
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CurrentCertificate {
  der: Buffer;
  notBefore: number;
  notAfter: number;
  fingerprint256: string;
}

export interface RenewerLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface RenewerOptions {
  clock: RenewalClock;
  random: () => number;
  backoff: Backoff;
  /** Orders, checks and swaps in a new certificate. Throws when any step fails: the current one stays. */
  renew(): Promise<CurrentCertificate>;
  /** The CA's renewal window for a certificate (ARI), when it offers one. */
  window(der: Buffer): Promise<WindowAnswer | undefined>;
  status: { read(): RenewalStatus | undefined; write(status: RenewalStatus): void };
  log: RenewerLog;
}

/** How often to ask the CA again about its window when it does not say (RFC 9773 suggests hours). */
const ARI_POLL_MS = 6 * 3600_000;
const DAY = 24 * 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

export class Renewer {
  readonly #options: RenewerOptions;
  #current: CurrentCertificate;
  #status: RenewalStatus;
  #target = 0;
  #ariCheckAt: number | undefined;
  #timer: unknown;
  #stopped = false;
  #work: Promise<void> = Promise.resolve();

  constructor(options: RenewerOptions, current: CurrentCertificate) {
    this.#options = options;
    this.#current = current;
    const saved = options.status.read();
    // A failure recorded for this same certificate before a restart still counts for the backoff.
    this.#status =
      saved && saved.fingerprint256 === current.fingerprint256 ? saved : { failures: 0, ...(saved?.lastRenewal ? { lastRenewal: saved.lastRenewal } : {}) };
    this.#status.fingerprint256 = current.fingerprint256;
    this.#status.validTo = iso(current.notAfter);
  }

  /** Plans the first renewal (asking the CA for its window) and arms the timer. */
  start(): Promise<void> {
    return this.#queue(() => (this.#status.failures > 0 && this.#status.nextRenewal ? this.#resume() : this.#plan()));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Resolves once the planning or renewal under way (if any) has finished. */
  settled(): Promise<void> {
    return this.#work;
  }

  get status(): Readonly<RenewalStatus> {
    return this.#status;
  }

  #queue(step: () => Promise<void>): Promise<void> {
    this.#work = this.#work.then(step, step);
    return this.#work;
  }

  #save(): void {
    try {
      this.#options.status.write(this.#status);
    } catch (error) {
      this.#options.log.warn({ error: (error as Error).message }, 'acme-status-not-saved');
    }
  }

  #resume(): Promise<void> {
    this.#target = Date.parse(this.#status.nextRenewal!);
    this.#arm();
    return Promise.resolve();
  }

  async #plan(): Promise<void> {
    const { clock, random } = this.#options;
    const answer = await this.#options.window(this.#current.der);
    const window: RenewalWindow | undefined = answer?.window;
    this.#target = renewalTime(this.#current, random, window);
    this.#ariCheckAt = answer ? clock.now() + (answer.retryAfterMs ?? ARI_POLL_MS) : undefined;
    this.#status.nextRenewal = iso(Math.max(this.#target, clock.now()));
    this.#status.nextRenewalReason = window ? 'ari' : 'two-thirds';
    this.#save();
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    const { clock } = this.#options;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    const wakeAt = Math.min(this.#target, this.#ariCheckAt ?? Infinity);
    const delay = Math.min(Math.max(wakeAt - clock.now(), 0), MAX_TIMER_MS);
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#queue(() => this.#wake());
    }, delay);
  }

  async #wake(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#options.clock.now();
    if (now >= this.#target) return this.#attempt();
    if (this.#ariCheckAt !== undefined && now >= this.#ariCheckAt) return this.#plan();
    this.#arm();
  }

  async #attempt(): Promise<void> {
    const { clock, log, backoff, random } = this.#options;
    const started = clock.now();
    this.#status.lastAttempt = iso(started);
    try {
      const renewed = await this.#options.renew();
      if (this.#stopped) return;
      this.#current = renewed;
      this.#status = {
        failures: 0,
        lastRenewal: iso(clock.now()),
        lastAttempt: iso(started),
        fingerprint256: renewed.fingerprint256,
        validTo: iso(renewed.notAfter),
      };
      log.info({ fingerprint256: renewed.fingerprint256, validTo: iso(renewed.notAfter) }, 'certificate-renewed');
      await this.#plan();
    } catch (error) {
      if (this.#stopped) return;
      const failures = this.#status.failures + 1;
      const lifetime = this.#current.notAfter - this.#current.notBefore;
      this.#target = clock.now() + retryDelay(failures, lifetime, backoff, random);
      this.#ariCheckAt = undefined;
      const message = (error as Error).message;
      Object.assign(this.#status, { failures, lastError: message, nextRenewal: iso(this.#target), nextRenewalReason: 'retry' });
      this.#save();
      const daysLeft = Math.floor((this.#current.notAfter - clock.now()) / DAY);
      const fields = { error: message, failures, validTo: iso(this.#current.notAfter), daysLeft, retryAt: iso(this.#target) };
      // The current certificate serves on; with a week left that is no longer a matter for later.
      if (daysLeft < URGENT_DAYS) log.error(fields, 'certificate-renewal-failed');
      else log.warn(fields, 'certificate-renewal-failed');
      this.#arm();
    }
  }
}
