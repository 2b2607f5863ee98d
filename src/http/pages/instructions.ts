// The install steps for each device, alone (/instructions/:device) and inside the setup and link pages.
import type { Router } from 'express';
import type { Config } from '../../config.js';
import { translator, type Translate } from '../../i18n.js';
import type { AccountKind } from '../../model/account.js';
import { locals } from '../middleware.js';
import { clientInfo, isWebDevice, type ClientInfo, type WebDevice } from '../user-agent.js';
import { programSteps } from '../views.js';
import { webError } from '../web-error.js';
import { pageSender, type PageKit } from './kit.js';

/** Where macOS keeps downloaded profiles: System Settings opens there from this link. */
export const PROFILES_DEEP_LINK = 'x-apple.systempreferences:com.apple.preferences.configurationprofiles';

export interface StepContext {
  /** The steps stand alone (/instructions/:device): no download button on the page. */
  standalone?: boolean;
  kind?: AccountKind | undefined;
  /** The provider wants an app password: the password step says so and links where it is made. */
  appPassword?: { url: string; providerName: string } | undefined;
  /** Android phones see the Android app's steps first. */
  client?: ClientInfo | undefined;
  /** Where the settings for the new Outlook are: on the page, or the provider list. */
  outlookSettingsHref?: string | undefined;
}

/** What the instructions partial needs for one device. */
export function instructionView(device: WebDevice, config: Pick<Config, 'outlookFolder'>, context: StepContext = {}, t?: Translate) {
  return {
    isIos: device === 'ios',
    isMacos: device === 'macos',
    isOutlook: device === 'outlook',
    isThunderbird: device === 'thunderbird',
    standalone: context.standalone === true,
    isExchange: context.kind === 'exchange',
    appPassword: context.appPassword,
    outlookFolder: config.outlookFolder,
    outlookSettingsHref: context.outlookSettingsHref,
    settingsDeepLink: PROFILES_DEEP_LINK,
    programs: device === 'thunderbird' && t ? programSteps(t, context.client?.os === 'android' ? 'android' : undefined) : undefined,
  };
}

export function instructionRoutes(router: Router, kit: PageKit): void {
  const page = pageSender(kit);
  router.get('/instructions/:device', (req, res) => {
    const device = req.params.device;
    if (!isWebDevice(device)) throw webError('NOT_FOUND', 'device', 'not-found');
    const language = locals(res).language;
    const t = translator(language);
    page(req, res, 'instructions', `web.device.${device}`, {
      deviceLabel: t(`web.device.${device}`),
      ...instructionView(
        device,
        kit.deps.config,
        { standalone: true, client: clientInfo(req.get('user-agent')), outlookSettingsHref: `/settings?lang=${language}` },
        t,
      ),
    });
  });
}
