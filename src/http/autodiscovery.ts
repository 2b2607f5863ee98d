// Autodiscovery endpoints mail clients call by themselves (Thunderbird autoconfig, Outlook
// Autodiscover, ActiveSync, Apple profile URL). Mounted by createApp.
import { Router } from 'express';
import type { AppDeps } from './deps.js';

export function autodiscoveryRouter(_deps: AppDeps): Router {
  const router = Router();
  return router;
}
