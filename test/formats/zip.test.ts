// The ZIP writer: streamed archives (including ZIP64) read back by yauzl and by Python's zipfile.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip, ZipStreamWriter, type ZipWriterOptions } from '../../src/formats/zip.js';
import { readZipEntries } from '../support/zip.js';
import { makeTempDir } from '../support/tmp.js';

/** Python's zipfile: testzip() (every CRC) and each entry's name, date and bytes (base64). */
function pythonZipfile(path: string): { bad: string | null; entries: Array<[string, number[], string]> } {
  const script = [
    'import sys, json, zipfile, base64',
    'with zipfile.ZipFile(sys.argv[1]) as z:',
    '    bad = z.testzip()',
    '    entries = [[i.filename, list(i.date_time), base64.b64encode(z.read(i)).decode()] for i in z.infolist()]',
    'print(json.dumps({"bad": bad, "entries": entries}, ensure_ascii=False))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as ReturnType<typeof pythonZipfile>;
}

function streamed(entries: ReadonlyArray<[string, Buffer, boolean?]>, options?: ZipWriterOptions): Buffer {
  const chunks: Buffer[] = [];
  const writer = new ZipStreamWriter((chunk) => chunks.push(chunk), options);
  for (const [name, data, deflate] of entries) writer.add(name, data, { deflate });
  writer.finish();
  const archive = Buffer.concat(chunks);
  expect(writer.bytesWritten).toBe(archive.length);
  return archive;
}

const SAMPLE: Array<[string, Buffer, boolean?]> = [
  ['profiles/Иван Петров.mobileconfig', Buffer.from('<plist>'.repeat(200)), true],
  ['profiles/пустой.txt', Buffer.alloc(0)],
  ['readme.txt', Buffer.from('stored, not deflated\n')],
  ['data/random.bin', Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)), true],
];

describe('ZipStreamWriter', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.remove());

  test('yauzl and Python zipfile read names and bytes back, Cyrillic names and an empty file included', async () => {
    const mtime = new Date(2024, 4, 17, 13, 45, 30);
    const archive = streamed(SAMPLE, { mtime, mode: 0o100644 });
    const path = join(tmp.path, 'sample.zip');
    writeFileSync(path, archive);

    const read = await readZipEntries(archive);
    expect([...read.keys()]).toEqual(SAMPLE.map(([name]) => name));
    for (const [name, data] of SAMPLE) expect(read.get(name)).toEqual(data);

    const python = pythonZipfile(path);
    expect(python.bad).toBeNull();
    expect(python.entries.map(([name]) => name)).toEqual(SAMPLE.map(([name]) => name));
    python.entries.forEach(([, date, body], index) => {
      expect(date).toEqual([2024, 5, 17, 13, 45, 30]);
      expect(Buffer.from(body, 'base64')).toEqual(SAMPLE[index]![1]);
    });
    // The compressible entry was deflated, the others stored.
    expect(archive.length).toBeLessThan(SAMPLE.reduce((sum, [, data]) => sum + data.length, 0));
  });

  test('the same input gives the same bytes; without an mtime the DOS epoch is written', () => {
    expect(streamed(SAMPLE)).toEqual(streamed(SAMPLE));
    expect(streamed(SAMPLE, { mtime: new Date(2030, 0, 1) })).toEqual(streamed(SAMPLE, { mtime: new Date(2030, 0, 1) }));
    expect(streamed(SAMPLE)).not.toEqual(streamed(SAMPLE, { mtime: new Date(2030, 0, 1) }));
    // buildZip is the same writer, deflating where that helps.
    expect(buildZip(SAMPLE.map(([name, data]) => ({ name, data })))).toEqual(streamed(SAMPLE.map(([name, data]) => [name, data, true])));
  });

  test('ZIP64: 70,000 entries are read in full by Python zipfile and by yauzl', async () => {
    const count = 70_000;
    const path = join(tmp.path, 'many.zip');
    const fd = openSync(path, 'w');
    const writer = new ZipStreamWriter((chunk) => writeSync(fd, chunk));
    for (let i = 0; i < count; i++) writer.add(`p/${i}.txt`, Buffer.from(String(i)));
    writer.finish();
    closeSync(fd);
    expect(writer.entryCount).toBe(count);

    const python = pythonZipfile(path);
    expect(python.bad).toBeNull();
    const expected = Array.from({ length: count }, (_, i) => [`p/${i}.txt`, String(i)]);
    expect(python.entries.map(([name, , body]) => [name, Buffer.from(body, 'base64').toString()])).toEqual(expected);

    // From memory: yauzl reading a file makes one read per entry, which takes half a minute here.
    const read = await readZipEntries(readFileSync(path));
    expect([...read].map(([name, body]) => [name, body.toString()])).toEqual(expected);
  }, 60_000);

  test('the ZIP64 end record and locator appear from 65,535 entries on, not before', () => {
    const endOf = (count: number) => {
      const chunks: Buffer[] = [];
      const writer = new ZipStreamWriter((chunk) => chunks.push(chunk));
      for (let i = 0; i < count; i++) writer.add(`${i}`, Buffer.alloc(0));
      writer.finish();
      return Buffer.concat(chunks);
    };
    const small = endOf(65_534);
    expect(small.readUInt16LE(small.length - 12)).toBe(65_534);
    expect(small.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(-1);
    const large = endOf(65_535);
    expect(large.readUInt16LE(large.length - 12)).toBe(0xffff);
    const locator = large.length - 22 - 20;
    expect(large.readUInt32LE(locator)).toBe(0x07064b50);
    const record = Number(large.readBigUInt64LE(locator + 8));
    expect(large.readUInt32LE(record)).toBe(0x06064b50);
    expect(Number(large.readBigUInt64LE(record + 32))).toBe(65_535);
  }, 30_000);

  test('unsafe names are refused and a finished archive takes no more entries', () => {
    const writer = new ZipStreamWriter(() => {});
    for (const name of ['', '/etc/passwd', 'a/../b', 'a\\b', 'a//b', 'bad\nname']) expect(() => writer.add(name, Buffer.alloc(0))).toThrow(RangeError);
    writer.finish();
    expect(() => writer.add('late.txt', Buffer.alloc(1))).toThrow(/finished/);
  });
});
