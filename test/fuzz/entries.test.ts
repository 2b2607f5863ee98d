// The same rules at every entry: the JSON API, the web form, the CLI, staff-list rows and the
// provider catalog all read ports and text through the shared schema, and name the field the
// person filled in (in the entry's own words) with the rule.
import { readdirSync } from 'node:fs';
import request from 'supertest';
import { checkRow } from '../../src/bulk/rows.js';
import { parseProviderFile } from '../../src/providers/catalog.js';
import { parseGenerateRequest } from '../../src/service/generate.js';
import { testApp } from '../http/helpers.js';
import { runCli } from '../support/cli.js';
import { thrown } from '../support/errors.js';
import { makeTempDir } from '../support/tmp.js';

const { app } = testApp({ env: { MAILSETUP_RATE_LIMIT: '0' } });

/** Ports that must not be taken for numbers: every one of them was accepted by coercion. */
const COERCED = [true, [993], '0x3e1', '1e3', '0b1111100001', '0o1741', ' 993', '993 ', '+993', '993.0', '٩٩٣', '９９３', 1.5, null, {}] as const;

const manual = (port: unknown) => ({ incoming: { host: 'imap.example.se', port }, outgoing: { host: 'smtp.example.se' } });

describe('strict ports', () => {
  test.each(COERCED.map((port) => [JSON.stringify(port), port]))('the schema refuses %s', (_, port) => {
    expect(thrown(() => parseGenerateRequest({ email: 'anna@example.se', manual: manual(port) }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'manual.incoming.port',
      rule: 'port-format',
    });
  });

  test.each([
    [993, 993],
    ['993', 993],
    ['0993', 993],
    [65535, 65535],
    [1e3, 1000],
  ])('the schema takes %j as %d', (port, value) => {
    expect(parseGenerateRequest({ email: 'anna@example.se', manual: manual(port) }).manual?.incoming.port).toBe(value);
  });

  test.each([
    [0, 'min'],
    ['0', 'min'],
    [-1, 'min'],
    [65536, 'max'],
    ['99999999999999999999', 'max'],
  ])('%j is out of range (%s)', (port, rule) => {
    expect(thrown(() => parseGenerateRequest({ email: 'anna@example.se', manual: manual(port) }))).toMatchObject({ field: 'manual.incoming.port', rule });
  });

  test.each(COERCED.map((port) => [JSON.stringify(port), port]))('the API answers %s with 400 naming the port', async (_, port) => {
    const res = await request(app)
      .post('/api/profile')
      .send({ email: 'anna@example.se', manual: manual(port), unsigned: true })
      .expect(400);
    expect((res.body as { error: unknown }).error).toMatchObject({ code: 'INVALID_INPUT', field: 'manual.incoming.port', rule: 'port-format' });
  });

  // The form trims what people type in its boxes (so " 993" is 993 there), then the same rule applies.
  test.each(['0x3e1', '1e3', '+993', '993.0'])('the web form shows %j as an error next to the port field', async (port) => {
    const res = await request(app).post('/download').type('form').send({
      email: 'anna@example.se',
      device: 'ios',
      incoming_host: 'imap.example.se',
      incoming_port: port,
      outgoing_host: 'smtp.example.se',
      language: 'en',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<a href="#incoming_port">A port is a whole number from 1 to 65535.</a>');
  });

  test.each(['0x3e1', '1e3', ' 993', '0b1111100001'])('the CLI refuses --incoming-port %j, writing no file', async (port) => {
    const dir = makeTempDir();
    try {
      const result = await runCli(
        [
          'profile',
          '--email',
          'a@x.example',
          '--incoming-host',
          'imap.x.example',
          '--incoming-port',
          port,
          '--outgoing-host',
          'smtp.x.example',
          '--unsigned',
          '--out',
          'x.mobileconfig',
        ],
        { cwd: dir.path },
      );
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^mailsetup: error: manual\.incoming\.port: a port is a whole number/);
      expect(readdirSync(dir.path)).toEqual([]);
    } finally {
      dir.remove();
    }
  });

  test.each(['"0x3e1"', 'true', '[993]', '"1e3"'])('a provider file with port %s is refused', (port) => {
    const yaml = `id: x\nname: X\ndomains: [x.example]\nservers:\n  - { protocol: imap, host: imap.x.example, port: ${port}, socket: SSL }\n`;
    const error = thrown(() => parseProviderFile(yaml, 'x.yaml'));
    expect(error.code).toBe('CATALOG_INVALID');
    expect(error.message).toMatch(/port/);
  });
});

describe('text no file can carry, at every entry', () => {
  test.each([
    [{ name: 'Anna\uFFFF' }, 'name'],
    [{ email: 'an\uD800na@mail.ru' }, 'email'],
    [{ login: 'anna\uFFFE' }, 'login'],
  ])('%j: the API names %s', async (input, field) => {
    const res = await request(app)
      .post('/api/profile')
      .send({ email: 'anna@mail.ru', format: 'autodiscover', ...input })
      .expect(400);
    expect((res.body as { error: unknown }).error).toMatchObject({ code: 'INVALID_INPUT', field, rule: 'xml-character' });
  });

  test('the web form shows it next to the name field', async () => {
    const res = await request(app).post('/download').type('form').send({ email: 'anna@mail.ru', device: 'ios', name: 'Anna\uFFFF', language: 'en' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<a href="#name">This holds a character no setup file can carry');
  });

  test('a staff-list row names its column', () => {
    const row = checkRow({ line: 2, values: { email: 'anna@mail.ru', name: 'Anna\uFFFF' } }, {}, new Map());
    expect(row).toMatchObject({ ok: false, error: { field: 'name', rule: 'xml-character' } });
  });

  test('the CLI names --name by its request field', async () => {
    const dir = makeTempDir();
    try {
      const result = await runCli(['profile', '--email', 'anna@mail.ru', '--name', '"Anna"', '--format', 'prf', '--out', 'x.prf'], { cwd: dir.path });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^mailsetup: error: name: a PRF value must not be wrapped in quotes/);
      expect(readdirSync(dir.path)).toEqual([]);
    } finally {
      dir.remove();
    }
  });
});
