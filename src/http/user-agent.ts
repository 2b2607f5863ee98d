// What the browser's User-Agent says about the device, to preselect the likely setup and to warn
// iPhone users whose browser cannot hand a profile to Settings (only Safari can).
export const WEB_DEVICES = ['ios', 'macos', 'outlook', 'thunderbird'] as const;
export type WebDevice = (typeof WEB_DEVICES)[number];

export function isWebDevice(value: unknown): value is WebDevice {
  return typeof value === 'string' && (WEB_DEVICES as readonly string[]).includes(value);
}

export interface ClientInfo {
  os: 'ios' | 'macos' | 'windows' | 'android' | 'other';
  /** A phone or tablet: a QR code is pointless there. */
  mobile: boolean;
  /** iOS, but a browser other than Safari (Chrome, Firefox, Edge, in-app views). */
  iosNotSafari: boolean;
}

export function clientInfo(userAgent: string | undefined): ClientInfo {
  const ua = userAgent ?? '';
  if (/iPhone|iPad|iPod/.test(ua)) {
    return { os: 'ios', mobile: true, iosNotSafari: /CriOS|FxiOS|EdgiOS|OPiOS|GSA\/|YaBrowser|FBAN|FBAV|Instagram|Line\//.test(ua) || !/Safari\//.test(ua) };
  }
  if (/Android/.test(ua)) return { os: 'android', mobile: true, iosNotSafari: false };
  if (/Macintosh|Mac OS X/.test(ua)) return { os: 'macos', mobile: false, iosNotSafari: false };
  if (/Windows NT/.test(ua)) return { os: 'windows', mobile: false, iosNotSafari: false };
  return { os: 'other', mobile: /Mobile/.test(ua), iosNotSafari: false };
}

/** The setup most likely wanted on this device. */
export function likelyDevice(info: ClientInfo): WebDevice {
  switch (info.os) {
    case 'ios':
      return 'ios';
    case 'macos':
      return 'macos';
    case 'windows':
      return 'outlook';
    default:
      return 'thunderbird';
  }
}
