// Reading staff files and writing the archive: separators sniffed, BOM dropped, headers matched
// loosely, broken rows kept with their line numbers, and a ZIP any unzip reads.
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readStaff, sniffDelimiter, type RawRow } from '../../src/bulk/input.js';
import { csvCell } from '../../src/csv.js';
import { openSink } from '../../src/bulk/output.js';
import { MailsetupError } from '../../src/errors.js';
import { makeTempDir } from '../support/tmp.js';
import { readZipEntries } from '../support/zip.js';

const tmp = makeTempDir('mailsetup-input-');
afterAll(() => tmp.remove());

async function rows(text: string, name = 'staff.csv'): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const row of readStaff({ buffer: Buffer.from(text, 'utf8'), name })) out.push(row);
  return out;
}

describe('readStaff', () => {
  it('sniffs the separator from the header line, ignoring quoted ones', () => {
    expect(sniffDelimiter('\uFEFFemail;name\r\na,b;c')).toBe(';');
    expect(sniffDelimiter('"e;mail",name,login\n')).toBe(',');
    expect(sniffDelimiter('email\tname\n')).toBe('\t');
    expect(sniffDelimiter('email\n')).toBe(',');
  });

  it('reads a BOM, ; separators, any-case headers, quoted line breaks, and gives each row its first line', async () => {
    const result = await rows('\uFEFFE-Mail;FULL NAME;User_Name\r\nа@почта.рф;"Anna\r\nSecond line";anna\r\n\r\nbo@mail.ru;Bo Ström;\r\n');
    expect(result).toEqual([
      { line: 2, values: { email: 'а@почта.рф', name: 'Anna\r\nSecond line', login: 'anna' } },
      { line: 5, values: { email: 'bo@mail.ru', name: 'Bo Ström' } },
    ]);
  });

  it('reads UTF-16 files with a BOM, as Excel saves "Unicode text"', async () => {
    const out: RawRow[] = [];
    const buffer = Buffer.from('\uFEFFEmail;Name\r\nivan@nstu.ru;Иван Петров\r\n', 'utf16le');
    for await (const row of readStaff({ buffer, name: 'staff.csv' })) out.push(row);
    expect(out).toEqual([{ line: 2, values: { email: 'ivan@nstu.ru', name: 'Иван Петров' } }]);
  });

  it('keeps going after a malformed row and names its line', async () => {
    const result = await rows('email,name\nok@mail.ru,A\nbad@mail.ru,x"y"z\nnext@mail.ru,B,extra\nlast@mail.ru,"unclosed\n');
    expect(result.map((r) => [r.line, r.error?.rule])).toEqual([
      [2, undefined],
      [3, 'csv-syntax'],
      [4, 'column-count'],
      [5, 'csv-syntax'],
    ]);
  });

  it('refuses password columns and files without an email column', async () => {
    await expect(rows('email,Password\na@mail.ru,x\n')).rejects.toMatchObject({ code: 'INVALID_INPUT', rule: 'no-passwords' });
    await expect(rows('name,login\nA,a\n')).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'email', rule: 'required-column' });
    await expect(rows('[{"email":"a@mail.ru","pass":"x"}]', 'staff.json')).rejects.toBeInstanceOf(MailsetupError);
  });

  it('reads JSON arrays and JSON Lines', async () => {
    expect(await rows('[{"Email":"a@mail.ru","Device":"macos"},7]', 'staff.json')).toEqual([
      { line: 1, values: { email: 'a@mail.ru', device: 'macos' } },
      { line: 2, values: {}, error: { field: 'row', rule: 'type', message: 'is not an object with an email field' } },
    ]);
    const lines = await rows('{"email":"a@mail.ru"}\n\nnot json\n{"mail":"b@mail.ru","name":"B"}\n', 'staff.jsonl');
    expect(lines.map((r) => [r.line, r.values.email, r.error?.rule])).toEqual([
      [1, 'a@mail.ru', undefined],
      [3, undefined, 'json-syntax'],
      [4, 'b@mail.ru', undefined],
    ]);
  });
});

describe('manifest cells', () => {
  it('quotes separators and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(12)).toBe('12');
  });
});

describe('ZIP output', () => {
  it('streams thousands of entries into an archive Python and yauzl both read in full', async () => {
    const path = join(tmp.path, 'many.zip');
    const sink = openSink(path);
    for (let i = 0; i < 3000; i++) await sink.add(`person-${i}.txt`, Buffer.from(`file ${i} `.repeat(50)));
    await sink.finish();
    const entries = await readZipEntries(path);
    expect(entries.size).toBe(3000);
    expect(entries.get('person-2999.txt')!.toString()).toBe('file 2999 '.repeat(50));
    const check = execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), len(z.namelist()))', path], {
      encoding: 'utf8',
    });
    expect(check.trim()).toBe('None 3000');
  });
});
