// The self-service pages: address and device → what you will get → download and the steps for
// that device; QR links for phones; manual settings per provider; DNS records for administrators.
// Works without JavaScript. One module per route group; each registers its routes here.
import { Router } from 'express';
import { certificateRoutes } from './certificates.js';
import { dnsRoutes } from './dns.js';
import { instructionRoutes } from './instructions.js';
import type { PageKit } from './kit.js';
import { qrRoutes } from './qr.js';
import { settingsRoutes } from './settings.js';
import { setupRoutes } from './setup.js';
import { startRoutes } from './start.js';

export { sendPage, type LinkPayload, type PageKit } from './kit.js';

const GROUPS = [startRoutes, setupRoutes, qrRoutes, instructionRoutes, settingsRoutes, certificateRoutes, dnsRoutes] as const;

export function pagesRouter(kit: PageKit): Router {
  const router = Router();
  for (const register of GROUPS) register(router, kit);
  return router;
}
