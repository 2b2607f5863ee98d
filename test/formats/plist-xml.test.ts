import { build } from 'plist';
import { buildPlistXml, type PlistValue } from '../../src/formats/plist-xml.js';
import { plistlibParse } from '../support/python.js';

const samples: [string, PlistValue][] = [
  ['scalars', { text: 'Иван Петров', swedish: 'Åsa Öberg', int: 993, negative: -1, real: 1.5, yes: true, no: false }],
  ['markup and quotes', { hostile: `<tag attr="x">&amp; 'q' ]]> \\ \r`, '<key&>': 'v' }],
  ['nesting and empties', { list: [1, 'two', { three: [] }, []], empty: {}, deep: { a: { b: { c: [true] } } } }],
  ['dates and data', { when: new Date('2026-11-22T01:02:03.456Z'), bytes: new Uint8Array([0, 1, 254, 255]) }],
];

describe('the property list writer', () => {
  it.each(samples)('%s: writes exactly what the plist package writes', (_name, value) => {
    expect(buildPlistXml(value)).toBe(build(value));
  });

  it.each(samples)('%s: Python plistlib reads back the same values', (_name, value) => {
    const parsed = plistlibParse(buildPlistXml(value)) as Record<string, unknown>;
    const expected = JSON.parse(JSON.stringify(value, (_k, v: unknown) => v)) as Record<string, unknown>;
    for (const [key, item] of Object.entries(value as Record<string, PlistValue>)) {
      if (item instanceof Date) expect(parsed[key]).toEqual({ $date: item.toISOString().slice(0, 19) });
      else if (item instanceof Uint8Array) expect(parsed[key]).toEqual({ $data: Buffer.from(item).toString('base64') });
      else if (typeof item === 'number' && !Number.isInteger(item)) expect(parsed[key]).toEqual({ $real: item });
      else expect(parsed[key]).toEqual(expected[key]);
    }
  });

  it('refuses values a property list cannot hold', () => {
    expect(() => buildPlistXml({ n: Number.NaN })).toThrow(RangeError);
    expect(() => buildPlistXml({ n: null })).toThrow(TypeError);
  });
});
