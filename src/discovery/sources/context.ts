// What every discovery step gets: the address, the catalog, DNS, the network of this one
// discovery (its deadline and connection limit), the prober, and a log of what was tried.
import type { EmailParts } from '../../model/rules.js';
import type { ProviderCatalog } from '../../providers/catalog.js';
import type { DnsResolver, MxRecord } from '../dns.js';
import { NetFailure, type FetchOptions, type Fetched } from '../network.js';
import type { ProbeReport, ProbeTarget } from '../probe.js';
import type { Attempt, AttemptOutcome, FoundExchange, FoundServer, SourceId } from '../result.js';

export interface StepContext {
  email: EmailParts;
  catalog: ProviderCatalog;
  dns: DnsResolver;
  fetch(url: string, options: FetchOptions): Promise<Fetched>;
  probe(target: ProbeTarget, signal?: AbortSignal): Promise<ProbeReport>;
  /** The domain's MX records, looked up once and shared by the steps that need them. */
  mx(): Promise<MxRecord[]>;
  attempt(attempt: Attempt): void;
  /** Aborts when the discovery's deadline passes or a better answer made this step pointless. */
  signal: AbortSignal;
  maxDocumentBytes: number;
  /** Connections may be made to verify what was found (false: --no-probe). */
  probing: boolean;
}

export type Candidate = Omit<FoundServer, 'verified'>;

/** What one step found; `verified` servers were already confirmed by connecting (guessing). */
export interface StepAnswer {
  servers: (Candidate & { verified?: boolean })[];
  exchange?: FoundExchange | undefined;
  provider?: { id: string; name: string; variant: string } | undefined;
  /** Checks the step made itself (guessing). */
  checks?: ProbeReport[];
  /** The servers are the operator's catalog's (MX → provider): taken as they are, like the catalog's own. */
  fromCatalog?: boolean;
  /** Caught from less trusted places (plain http). */
  lessTrusted?: string | undefined;
}

export interface Step {
  source: SourceId;
  run(context: StepContext): Promise<StepAnswer | undefined>;
}

/** A failed fetch or lookup as an attempt's outcome. */
export function outcomeOf(error: unknown): { outcome: AttemptOutcome; detail: string } {
  if (error instanceof NetFailure) {
    const outcome: AttemptOutcome =
      error.kind === 'refused'
        ? 'refused'
        : error.kind === 'timeout'
          ? 'timeout'
          : error.kind === 'no-address' || /status 404\b/.test(error.message)
            ? 'nothing'
            : 'failed';
    return { outcome, detail: error.message };
  }
  const message = (error as Error | undefined)?.message ?? String(error);
  return { outcome: /timed? ?out|no answer in time/i.test(message) ? 'timeout' : 'failed', detail: message };
}
