// The admin page for IT staff: upload a staff list, see each row checked, download everyone's
// files as a ZIP, mail them, watch the progress. Enabled only when MAILSETUP_ADMIN_TOKEN is set;
// every API call carries it as a bearer token (no cookies, so no cross-site request forgery).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { inlineGenerator, parseFormatList } from '../bulk/generator.js';
import type { StaffSource } from '../bulk/input.js';
import type { ManifestEntry } from '../bulk/manifest.js';
import { streamSink } from '../bulk/output.js';
import { runBulk } from '../bulk/run.js';
import { MailsetupError } from '../errors.js';
import { TEMPLATES_DIR } from '../i18n.js';
import { Deliverer, recipientOf } from '../mail/deliver.js';
import { redactSmtpUrl, smtpTransport } from '../mail/smtp.js';
import { MemoryLedger } from '../mail/state.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { jsonError, logError, toMailsetupError } from './error-handler.js';
import { escapeHtml } from './render.js';

const ADMIN_DIR = join(TEMPLATES_DIR, 'admin');

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

interface Job {
  id: string;
  name: string;
  staff: Buffer;
  formats: string[];
  unsigned: boolean;
  createdAt: number;
  rows: ManifestEntry[];
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
  rule: string,
  message: string,
): MailsetupError {
  return new MailsetupError(code, message, { field, rule });
}

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
  const page = readFileSync(join(ADMIN_DIR, 'index.html'), 'utf8').replaceAll('{{org}}', escapeHtml(deps.config.organization.name));
  const script = readFileSync(join(ADMIN_DIR, 'admin.js'), 'utf8');

  const source = (job: Job): StaffSource => ({ buffer: job.staff, name: job.name });

  const expire = () => {
    for (const [id, job] of jobs) {
      if (now() - job.createdAt > ADMIN_LIMITS.jobTtlMs && job.sending?.state !== 'sending') jobs.delete(id);
    }
  };

  const authenticate = (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!given || !tokenMatches(given, expected)) {
      return next(failure('FORBIDDEN', 'authorization', 'admin-token', 'this needs the admin token (Authorization: Bearer …)'));
    }
    next();
  };

  const findJob = (req: Request): Job => {
    const job = jobs.get(String(req.params.id));
    if (!job) throw failure('NOT_FOUND', 'id', 'job', 'no such upload (uploads are kept for an hour)');
    return job;
  };

  router.get('/', (_req, res) => {
    res.set('Cache-Control', 'no-store').type('html').send(page);
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
      const job: Job = {
        id: randomUUID(),
        name,
        staff: Buffer.from(req.body),
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
      while (jobs.size >= ADMIN_LIMITS.jobs) jobs.delete(jobs.keys().next().value!);
      jobs.set(job.id, job);
      deps.logger?.info({ job: job.id, rows: job.rows.length, ok: job.ok }, 'admin upload checked');
      res.status(201).json(summary(job));
    } catch (error) {
      next(error);
    }
  });

  // `?rows=0` leaves out the row list: the page polls this for sending progress.
  api.get('/jobs/:id', (req, res) => {
    res.json(summary(findJob(req), req.query.rows !== '0'));
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
