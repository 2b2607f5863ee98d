// GET /api/discover?email=…: an unknown domain's servers, where each came from, the connection
// checks and warnings. POST /api/test: servers typed by hand checked for real (a password, if
// any, only in the JSON body). Both per-client rate limited: each request makes connections.
import express, { Router, type RequestHandler } from 'express';
import { notFoundError } from '../discovery/explain.js';
import { discoveryJson } from '../discovery/json.js';
import type { DiscoveryService } from '../discovery/service.js';
import { testSettings } from '../discovery/settings-test.js';
import { emailPartsOf } from '../model/rules.js';
import type { AppDeps } from './deps.js';
import { noPasswordInUrl, perMinuteLimit } from './guards.js';
import { webError } from './web-error.js';

/** Discoveries per client per minute; 0 turns the limit off. */
export function discoveryLimiter(perMinute: number): RequestHandler {
  return perMinuteLimit(perMinute, () => webError('RATE_LIMITED', 'client', 'discovery-rate-limit'));
}

export function requireDiscovery(deps: AppDeps): DiscoveryService {
  if (!deps.discovery?.enabled) throw webError('FORBIDDEN', 'email', 'discovery-off');
  return deps.discovery;
}

export function discoverApiRouter(deps: AppDeps, limit: RequestHandler): Router {
  const router = Router();
  const json = express.json({ limit: '16kb', strict: true });

  router.get('/discover', noPasswordInUrl, limit, async (req, res) => {
    const service = requireDiscovery(deps);
    const email = emailPartsOf(typeof req.query.email === 'string' ? req.query.email : '');
    const result = await service.discover({ email, probe: req.query.probe !== 'false' });
    res.set('Cache-Control', 'no-store');
    if (result.found) {
      res.json(discoveryJson(result));
      return;
    }
    const error = notFoundError(result);
    res.status(error.status).json({ error: error.toJSON(), ...discoveryJson(result) });
  });

  router.post('/test', limit, json, async (req, res) => {
    if (!req.is('application/json')) throw webError('INVALID_INPUT', 'body', 'body-json');
    const service = requireDiscovery(deps);
    const result = await testSettings(req.body, service);
    res.set('Cache-Control', 'no-store').json(result);
  });

  return router;
}
