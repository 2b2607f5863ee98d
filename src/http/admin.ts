// The admin page for IT staff: upload a staff list, see each row checked, download everyone's
// files as a ZIP, mail them, watch the progress. Enabled only when MAILSETUP_ADMIN_TOKEN is set;
// every API call carries it as a bearer token (no cookies, so no cross-site request forgery), and
// never in a URL: address bars, histories and proxy logs keep URLs.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { inlineGenerator, parseFormatList } from '../bulk/generator.js';
import { readStaff, type StaffSource } from '../bulk/input.js';
import type { ManifestEntry } from '../bulk/manifest.js';
import { streamSink } from '../bulk/output.js';
import { runBulk } from '../bulk/run.js';
import { MailsetupError, type Rule } from '../errors.js';
import { Deliverer, recipientOf } from '../mail/deliver.js';
import { redactSmtpUrl, smtpTransport } from '../mail/smtp.js';
import { MemoryLedger } from '../mail/state.js';
import { ADMIN_DIR, adminPages } from './admin-page.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { jsonError, logError, toMailsetupError } from './error-handler.js';
import { locals, pageLanguage } from './middleware.js';

/** Lists larger than this belong on the command line (`mailsetup bulk`), which streams them. */
const ADMIN_LIMITS = Object.freeze({ uploadBytes: 5 * 1024 * 1024, rows: 10_000, jobs: 20, jobTtlMs: 60 * 60 * 1000 });

interface SendProgress {
  state: 'sending' | 'done' | 'failed';
  startedAt: number;
  total: number;
  error?: string;
  /** Its progress() gives the figures, while sending and after. */
  deliverer: Deliverer;
}

/** A row of the check table: its manifest line and the name the staff file gives. */
type AdminRow = ManifestEntry & { name?: string };

interface Job {
  id: string;
  name: string;
  staff: Buffer;
  /** The staff file's text encoding as chosen on the page (a WHATWG name); absent: found by the reader. */
  encoding: string | undefined;
  formats: string[];
  unsigned: boolean;
  createdAt: number;
  rows: AdminRow[];
  ok: number;
  ledger: MemoryLedger;
  sending?: SendProgress | undefined;
}

/** Equal-time comparison of digests, so neither the length nor the content of the token leaks. */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function failure(
  code: 'INVALID_INPUT' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNSUPPORTED' | 'PAYLOAD_TOO_LARGE',
  field: string,
  rule: Rule,
  message: string,
): MailsetupError {
  return new MailsetupError(code, message, { field, rule });
}

/** The staff file as the bulk reader takes it; `encoding` is its option for files not in UTF-8. */
export function adminStaffSource(job: Pick<Job, 'staff' | 'name' | 'encoding'>): StaffSource {
  return { buffer: job.staff, name: job.name, ...(job.encoding ? { encoding: job.encoding } : {}) };
}

/** `?encoding=` as a WHATWG name (`cp1251` → `windows-1251`); empty: let the reader decide. */
function parseEncoding(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    return new TextDecoder(value.trim()).encoding;
  } catch {
    throw failure(
      'INVALID_INPUT',
      'encoding',
      'known-encoding',
      `"${value.slice(0, 40)}" is not a known text encoding (for example utf-8, windows-1251, windows-1252, koi8-r)`,
    );
  }
}

/** The names the staff file gives, by line, as typed: the check table shows them so a garbled file shows. */
async function staffNames(source: StaffSource): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for await (const row of readStaff(source)) if (row.values.name) names.set(row.line, row.values.name);
  return names;
}

/** Any query parameter that looks like a token: refused before anything else looks at the request. */
function tokenInUrl(req: Request): boolean {
  return Object.keys(req.query).some((key) => key.toLowerCase().includes('token'));
}

const TOKEN_IN_URL_MESSAGE =
  'the admin token must never be in a URL (address bars, histories and logs keep it), so it was not checked; ' +
  'if it was the real token, change MAILSETUP_ADMIN_TOKEN. Paste the token into the page instead';

function parseFormats(value: unknown): string[] {
  const formats = typeof value === 'string' ? parseFormatList(value, 'formats') : [];
  return formats.length > 0 ? formats : ['mobileconfig'];
}

function sendingSummary(sending: SendProgress) {
  const report = sending.deliverer.progress();
  return {
    state: sending.state,
    total: sending.total,
    sent: report.sent,
    alreadySent: report.alreadySent,
    failed: report.failed,
    failures: report.failures.map((f) => ({ line: f.line, email: f.email, error: f.error })),
    ...(sending.error ? { error: sending.error } : {}),
  };
}

function summary(job: Job, withRows = true) {
  const sending = job.sending ? sendingSummary(job.sending) : undefined;
  return {
    id: job.id,
    name: job.name,
    ...(job.encoding ? { encoding: job.encoding } : {}),
    formats: job.formats,
    unsigned: job.unsigned,
    ok: job.ok,
    failed: job.rows.length - job.ok,
    ...(withRows ? { rows: job.rows } : {}),
    ...(sending ? { sending } : {}),
  };
}

export function adminRouter(deps: AppDeps): Router {
  const router = Router();
  const expected = deps.config.admin.token;
  if (!expected) return router; // not configured: /admin does not exist
  const now = deps.now ?? Date.now;
  const jobs = new Map<string, Job>();
  // issue 15: the page in the reader's language (admin-page.ts).
  const page = adminPages(deps.config);
  const script = readFileSync(join(ADMIN_DIR, 'admin.js'), 'utf8');
  const canSend = Boolean(deps.config.mail.smtpUrl && deps.config.mail.from);
  const style = readFileSync(join(ADMIN_DIR, 'admin.css'), 'utf8');

  const source = adminStaffSource;

  const expire = () => {
    for (const [id, job] of jobs) {
      if (now() - job.createdAt > ADMIN_LIMITS.jobTtlMs && job.sending?.state !== 'sending') jobs.delete(id);
    }
  };

  const authenticate = (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!given) return next(failure('FORBIDDEN', 'authorization', 'admin-token', 'this needs the admin token (Authorization: Bearer …)'));
    // issue 15: a token that was given but does not match is said to be wrong.
    if (!tokenMatches(given, expected)) return next(failure('FORBIDDEN', 'authorization', 'admin-token-wrong', 'the admin token is wrong'));
    next();
  };

  const findJob = (req: Request): Job => {
    const job = jobs.get(String(req.params.id));
    if (!job) throw failure('NOT_FOUND', 'id', 'job', 'no such upload (uploads are kept for an hour)');
    return job;
  };

  // First of all: a token in the query is refused (and, like every query string, never logged).
  router.use((req, res, next) => {
    if (!tokenInUrl(req)) return next();
    const error = failure('INVALID_INPUT', 'token', 'token-in-url', TOKEN_IN_URL_MESSAGE);
    if (!req.path.startsWith('/api/')) return next(error);
    if (deps.logger) logError(deps.logger, res, error);
    jsonError(res, error);
  });

  router.get('/', pageLanguage(), (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(page(locals(res).language));
  });
  // The page's forms post here only when its script did not run; the body is not read.
  router.post('/', (_req, _res, next) => {
    next(failure('INVALID_INPUT', 'token', 'admin-needs-script', 'the admin page needs JavaScript: it sends the token in a header, never in a form'));
  });
  router.get('/admin.css', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('text/css').send(style);
  });
  router.get('/admin.js', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('application/javascript').send(script);
  });

  const api = Router();
  api.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  api.use(authenticate);

  api.post('/jobs', readBody(express.raw({ type: () => true, limit: ADMIN_LIMITS.uploadBytes })), async (req, res, next) => {
    try {
      expire();
      if (!Buffer.isBuffer(req.body) || req.body.length === 0)
        throw failure('INVALID_INPUT', 'file', 'required', 'upload a staff file (CSV or JSON) as the request body');
      const formats = parseFormats(req.query.formats);
      const unsigned = req.query.unsigned === '1' || req.query.unsigned === 'true';
      const name = typeof req.query.name === 'string' && req.query.name ? req.query.name.slice(0, 200) : 'staff.csv';
      const encoding = parseEncoding(req.query.encoding);
      const job: Job = {
        id: randomUUID(),
        name,
        staff: Buffer.from(req.body),
        encoding,
        formats,
        unsigned,
        createdAt: now(),
        rows: [],
        ok: 0,
        ledger: new MemoryLedger(),
      };
      // Built once unsigned: what only resolution can tell (unknown domain, offer) shows now.
      await runBulk({
        source: source(job),
        formats,
        unsigned: true,
        defaults: {},
        generator: inlineGenerator({ config: deps.config, catalog: deps.catalog }),
        onRow: (entry) => {
          if (job.rows.length >= ADMIN_LIMITS.rows) {
            throw failure(
              'PAYLOAD_TOO_LARGE',
              'file',
              'row-limit',
              `the admin page takes up to ${ADMIN_LIMITS.rows} rows; use mailsetup bulk for longer lists`,
            );
          }
          job.rows.push(entry);
          if (entry.status === 'ok') job.ok++;
        },
      });
      // The file read whole above, so a second pass for the names cannot fail where the first did not.
      const names = await staffNames(source(job));
      job.rows = job.rows.map((row) => (names.has(row.line) ? { ...row, name: names.get(row.line)! } : row));
      while (jobs.size >= ADMIN_LIMITS.jobs) jobs.delete(jobs.keys().next().value!);
      jobs.set(job.id, job);
      deps.logger?.info({ job: job.id, rows: job.rows.length, ok: job.ok }, 'admin upload checked');
      res.status(201).json({ ...summary(job), canSend });
    } catch (error) {
      next(error);
    }
  });

  // `?rows=0` leaves out the row list: the page polls this for sending progress.
  api.get('/jobs/:id', (req, res) => {
    res.json({ ...summary(findJob(req), req.query.rows !== '0'), canSend });
  });

  api.get('/jobs/:id/zip', async (req, res, next) => {
    try {
      const job = findJob(req);
      res.status(200).set({ 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="mailsetup-${job.id.slice(0, 8)}.zip"` });
      await runBulk({
        source: source(job),
        formats: job.formats,
        unsigned: job.unsigned,
        defaults: {},
        generator: inlineGenerator({ config: deps.config, catalog: deps.catalog, signer: deps.signer }),
        sink: streamSink(res),
        manifestPath: 'memory',
      });
    } catch (error) {
      if (res.headersSent) {
        logError(deps.logger ?? { info() {}, warn() {}, error() {} }, res, toMailsetupError(error));
        res.destroy();
      } else next(error);
    }
  });

  api.post('/jobs/:id/send', (req, res, next) => {
    try {
      const job = findJob(req);
      const { smtpUrl, from } = deps.config.mail;
      if (!smtpUrl || !from)
        throw failure(
          'UNSUPPORTED',
          'MAILSETUP_SMTP_URL',
          'smtp-not-configured',
          'sending needs MAILSETUP_SMTP_URL and MAILSETUP_MAIL_FROM in the server configuration',
        );
      if (job.sending?.state === 'sending') return void res.status(202).json(summary(job, false));
      const deliverer = new Deliverer({
        transport: smtpTransport(smtpUrl, 2),
        state: job.ledger,
        from,
        organization: deps.config.organization,
        retries: 3,
        backoffMs: 2000,
        concurrency: 2,
        log: () => {},
      });
      const progress: SendProgress = { state: 'sending', startedAt: now(), total: job.ok, deliverer };
      job.sending = progress;
      deps.logger?.info({ job: job.id, smtp: redactSmtpUrl(smtpUrl) }, 'admin sending started');
      runBulk({
        source: source(job),
        formats: job.formats,
        unsigned: job.unsigned,
        defaults: {},
        generator: inlineGenerator({ config: deps.config, catalog: deps.catalog, signer: deps.signer }),
        onPerson: (person) => deliverer.deliver(recipientOf(person)),
        settle: () => deliverer.idle(),
      })
        .then(() => deliverer.finish())
        .then(
          () => {
            progress.state = 'done';
          },
          (error: unknown) => {
            deliverer.abort();
            Object.assign(progress, { state: 'failed', error: toMailsetupError(error).message });
          },
        )
        .finally(() => {
          const report = deliverer.progress();
          deps.logger?.info({ job: job.id, state: progress.state, sent: report.sent, failed: report.failed }, 'admin sending ended');
        });
      res.status(202).json(summary(job, false));
    } catch (error) {
      next(error);
    }
  });

  api.use((_req, _res, next) => next(failure('NOT_FOUND', 'path', 'not-found', 'no such admin call')));
  api.use((thrown: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const error = toMailsetupError(thrown);
    if (deps.logger) logError(deps.logger, res, error);
    jsonError(res, error);
  });
  router.use('/api', api);
  return router;
}
