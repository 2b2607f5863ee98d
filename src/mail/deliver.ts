// Mailing each person their files: resumable (a person already marked sent is never mailed again),
// retried with exponential backoff on temporary failures, and reported person by person.
import { closeSync, openSync } from 'node:fs';
import { appendWhole, writeError } from '../files.js';
import { asMailsetupError, MailsetupError } from '../errors.js';
import { organizationNamespace, uuidV5 } from '../model/identifiers.js';
import type { Language } from '../model/provider.js';
import { csvLine } from '../csv.js';
import type { PersonFiles } from '../bulk/run.js';
import { DEFAULTS } from '../model/defaults.js';
import type { EmailParts } from '../model/rules.js';
import { composeMessage, type MailMessage } from './message.js';
import type { MailTransport } from './smtp.js';
import type { SendLedger, SendRecord } from './state.js';

export interface Recipient {
  line: number;
  email: EmailParts;
  name?: string | undefined;
  language: Language;
  device: string;
  files: readonly { format: string; name: string; contentType: string; body: Buffer }[];
}

/** A bulk row as a recipient: the row's language and device already carry the run's defaults. */
export function recipientOf(person: PersonFiles): Recipient {
  const { request } = person;
  return {
    line: person.line,
    email: request.email,
    name: request.name,
    language: request.language ?? DEFAULTS.language,
    device: request.device ?? DEFAULTS.device,
    files: person.files,
  };
}

export type DeliveryStatus = 'sent' | 'already-sent' | 'failed' | 'dry-run';

export interface DeliveryOutcome {
  line: number;
  email: string;
  status: DeliveryStatus;
  attempts: number;
  error?: string | undefined;
}

export interface DeliveryOptions {
  /** Absent in a dry run. */
  transport?: MailTransport | undefined;
  /** Absent in a dry run (nothing is recorded). */
  state?: SendLedger | undefined;
  from: string;
  organization: { name: string; identifier: string };
  /** Extra attempts after the first, for temporary failures. */
  retries: number;
  /** First wait before a retry; doubled each time. */
  backoffMs: number;
  concurrency: number;
  /** Where the per-person report (CSV) goes. */
  reportPath?: string | undefined;
  log: (text: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  templatesDir?: string | undefined;
}

export interface DeliveryReport {
  sent: number;
  alreadySent: number;
  failed: number;
  dryRun: number;
  failures: DeliveryOutcome[];
}

const REPORT_HEADER = ['line', 'email', 'status', 'attempts', 'error'];

/** nodemailer's codes for a connection that could not be made or was lost. */
const CONNECTION_ERRORS = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED']);
/** Consecutive people failing to connect before the run stops. */
const UNREACHABLE_LIMIT = 3;

function isPermanent(error: { responseCode?: number; code?: string }): boolean {
  return typeof error.responseCode === 'number' && error.responseCode >= 500 && error.responseCode < 600;
}

function describe(error: unknown): string {
  const e = error as { response?: string; message?: string; responseCode?: number };
  return (e.response ?? e.message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300);
}

export class Deliverer {
  private readonly active = new Set<Promise<void>>();
  private readonly report: DeliveryReport = { sent: 0, alreadySent: 0, failed: 0, dryRun: 0, failures: [] };
  private readonly reportFd: number | undefined;
  private reportSize = 0;
  private fatal: Error | undefined;
  private closed = false;
  private unreachable = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;
  private readonly fromDomain: string;

  constructor(private readonly options: DeliveryOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? (() => new Date());
    this.fromDomain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'mailsetup.invalid';
    if (options.reportPath) {
      try {
        this.reportFd = openSync(options.reportPath, 'w', 0o644);
        this.reportSize = appendWhole(this.reportFd, `\uFEFF${csvLine(REPORT_HEADER)}`, 0);
      } catch (error) {
        if (this.reportFd !== undefined) closeSync(this.reportFd);
        throw writeError(options.reportPath, error, 'report');
      }
    }
  }

  /** Figures so far, for progress displays. */
  progress(): DeliveryReport {
    return { ...this.report, failures: [...this.report.failures] };
  }

  get sentCount(): number {
    return this.report.sent + this.report.alreadySent;
  }

  /** The same person in the same run always gets the same Message-ID, so a resend is recognisable. */
  messageId(email: string): string {
    const runId = this.options.state?.runId ?? 'dry-run';
    return `<${uuidV5(organizationNamespace(this.options.organization.identifier), `bulk-mail:${runId}:${email.toLowerCase()}`).toLowerCase()}@${this.fromDomain}>`;
  }

  private outcome(outcome: DeliveryOutcome): void {
    if (outcome.status === 'sent') this.report.sent++;
    else if (outcome.status === 'already-sent') this.report.alreadySent++;
    else if (outcome.status === 'dry-run') this.report.dryRun++;
    else {
      this.report.failed++;
      if (this.report.failures.length < 1000) this.report.failures.push(outcome);
    }
    if (this.reportFd === undefined || this.fatal) return;
    try {
      this.reportSize = appendWhole(
        this.reportFd,
        csvLine([outcome.line, outcome.email, outcome.status, outcome.attempts, outcome.error ?? '']),
        this.reportSize,
      );
    } catch (error) {
      this.fatal = writeError(this.options.reportPath!, error, 'report');
    }
  }

  /**
   * Journals a step; false when the journal cannot be written (a full disk). Then the run stops:
   * a message sent without its journal entry could be sent twice by the next run.
   */
  private journal(record: SendRecord): boolean {
    try {
      this.options.state?.record(record);
      return true;
    } catch (error) {
      this.fatal ??= asMailsetupError(error);
      return false;
    }
  }

  /** Queues one person; waits only while the maximum number of sends is in progress. */
  async deliver(recipient: Recipient): Promise<void> {
    if (this.fatal) throw this.fatal;
    const { state } = this.options;
    if (state?.isSent(recipient.email.address)) {
      this.outcome({ line: recipient.line, email: recipient.email.address, status: 'already-sent', attempts: 0 });
      return;
    }
    const message = composeMessage({ ...recipient, organization: this.options.organization.name }, this.options.templatesDir);
    if (!this.options.transport) {
      this.preview(recipient, message);
      return;
    }
    while (this.active.size >= this.options.concurrency) await Promise.race(this.active);
    // A send that ended while this one waited may have set it (the compiler still sees the check above).
    const fatal = this.fatal as Error | undefined;
    if (fatal) throw fatal;
    const task = this.send(recipient, message).finally(() => this.active.delete(task));
    this.active.add(task);
  }

  private preview(recipient: Recipient, message: MailMessage): void {
    const files = message.attachments.map((a) => `${a.filename} (${a.contentType}, ${a.content.length} bytes)`).join(', ');
    const to = message.to.name ? `${message.to.name} <${message.to.address}>` : message.to.address;
    this.options.log(`would send to ${to}: "${message.subject}" with ${files}\n`);
    this.outcome({ line: recipient.line, email: recipient.email.address, status: 'dry-run', attempts: 0 });
  }

  private async send(recipient: Recipient, message: MailMessage): Promise<void> {
    const { transport } = this.options;
    const messageId = this.messageId(recipient.email.address);
    const base = { email: recipient.email.address, messageId, line: recipient.line };
    let attempts = 0;
    for (;;) {
      attempts++;
      // Recorded before the attempt: after a crash, a "sending" entry is retried with the same Message-ID.
      if (!this.journal({ ...base, status: 'sending', attempts, at: this.now().toISOString() })) return;
      try {
        const result = await transport!.send({ ...message, from: this.options.from, messageId });
        if (result.rejected.length > 0 && result.accepted.length === 0)
          throw Object.assign(new Error(`recipient refused: ${result.response}`), { responseCode: 550 });
        this.journal({ ...base, status: 'sent', attempts, at: this.now().toISOString() });
        this.unreachable = 0;
        this.outcome({ line: recipient.line, email: recipient.email.address, status: 'sent', attempts });
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'EAUTH') {
          this.journal({ ...base, status: 'failed', attempts, at: this.now().toISOString(), error: 'SMTP login refused' });
          this.fatal ??= new MailsetupError('SMTP_FAILED', `the SMTP server refused the login: ${describe(error)}`, { field: 'smtp-url', rule: 'smtp-auth' });
          this.outcome({ line: recipient.line, email: recipient.email.address, status: 'failed', attempts, error: 'SMTP login refused' });
          return;
        }
        const permanent = isPermanent(error as { responseCode?: number });
        if (permanent || attempts > this.options.retries) {
          const reason = describe(error);
          // People after people failing to connect: the server is down, so stop instead of
          // working through the whole list with backoff; everyone left stays retriable.
          this.unreachable = CONNECTION_ERRORS.has(code ?? '') ? this.unreachable + 1 : 0;
          if (this.unreachable >= UNREACHABLE_LIMIT) {
            this.fatal ??= new MailsetupError('SMTP_FAILED', `the SMTP server cannot be reached (${reason}); run again when it is back`, {
              field: 'smtp-url',
              rule: 'smtp-unreachable',
            });
          }
          this.journal({ ...base, status: 'failed', attempts, at: this.now().toISOString(), error: reason });
          this.outcome({ line: recipient.line, email: recipient.email.address, status: 'failed', attempts, error: reason });
          return;
        }
        await this.sleep(Math.min(this.options.backoffMs * 2 ** (attempts - 1), 60_000));
      }
    }
  }

  /** Resolves when no send is in progress. */
  async idle(): Promise<void> {
    await Promise.all(this.active);
  }

  /** Waits for sends in progress and closes the report. */
  async finish(): Promise<DeliveryReport> {
    await Promise.all(this.active);
    this.abort();
    if (this.fatal) throw this.fatal;
    return this.report;
  }

  /** Releases the connection, the report and the state file; safe to call more than once. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reportFd !== undefined) closeSync(this.reportFd);
    this.options.transport?.close();
    this.options.state?.close();
  }
}
