// Bounded concurrency: at most `size` holders at once, the rest wait in order. Discovery takes a
// slot from its own limiter and from the process-wide one for every connection it opens.

export type Release = () => void;

export interface Limiter {
  /** Resolves with a release function once a slot is free; a waiter whose signal aborts leaves the queue. */
  acquire(signal?: AbortSignal): Promise<Release>;
  readonly active: number;
  readonly waiting: number;
}

export function createLimiter(size: number): Limiter {
  let active = 0;
  const queue: { grant: () => void }[] = [];
  const next = () => {
    while (active < size && queue.length > 0) {
      active++;
      queue.shift()!.grant();
    }
  };
  const releaser = (): Release => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      active--;
      next();
    };
  };
  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      return new Promise<Release>((resolve, reject) => {
        const reason = () => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal?.aborted) return reject(reason());
        const onAbort = () => {
          const index = queue.indexOf(waiter);
          if (index >= 0) queue.splice(index, 1);
          reject(reason());
        };
        const waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve(releaser());
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        next();
      });
    },
  };
}

/** A slot of both limiters, the outer (per request) taken first so one request cannot queue up the whole process. */
export async function acquireBoth(outer: Limiter, inner: Limiter, signal?: AbortSignal): Promise<Release> {
  const first = await outer.acquire(signal);
  try {
    const second = await inner.acquire(signal);
    return () => {
      second();
      first();
    };
  } catch (error) {
    first();
    throw error;
  }
}
