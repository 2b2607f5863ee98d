// Step one: the address and the device, preselected from the browser.
import type { Request, Response, Router } from 'express';
import type { MailsetupError } from '../../errors.js';
import { translator, type Translate } from '../../i18n.js';
import { locals } from '../middleware.js';
import { clientInfo, isWebDevice, likelyDevice, WEB_DEVICES, type ClientInfo, type WebDevice } from '../user-agent.js';
import { fieldErrors, fieldsOf, pageSender, type Fields, type PageKit } from './kit.js';

export function deviceChoices(selected: WebDevice, t: Translate) {
  return WEB_DEVICES.map((id) => ({ id, label: t(`web.device.${id}`), hint: t(`web.device.${id}.hint`), checked: id === selected }));
}

/** The start page's view: what was typed, the device (asked for, else the likely one), errors next to the fields. */
export function startView(values: Fields, client: ClientInfo, t: Translate, error?: MailsetupError, canDiscover = false) {
  const device = isWebDevice(values.device) ? values.device : likelyDevice(client);
  const errors = error ? fieldErrors(error, t) : undefined;
  return {
    email: values.email ?? '',
    devices: deviceChoices(device, t),
    errors: errors?.byField ?? {},
    errorList: errors?.list ?? [],
    iosNotSafari: client.iosNotSafari,
    // The live preview also looks for an unknown domain's servers when discovery is on.
    canDiscover,
  };
}

export type StartPage = (req: Request, res: Response, values: Fields, error?: MailsetupError) => void;

export function startPage(kit: PageKit): StartPage {
  const page = pageSender(kit);
  return (req, res, values, error) => {
    const t = translator(locals(res).language);
    const view = startView(values, clientInfo(req.get('user-agent')), t, error, Boolean(kit.deps.discovery?.enabled));
    // After an error the language links keep only the address, not the path that failed.
    const languagePath = error ? `/?${new URLSearchParams(values.email ? { email: values.email } : {}).toString()}` : undefined;
    page(req, res, 'start', 'web.start.title', view, { status: error?.status ?? 200, languagePath });
  };
}

export function startRoutes(router: Router, kit: PageKit): void {
  const show = startPage(kit);
  router.get('/', (req, res) => show(req, res, fieldsOf(req.query, ['email', 'device'])));
}
