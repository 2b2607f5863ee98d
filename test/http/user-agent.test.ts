// Browser detection for the preselected device and the "open this in Safari" warning; and the
// Content-Disposition header for every kind of file name.
import { describe, expect, it } from '@jest/globals';
import { contentDisposition } from '../../src/http/send-file.js';
import { clientInfo, likelyDevice } from '../../src/http/user-agent.js';

describe('clientInfo', () => {
  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'ios',
      false,
      'ios',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1',
      'ios',
      true,
      'ios',
    ],
    ['Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/120.0 Mobile/15E148 Safari/605.1.15', 'ios', true, 'ios'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 300.0', 'ios', true, 'ios'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 'macos', false, 'macos'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', 'windows', false, 'outlook'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36', 'android', false, 'thunderbird'],
    [undefined, 'other', false, 'thunderbird'],
  ])('%s', (ua, os, iosNotSafari, device) => {
    const info = clientInfo(ua);
    expect(info.os).toBe(os);
    expect(info.iosNotSafari).toBe(iosNotSafari);
    expect(likelyDevice(info)).toBe(device);
  });
});

describe('contentDisposition', () => {
  it('quotes ASCII names and adds an RFC 8187 filename* for others', () => {
    expect(contentDisposition('ivan@nstu.ru.mobileconfig')).toBe('attachment; filename="ivan@nstu.ru.mobileconfig"');
    expect(contentDisposition('åsa@exempel.se.mobileconfig')).toBe(
      `attachment; filename="_sa@exempel.se.mobileconfig"; filename*=UTF-8''%C3%A5sa%40exempel.se.mobileconfig`,
    );
    expect(contentDisposition(`o'neil(1)*.zip`)).toBe(`attachment; filename="o'neil(1)*.zip"`);
    expect(contentDisposition(`ö'(*.zip`)).toBe(`attachment; filename="_'(*.zip"; filename*=UTF-8''%C3%B6%27%28%2A.zip`);
  });
});
