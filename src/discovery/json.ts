// One JSON shape for a discovery, for the API and `mailsetup discover --json`.
import type { DiscoveryResult } from './result.js';

export function discoveryJson(result: DiscoveryResult) {
  return {
    email: result.email,
    domain: result.domain,
    found: result.found,
    source: result.source ?? null,
    provider: result.provider ?? null,
    servers: result.servers,
    exchange: result.exchange ?? null,
    /** Every source asked, what was asked and what it said. */
    sources: result.attempts,
    checks: result.checks,
    warnings: result.warnings,
    probed: result.probed,
    cached: result.cached,
    ttlSeconds: result.ttlSeconds,
    elapsedMs: result.elapsedMs,
  };
}
