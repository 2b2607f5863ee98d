// Hostile values through POST /api/profile, every format, read back with the real parsers
// (plistlib, ElementTree and xmllint, configparser, Win::Hivex, zipfile): each request is either
// refused naming the field the person filled in and the rule, or every value comes back exactly.
// FUZZ_CASES=n sets the cases per format (default 200); `npm run fuzz` runs the same at scale.
import request from 'supertest';
import { binaryParser, testApp } from '../http/helpers.js';
import { FUZZ_FORMATS } from './cases.js';
import { formatReports, runFuzz, type Outcome, type Target } from './engine.js';

const CASES = Number(process.env.FUZZ_CASES ?? 200);
const { app } = testApp({ env: { MAILSETUP_RATE_LIMIT: '0' } });

/** The API itself: the JSON body as sent, the file or the JSON error as answered. */
const api: Target = async (body): Promise<Outcome> => {
  const res = await request(app).post('/api/profile').send(body).buffer(true).parse(binaryParser);
  if (res.status === 200) return { ok: true, body: res.body as Buffer };
  const parsed = JSON.parse((res.body as Buffer).toString('utf8')) as { error: Extract<Outcome, { ok: false }>['error'] };
  return { ok: false, status: res.status, error: parsed.error };
};

describe('hostile values through /api/profile', () => {
  test.each(FUZZ_FORMATS)(`%s: ${CASES} generated requests, none broken`, async (format) => {
    const [report] = await runFuzz({ target: api, cases: CASES, formats: [format], maxExamples: 3 });
    expect(report!.cases).toBe(CASES);
    // Enough of both kinds that the run means something.
    expect(report!.correct).toBeGreaterThan(CASES / 5);
    expect(report!.refused).toBeGreaterThan(CASES / 10);
    // Broken cases are shown with the reason: the request body and what came back wrong.
    expect(report!.broken === 0 ? [] : formatReports([report!]).split('\n')).toEqual([]);
  });
});

describe('the checks catch a file that lies', () => {
  const corrupting =
    (change: (body: Buffer) => Buffer): Target =>
    async (body) => {
      const outcome = await api(body);
      return outcome.ok ? { ok: true, body: change(outcome.body) } : outcome;
    };
  const unescaped = (body: Buffer) => Buffer.from(body.toString('utf8').replaceAll('&amp;', '&'), 'utf8');

  test.each([
    ['mobileconfig', '`&` written unescaped', unescaped],
    ['autodiscover', '`&` written unescaped', unescaped],
    ['autoconfig', '`&` written unescaped', unescaped],
    ['prf', 'UTF-8 instead of UTF-16LE', (body: Buffer) => (body[0] === 0xff ? Buffer.from(body.subarray(2).toString('utf16le'), 'utf8') : body)],
    ['reg', 'no byte order mark', (body: Buffer) => body.subarray(2)],
    ['outlook-pack', 'a damaged archive', (body: Buffer) => Buffer.concat([body.subarray(0, 100), Buffer.from('x'), body.subarray(101)])],
  ] as const)('%s: %s', async (format, _, change) => {
    const [report] = await runFuzz({ target: corrupting(change), cases: 60, formats: [format], seed: 3 });
    expect(report!.broken).toBeGreaterThan(0);
  });
});
