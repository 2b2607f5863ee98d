// What /healthz answers: a load balancer takes an instance out while it cannot make files (no
// signing worker can start) and back once the pool has healed; the operator reads the cause.
import type { PoolHealth } from '../service/worker-pool.js';

export interface HealthAnswer {
  status: 200 | 503;
  body: {
    status: 'ok' | 'degraded' | 'unavailable';
    workers?: { running: number; size: number };
    cause?: { code: string; field?: string; rule?: string; message: string };
  };
}

/** Without a pool (files built inline) the app is as healthy as the thread answering. */
export function healthAnswer(workers: PoolHealth | undefined): HealthAnswer {
  if (!workers) return { status: 200, body: { status: 'ok' } };
  const cause = workers.cause
    ? {
        code: workers.cause.code,
        ...(workers.cause.field ? { field: workers.cause.field } : {}),
        ...(workers.cause.rule ? { rule: workers.cause.rule } : {}),
        message: workers.cause.message,
      }
    : undefined;
  const view = { running: workers.running, size: workers.size };
  if (workers.running === 0) return { status: 503, body: { status: 'unavailable', workers: view, ...(cause ? { cause } : {}) } };
  return { status: 200, body: { status: workers.running < workers.size ? 'degraded' : 'ok', workers: view, ...(cause ? { cause } : {}) } };
}
