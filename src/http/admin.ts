// The admin pages (bulk generation for IT staff) live here; createApp mounts this under /admin.
import { Router } from 'express';
import type { AppDeps } from './deps.js';

export function adminRouter(_deps: AppDeps): Router {
  return Router();
}
