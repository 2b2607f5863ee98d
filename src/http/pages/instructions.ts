// The install steps for each device, alone (/instructions/:device) and inside the setup and link pages.
import type { Router } from 'express';
import type { Config } from '../../config.js';
import { translator } from '../../i18n.js';
import { locals } from '../middleware.js';
import { isWebDevice, type WebDevice } from '../user-agent.js';
import { webError } from '../web-error.js';
import { pageSender, type PageKit } from './kit.js';

/** Where macOS keeps downloaded profiles: System Settings opens there from this link. */
export const PROFILES_DEEP_LINK = 'x-apple.systempreferences:com.apple.preferences.configurationprofiles';

/** What the instructions partial needs for one device. */
export function instructionView(device: WebDevice, config: Pick<Config, 'outlookFolder'>) {
  return {
    isIos: device === 'ios',
    isMacos: device === 'macos',
    isOutlook: device === 'outlook',
    isThunderbird: device === 'thunderbird',
    outlookFolder: config.outlookFolder,
    settingsDeepLink: PROFILES_DEEP_LINK,
  };
}

export function instructionRoutes(router: Router, kit: PageKit): void {
  const page = pageSender(kit);
  router.get('/instructions/:device', (req, res) => {
    const device = req.params.device;
    if (!isWebDevice(device)) throw webError('NOT_FOUND', 'device', 'not-found');
    page(req, res, 'instructions', `web.device.${device}`, {
      deviceLabel: translator(locals(res).language)(`web.device.${device}`),
      ...instructionView(device, kit.deps.config),
    });
  });
}
