// The admin page for IT staff: upload a staff list, see each row checked, download everyone's
// files as a ZIP, mail them, watch the progress. Enabled only when MAILSETUP_ADMIN_TOKEN is set;
// every API call carries it as a bearer token (no cookies, so no cross-site request forgery), and
// never in a URL: address bars, histories and proxy logs keep URLs. The uploads and their
// summaries are in jobs.ts, the token checks in auth.ts, the page in page.ts.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Request } from 'express';
import { inlineGenerator } from '../../bulk/generator.js';
import { streamSink } from '../../bulk/output.js';
import { runBulk } from '../../bulk/run.js';
import { silentLogger } from '../../logger.js';
import { DEFAULTS } from '../../model/defaults.js';
import { Deliverer, recipientOf } from '../../mail/deliver.js';
import { redactSmtpUrl, smtpTransport } from '../../mail/smtp.js';
import { MemoryLedger } from '../../mail/state.js';
import { readBody } from '../body.js';
import type { AppDeps } from '../deps.js';
import { apiErrorHandler, logError, toMailsetupError } from '../error-handler.js';
import { locals, pageLanguage } from '../middleware.js';
import { bearerToken, TOKEN_IN_URL_MESSAGE, tokenInUrl } from './auth.js';
import {
  adminError,
  adminStaffSource,
  ADMIN_LIMITS,
  expireJobs,
  jobSummary,
  parseEncoding,
  parseFormats,
  staffNames,
  type Job,
  type SendProgress,
} from './jobs.js';
import { ADMIN_DIR, adminPages } from './page.js';

export { tokenMatches } from './auth.js';
export { adminStaffSource } from './jobs.js';

export function adminRouter(deps: AppDeps): Router {
  const router = Router();
  const expected = deps.config.admin.token;
  if (!expected) return router; // not configured: /admin does not exist
  const now = deps.now ?? Date.now;
  const jobs = new Map<string, Job>();
  // The page in the reader's language (page.ts).
  const page = adminPages(deps.config);
  const script = readFileSync(join(ADMIN_DIR, 'admin.js'), 'utf8');
  const canSend = Boolean(deps.config.mail.smtpUrl && deps.config.mail.from);
  const style = readFileSync(join(ADMIN_DIR, 'admin.css'), 'utf8');

  const source = adminStaffSource;
  const logger = deps.logger ?? silentLogger;
  const answerJson = apiErrorHandler(logger);
  // Rows are built where the web app builds every file: on the worker pool when the server has one.
  const rows = (signed: boolean) =>
    deps.generateRows ?? inlineGenerator({ config: deps.config, catalog: deps.catalog, ...(signed ? { signer: deps.signer } : {}) });

  const expire = () => expireJobs(jobs, now());

  const authenticate = bearerToken(expected);

  const findJob = (req: Request): Job => {
    const job = jobs.get(String(req.params.id));
    if (!job) throw adminError('NOT_FOUND', 'id', 'job', 'no such upload (uploads are kept for an hour)');
    return job;
  };

  // First of all: a token in the query is refused (and, like every query string, never logged).
  router.use((req, res, next) => {
    if (!tokenInUrl(req)) return next();
    const error = adminError('INVALID_INPUT', 'token', 'token-in-url', TOKEN_IN_URL_MESSAGE);
    if (!req.path.startsWith('/api/')) return next(error);
    answerJson(error, req, res, next);
  });

  router.get('/', pageLanguage(), (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(page(locals(res).language));
  });
  // The page's forms post here only when its script did not run; the body is not read.
  router.post('/', (_req, _res, next) => {
    next(adminError('INVALID_INPUT', 'token', 'admin-needs-script', 'the admin page needs JavaScript: it sends the token in a header, never in a form'));
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
        throw adminError('INVALID_INPUT', 'file', 'required', 'upload a staff file (CSV or JSON) as the request body');
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
        generator: rows(false),
        onRow: (entry) => {
          if (job.rows.length >= ADMIN_LIMITS.rows) {
            throw adminError(
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
      res.status(201).json({ ...jobSummary(job), canSend });
    } catch (error) {
      next(error);
    }
  });

  // `?rows=0` leaves out the row list: the page polls this for sending progress.
  api.get('/jobs/:id', (req, res) => {
    res.json({ ...jobSummary(findJob(req), req.query.rows !== '0'), canSend });
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
        generator: rows(true),
        sink: streamSink(res),
        manifestPath: 'memory',
      });
    } catch (error) {
      if (res.headersSent) {
        logError(logger, res, toMailsetupError(error));
        res.destroy();
      } else next(error);
    }
  });

  api.post('/jobs/:id/send', (req, res, next) => {
    try {
      const job = findJob(req);
      const { smtpUrl, from } = deps.config.mail;
      if (!smtpUrl || !from)
        throw adminError(
          'UNSUPPORTED',
          'MAILSETUP_SMTP_URL',
          'smtp-not-configured',
          'sending needs MAILSETUP_SMTP_URL and MAILSETUP_MAIL_FROM in the server configuration',
        );
      if (job.sending?.state === 'sending') return void res.status(202).json(jobSummary(job, false));
      const deliverer = new Deliverer({
        transport: smtpTransport(smtpUrl, DEFAULTS.delivery.connections),
        state: job.ledger,
        from,
        organization: deps.config.organization,
        retries: DEFAULTS.delivery.retries,
        backoffMs: DEFAULTS.delivery.retryDelaySeconds * 1000,
        concurrency: DEFAULTS.delivery.connections,
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
        generator: rows(true),
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
      res.status(202).json(jobSummary(job, false));
    } catch (error) {
      next(error);
    }
  });

  api.use((_req, _res, next) => next(adminError('NOT_FOUND', 'path', 'not-found', 'no such admin call')));
  api.use(answerJson);
  router.use('/api', api);
  return router;
}
