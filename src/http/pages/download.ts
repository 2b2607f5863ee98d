// The setup form's download (POST /download) answered in front of express when it yields a file:
// the form's busiest answer, on which the main thread spent almost twice as long through express
// (`npm run bench -- http`). What the front does is the express route's own success path: the
// same limit, body reader, request and file, each taken once per request (oncePerRequest), so
// when anything else is the answer (a field to correct, the limit reached, a body that cannot be
// read, a fault) the front hands the request on to express, whose route renders the page from
// the same outcome without counting, reading or generating again. What a client sees of a file
// is the express route's: security headers, request id, the one log line, the limit's headers,
// the download mark, the file's headers.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { silentLogger, type Logger } from '../../logger.js';
import type { AppDeps } from '../deps.js';
import { isSecure, requestTarget, routesTo, setSecurityHeaders, type FrontOptions } from '../front.js';
import { inlineGeneration } from '../generation.js';
import type { ClientLimit } from '../guards.js';
import { beginRequest, rememberedLanguage } from '../middleware.js';
import { fileHeaders } from '../send-file.js';
import { downloadCookie, fileOnce, postedLanguage, readForm } from './kit.js';
import { requestFromForm } from './setup.js';

export const DOWNLOAD_PATH = '/download';

export interface FormDownloadOptions extends FrontOptions {
  /** The generation limit the express routes use, counting each request once. */
  generationLimit: ClientLimit;
}

/**
 * Whether the front answers this request: POST /download as express routes it, with no query
 * string (a `?lang=` there sets the language cookie, a page's work).
 */
export function isFormDownload(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const { path, query } = requestTarget(req.url ?? '');
  return query === '' && routesTo(path, DOWNLOAD_PATH);
}

/** POST /download in front of `app` while it yields a file; everything else is `app`'s. */
export function withFormDownload(app: RequestListener, deps: AppDeps, options: FormDownloadOptions): RequestListener {
  const { config } = deps;
  const logger: Logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const generateFile = deps.generate ?? inlineGeneration(deps);

  /** The file and its download mark; rejects when the answer is a page (express's to give). */
  const fileFor = async (req: IncomingMessage, res: ServerResponse) => {
    // The express route's order: the limit, then the body, then the request and its file.
    await options.generationLimit(req, res);
    const body = (await readForm(req, res)) as Record<string, unknown> | undefined;
    // The page language a form's answer is in: the posted field, else the cookie or the browser's.
    const language = postedLanguage(body, rememberedLanguage(req.headers.cookie, req.headers['accept-language']));
    const { request } = requestFromForm(body, language);
    const file = await fileOnce(req, () => generateFile(request));
    return { file, mark: downloadCookie(body?.download_id, isSecure(req, options.trustProxy), Date.now()) };
  };

  return (req, res) => {
    if (!isFormDownload(req)) return app(req, res);
    beginRequest(logger, now, config, req, res);
    setSecurityHeaders(res, options.securityHeaders);
    fileFor(req, res)
      .then(
        ({ file, mark }) => {
          if (mark !== undefined) res.setHeader('Set-Cookie', mark);
          res.writeHead(200, fileHeaders(file));
          res.end(file.body);
        },
        // A page, not a file: express answers it from the same outcome.
        () => app(req, res),
      )
      .catch((thrown: unknown) => {
        // The guard express gives its own routes: no fault in answering can stop the server.
        logger.error({ error: thrown instanceof Error ? thrown.message : String(thrown) }, 'failed');
        res.destroy();
      });
  };
}
