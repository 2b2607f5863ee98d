// Content-Disposition for generated files: total over every string (lone surrogates included), so
// a file name can never turn a download into a 500; and the three download routes stay 200 for a
// name whose cut splits a surrogate pair.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateHeaderValue } from 'node:http';
import request from 'supertest';
import { contentDisposition } from '../../src/http/send-file.js';
import { testApp } from './helpers.js';

/** Any UTF-16 sequence, lone surrogates included: what a cut by code units can leave behind. */
const anyUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 }).map((units) => String.fromCharCode(...units));
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function parts(header: string): { ascii: string; utf8?: string } {
  const match = /^attachment; filename="([^"]*)"(?:; filename\*=UTF-8''([A-Za-z0-9%!._~-]*))?$/.exec(header);
  if (!match) throw new Error(`not an attachment header: ${header}`);
  return { ascii: match[1]!, ...(match[2] !== undefined ? { utf8: decodeURIComponent(match[2]) } : {}) };
}

describe('contentDisposition', () => {
  it('never throws, and always gives a valid header that names the file', () => {
    fc.assert(
      fc.property(fc.oneof(anyUnits, fc.string({ unit: 'binary', maxLength: 200 })), (name) => {
        const header = contentDisposition(name);
        expect(header).toMatch(/^[\x20-\x7e]+$/);
        expect(() => validateHeaderValue('Content-Disposition', header)).not.toThrow();
        const { ascii, utf8 } = parts(header);
        expect(ascii).toHaveLength(name.length);
        // The UTF-8 name is the given one, lone surrogates replaced by U+FFFD.
        expect(utf8 ?? ascii).toBe(name.replace(LONE_SURROGATE, '\uFFFD'));
      }),
      { numRuns: 2000 },
    );
  });

  it('replaces a lone surrogate in both names instead of throwing', () => {
    expect(contentDisposition('ab\uD840.mobileconfig')).toBe(`attachment; filename="ab_.mobileconfig"; filename*=UTF-8''ab%EF%BF%BD.mobileconfig`);
    expect(contentDisposition('\uDC00x')).toBe(`attachment; filename="_x"; filename*=UTF-8''%EF%BF%BDx`);
    expect(contentDisposition('plain.prf')).toBe('attachment; filename="plain.prf"');
  });
});

describe('downloads whose file name is cut inside a surrogate pair', () => {
  // 55 + 1 + 50 + 1 = 107 units, then pairs from 107: the 120-unit cut lands inside the seventh.
  const email = `${'a'.repeat(55)}@${'b'.repeat(50)}.${'𠀀'.repeat(10)}.se`;
  const { app } = testApp({ env: { MAILSETUP_DEFAULT_PROVIDER: 'rackcorp' } });

  const attachment = (res: request.Response) => {
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="a{55}@b{50}\._+[^"]*\.mobileconfig"; filename\*=UTF-8''/);
  };

  it('POST /api/profile answers with the file', async () => {
    attachment(await request(app).post('/api/profile').send({ email, variant: 'mn', unsigned: true }));
  });

  it('POST /download answers with the file', async () => {
    attachment(await request(app).post('/download').type('form').send({ email, device: 'ios', provider: 'rackcorp', variant: 'mn' }));
  });

  it('GET /email.mobileconfig answers with the file', async () => {
    attachment(await request(app).get('/email.mobileconfig').query({ email, variant: 'mn' }));
  });
});
