// Staff files that are not UTF-8 (Russian Excel saves Windows-1251): never read with bytes
// replaced. Without an encoding they are refused, naming the line and the likely encoding; with
// one (`--encoding`, or `encoding` on the source the admin page passes) every name arrives whole.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStaff, type RawRow, type StaffSource } from '../../src/bulk/input.js';
import { runBulk } from '../../src/bulk/run.js';
import { inlineGenerator } from '../../src/bulk/generator.js';
import { loadConfig } from '../../src/config.js';
import { ERROR_CODES } from '../../src/errors.js';
import { ProviderCatalog } from '../../src/providers/catalog.js';
import { plistlibParse } from '../support/python.js';
import { makeTempDir } from '../support/tmp.js';
import { runCliProcess } from './helpers.js';

const tmp = makeTempDir('mailsetup-encoding-');
const TEXT = 'email;name\r\nivan@nstu.ru;Иван Петров\r\nolga@mail.ru;Ольга Смирнова\r\n';
/** Text as Windows-1251 bytes (enough of the table for these names: А-я are 0xC0-0xFF). */
const cp1251 = (text: string) =>
  Buffer.from(
    [...text].map((c) => {
      const code = c.codePointAt(0)!;
      if (code < 0x80) return code;
      if (code >= 0x410 && code <= 0x44f) return code - 0x410 + 0xc0;
      throw new Error(`no Windows-1251 byte for ${c} in this test`);
    }),
  );
/** The bytes Russian Excel writes for TEXT ("CSV (разделители — точка с запятой)"). */
const CP1251 = cp1251(TEXT);
/** KOI8-R puts lower case at 0xC0-0xDF, in its own order: the same text through the real decoder's table. */
const KOI8 = (() => {
  const table = new Map<string, number>();
  const decoder = new TextDecoder('koi8-r');
  for (let byte = 0x80; byte < 0x100; byte++) table.set(decoder.decode(Uint8Array.of(byte)), byte);
  return Buffer.from([...TEXT].map((c) => (c.codePointAt(0)! < 0x80 ? c.codePointAt(0)! : table.get(c)!)));
})();

async function rows(source: StaffSource): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const row of readStaff(source)) out.push(row);
  return out;
}

beforeAll(() => writeFileSync(join(tmp.path, 'staff-1251.csv'), CP1251));
afterAll(() => tmp.remove());

describe('staff file encodings', () => {
  it('refuses Windows-1251 bytes read as UTF-8, naming the line and the likely encoding', async () => {
    const refusal = rows({ buffer: CP1251, name: 'staff.csv' });
    await expect(refusal).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'encoding', rule: 'utf-8' });
    await expect(rows({ buffer: CP1251, name: 'staff.csv' })).rejects.toThrow(/line 2 is not UTF-8.*looks like Windows-1251 \(Cyrillic\)/);
  });

  it('tells KOI8-R from Windows-1251', async () => {
    await expect(rows({ buffer: KOI8, name: 'staff.csv' })).rejects.toThrow(/looks like KOI8-R/);
  });

  it('reads the names whole with the encoding given', async () => {
    expect(await rows({ buffer: CP1251, name: 'staff.csv', encoding: 'windows-1251' })).toEqual([
      { line: 2, values: { email: 'ivan@nstu.ru', name: 'Иван Петров' } },
      { line: 3, values: { email: 'olga@mail.ru', name: 'Ольга Смирнова' } },
    ]);
    expect((await rows({ buffer: KOI8, name: 'staff.csv', encoding: 'koi8-r' }))[1]!.values.name).toBe('Ольга Смирнова');
    const path = join(tmp.path, 'staff-1251.csv');
    expect((await rows({ path, encoding: 'cp1251' }))[0]!.values.name).toBe('Иван Петров');
    const jsonl = cp1251('{"email":"ivan@nstu.ru","name":"Иван Петров"}\n{"email":"olga@mail.ru","name":"Ольга Смирнова"}\n');
    expect((await rows({ buffer: jsonl, name: 'staff.jsonl', encoding: 'windows-1251' }))[1]!.values.name).toBe('Ольга Смирнова');
  });

  it('refuses an unknown encoding, a UTF-8 file said to be in another one, and invalid UTF-8 in JSON', async () => {
    await expect(rows({ buffer: CP1251, name: 'staff.csv', encoding: 'klingon' })).rejects.toMatchObject({ field: 'encoding', rule: 'known-encoding' });
    await expect(rows({ buffer: Buffer.from(TEXT, 'utf8'), name: 'staff.csv', encoding: 'windows-1251' })).rejects.toThrow(/is UTF-8/);
    const json = Buffer.concat([Buffer.from('[{"email":"a@mail.ru","name":"'), Buffer.from([0xc8, 0xe2]), Buffer.from('"}]')]);
    await expect(rows({ buffer: json, name: 'staff.json' })).rejects.toMatchObject({ field: 'encoding', rule: 'utf-8' });
  });

  it('offers the choice to the admin page: runBulk takes the encoding on its source', async () => {
    const seen: string[] = [];
    const summary = await runBulk({
      source: { buffer: CP1251, name: 'staff.csv', encoding: 'windows-1251' },
      formats: ['mobileconfig'],
      unsigned: true,
      defaults: {},
      generator: inlineGenerator({ config: loadConfig({}), catalog: ProviderCatalog.load() }),
      onPerson: (person) => {
        seen.push(person.request.name ?? '');
        return Promise.resolve();
      },
    });
    expect(summary.ok).toBe(2);
    expect(seen).toEqual(['Иван Петров', 'Ольга Смирнова']);
  });
});

describe('mailsetup bulk --encoding', () => {
  it('refuses the file without --encoding and writes nothing', async () => {
    const run = await runCliProcess(['bulk', 'staff-1251.csv', '--out', 'refused.zip', '--unsigned'], { cwd: tmp.path, env: {} });
    expect(run.code).toBe(ERROR_CODES.INVALID_INPUT.exitCode);
    expect(run.stderr).toContain('--encoding windows-1251');
    expect(readdirSync(tmp.path).filter((name) => name.includes('refused'))).toEqual([]);
  });

  it('with --encoding windows-1251, every Cyrillic name arrives in the profiles', async () => {
    const run = await runCliProcess(['bulk', 'staff-1251.csv', '--encoding', 'windows-1251', '--out', 'read', '--unsigned'], { cwd: tmp.path, env: {} });
    expect(run.code).toBe(0);
    const ivan = plistlibParse(readFileSync(join(tmp.path, 'read', 'ivan@nstu.ru.mobileconfig'))) as { PayloadContent: { EmailAccountName: string }[] };
    expect(ivan.PayloadContent[0]!.EmailAccountName).toBe('Иван Петров');
    const olga = plistlibParse(readFileSync(join(tmp.path, 'read', 'olga@mail.ru.mobileconfig'))) as { PayloadContent: { EmailAccountName: string }[] };
    expect(olga.PayloadContent[0]!.EmailAccountName).toBe('Ольга Смирнова');
  });
});
