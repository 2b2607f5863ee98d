// Hostile requests for /api/profile: names, logins, addresses, hosts and ports built from the
// characters each output format treats specially (XML markup and references, INI and .reg
// syntax, login placeholders, `$` replacement patterns), from characters no XML document can
// carry (controls, U+FFFE/U+FFFF, unpaired surrogates), bidi controls, IDN and very long text.
import fc from 'fast-check';

export const FUZZ_FORMATS = ['mobileconfig', 'prf', 'reg', 'autodiscover', 'autoconfig', 'outlook-pack'] as const;
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

/** One generated request: the JSON body as a client would send it. */
export interface FuzzCase {
  format: FuzzFormat;
  body: Record<string, unknown>;
}

const XML_SPECIALS = ['&', '<', '>', '"', "'", ']]>', '<![CDATA[x]]>', '<!--', '-->', '<?xml?>', '</string>', '<key>x</key>', '<x/>'];
const REFERENCES = [
  '&lt;',
  '&gt;',
  '&amp;',
  '&quot;',
  '&apos;',
  '&#10;',
  '&#x0A;',
  '&#13;',
  '&#0;',
  '&#xFFFF;',
  '&#65;',
  '&#x41;',
  '&foo;',
  '&nbsp;',
  '&amp;lt;',
  '&#;',
  '&#x;',
  '&;',
  '& lt;',
];
const INI_SPECIALS = [';', '#', '=', '[General]', '[', ']', '\\', '"', "'", '"quoted"', "'single'", 'Key=Value', '; comment', '%PATH%'];
const REG_SPECIALS = ['\\', '\\\\', '"', '\\"', '=-', '@=', '[HKEY_CURRENT_USER\\Evil]', 'hex:00', 'dword:00000001', '"=-'];
const PLACEHOLDERS = ['%EMAILADDRESS%', '%EMAILLOCALPART%', '%EMAILDOMAIN%', '%REALNAME%', '%X%', '%FOO%', '%%', '%', '%EMAILADDRESS', 'EMAILDOMAIN%'];
const DOLLARS = ['$&', '$1', '$$', '$`', "$'", '$<name>', '$0', '$'];
const CONTROLS = ['\u0000', '\u0001', '\t', '\n', '\r', '\r\n', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f', '\u0085', '\u009f', '\u2028', '\u2029'];
const BIDI = [
  '\u202e',
  '\u202d',
  '\u202a',
  '\u202b',
  '\u202c',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200e',
  '\u200f',
  '\u061c',
  '\u200b',
  '\u200d',
  '\u2060',
  '\ufeff',
];
const NONCHARACTERS = ['\ufffe', '\uffff'];
const SURROGATES = ['\ud800', '\udfff', '\udc00\ud800', 'a\ud83d', '\ude00b'];
const UNICODE = [
  'Анна',
  'Иванов',
  'Åsa Öberg',
  'José',
  'e\u0301',
  '\u212b',
  '\ufb01',
  '한국',
  '\u1100\u1161',
  '王小明',
  'محمد',
  'Ελένη',
  '😀',
  '𝔘𝔫𝔦',
  '\ufdd0',
  '\u{1fffe}',
  '\u00a0',
  '\u3000',
  'ß',
];

const pick = (values: readonly string[]) => fc.constantFrom(...values);

/** Text that every format should carry as given (after NFC and trimming). */
const carryable = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 8 }) },
  { weight: 3, arbitrary: pick(XML_SPECIALS) },
  { weight: 4, arbitrary: pick(REFERENCES) },
  { weight: 2, arbitrary: pick(INI_SPECIALS) },
  { weight: 2, arbitrary: pick(REG_SPECIALS) },
  { weight: 3, arbitrary: pick(PLACEHOLDERS) },
  { weight: 2, arbitrary: pick(DOLLARS) },
  { weight: 2, arbitrary: pick(BIDI) },
  { weight: 3, arbitrary: pick(UNICODE) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constant(' ') },
);

/** Text that no XML document can carry, or that breaks a line-based format. */
const uncarryable = fc.oneof(pick(CONTROLS), pick(NONCHARACTERS), pick(SURROGATES), fc.string({ unit: 'binary', maxLength: 3 }));

function textOf(parts: fc.Arbitrary<string>, maxParts: number): fc.Arbitrary<string> {
  return fc.array(parts, { minLength: 1, maxLength: maxParts }).map((pieces) => pieces.join(''));
}

const longText = fc.oneof(
  fc.constant('A'.repeat(10_000)),
  fc.constant('Я'.repeat(129)),
  fc.constant('&lt;'.repeat(40)),
  fc.constant(`${'x'.repeat(127)}😀`),
  fc.integer({ min: 120, max: 300 }).map((n) => 'n'.repeat(n)),
);

/** Mostly carryable text, sometimes with one character the rule refuses, sometimes very long. */
function hostileText(maxParts: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 14, arbitrary: textOf(carryable, maxParts) },
    { weight: 3, arbitrary: fc.tuple(textOf(carryable, 3), uncarryable, textOf(carryable, 3)).map((p) => p.join('')) },
    { weight: 1, arbitrary: longText },
  );
}

export const nameArb = hostileText(6);

const loginPieces = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,8}$/) },
  { weight: 4, arbitrary: pick(PLACEHOLDERS) },
  { weight: 2, arbitrary: pick(DOLLARS) },
  { weight: 2, arbitrary: pick(REFERENCES) },
  { weight: 2, arbitrary: pick(['&', '<', '>', '"', "'", '\\', 'CORP\\', '@', ';', '#', '=', '[', ']', '"x"']) },
  { weight: 1, arbitrary: pick(UNICODE.filter((u) => !/\s/u.test(u))) },
  { weight: 1, arbitrary: pick(BIDI.filter((b) => !/\s/u.test(b))) },
);

export const loginArb = fc.oneof(
  { weight: 12, arbitrary: textOf(loginPieces, 5) },
  { weight: 2, arbitrary: fc.tuple(textOf(loginPieces, 3), fc.oneof(uncarryable, fc.constant(' ')), textOf(loginPieces, 2)).map((p) => p.join('')) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('%EMAILADDRESS%'.repeat(20), 'l'.repeat(257), 'l'.repeat(10_000), '%EMAILADDRESS%%EMAILADDRESS%', '%EMAILADDRESS%'.repeat(4)),
  },
);

const localPieces = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9]{1,8}$/) },
  { weight: 3, arbitrary: pick(['%EMAILDOMAIN%', '%EMAILADDRESS%', '%EMAILLOCALPART%', '%REALNAME%', '%X%', '%']) },
  { weight: 2, arbitrary: pick(['$&', '$1', '$$', '$`', "$'", '$']) },
  { weight: 3, arbitrary: pick(['&', "'", '#', '!', '*', '+', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~', '-', 'a.b']) },
  { weight: 2, arbitrary: pick(['анна', 'åsa', 'josé', 'e\u0301', '王', '😀']) },
  { weight: 1, arbitrary: pick(BIDI.filter((b) => !/\s/u.test(b))) },
  { weight: 1, arbitrary: pick(['\ufffe', '\uffff', '\ud800', '\n', '\u0001', ' ', '"', '<', ';', '\\', '..']) },
);

const localArb = fc.oneof({ weight: 12, arbitrary: textOf(localPieces, 4) }, { weight: 1, arbitrary: fc.constant('l'.repeat(65)) });

const CATALOG_DOMAINS = ['nstu.ru', 'NSTU.ru', 'nstu.ru.', 'mail.ru', 'bk.ru', 'inbox.ru', 'yandex.ru', 'yandex.com', 'ya.ru'];
const OTHER_DOMAINS = [
  'example.org',
  'Example.ORG',
  'почта.рф',
  'bücher.de',
  'xn--80a1acny.xn--p1ai',
  '例え.jp',
  'ﬁ.example',
  'straße.de',
  'nstu。example',
  'a-b.example.tr',
  'x.example.tr',
];
const BAD_DOMAINS = ['ex&ample.org', 'example', '-x.org', 'x..org', '127.0.0.1', 'ex ample.org', 'e\uffff.org', '<x>.org'];

const address = (domains: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 20, arbitrary: fc.tuple(localArb, domains).map(([local, domain]) => `${local}@${domain}`) },
    { weight: 1, arbitrary: fc.tuple(localArb, domains).map(([local, domain]) => ` ${local}@${domain} `) },
    { weight: 1, arbitrary: fc.tuple(localArb, pick(BAD_DOMAINS)).map(([local, domain]) => `${local}@${domain}`) },
    {
      weight: 1,
      arbitrary: pick([
        '',
        'no-at-sign',
        '@nstu.ru',
        'x@',
        `${'l'.repeat(64)}@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.ru`,
        `${'l'.repeat(10_000)}@nstu.ru`,
      ]),
    },
  );

const HOSTS = [
  'imap.example.org',
  'SMTP.Example.Org',
  'mail.example.org.',
  'почта.рф',
  'mail.bücher.de',
  '127.0.0.1',
  '::1',
  'xn--80a1acny.xn--p1ai',
  'a.b-c.example',
];
const BAD_HOSTS = [
  'imap example.org',
  'imap&amp;.org',
  '<x>',
  'host\n',
  '',
  ' ',
  'a_b.org',
  '-x.org',
  'h\uffff.org',
  '[::1]',
  'x'.repeat(300),
  `${'h'.repeat(10_000)}.org`,
];

const hostArb = fc.oneof({ weight: 10, arbitrary: pick(HOSTS) }, { weight: 2, arbitrary: pick(BAD_HOSTS) });

export const portArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 65535 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 65536, 1.5, 993.0000001, 1e3, Number.MAX_SAFE_INTEGER) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      true,
      false,
      [993],
      {},
      null,
      '0993',
      ' 993',
      '993 ',
      '0x3e1',
      '1e3',
      '0b1111100001',
      '0o1741',
      '+993',
      '-1',
      '993.0',
      '٩٩٣',
      '９９３',
      '0',
      '65536',
      '99999999999999999999',
      'Infinity',
      'NaN',
    ),
  },
);

const socketArb = fc.constantFrom<string | undefined>(undefined, 'SSL', 'STARTTLS', 'plain');

const manualServer = fc.record({ host: hostArb, port: fc.option(portArb, { nil: undefined }), socket: socketArb }, { requiredKeys: ['host'] });

const optional = <T>(arb: fc.Arbitrary<T>, freq = 2) => fc.option(arb, { nil: undefined, freq });

/** Drops the keys whose value is undefined, as JSON.stringify would. */
function clean(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

const common = {
  name: optional(nameArb),
  login: optional(loginArb),
  language: fc.constantFrom('en', 'ru', 'sv'),
  password: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileText(3) }),
};

const catalogCase = fc.record({
  email: address(pick(CATALOG_DOMAINS)),
  type: fc.constantFrom<string | undefined>(undefined, 'imap', 'pop'),
  ...common,
});

const rackcorpCase = fc.record({
  email: address(pick(OTHER_DOMAINS)),
  provider: fc.constant('rackcorp'),
  variant: fc.constantFrom<string | undefined>(undefined, 'global', 'us', 'mn'),
  type: fc.constantFrom<string | undefined>(undefined, 'imap', 'pop', 'exchange', 'exchange'),
  outlook: fc.constantFrom<string | undefined>(undefined, '2016', '2013', '2010'),
  device: fc.constantFrom<string | undefined>(undefined, 'ios', 'macos'),
  ...common,
});

const manualCase = fc.record({
  email: address(pick(OTHER_DOMAINS)),
  type: fc.constantFrom<string | undefined>(undefined, 'imap', 'pop'),
  manual: fc.record({ incoming: manualServer, outgoing: manualServer }),
  ...common,
});

export function caseArb(format: FuzzFormat): fc.Arbitrary<FuzzCase> {
  return fc
    .oneof({ weight: 4, arbitrary: catalogCase }, { weight: 3, arbitrary: rackcorpCase }, { weight: 3, arbitrary: manualCase })
    .map((fields) => ({ format, body: clean({ ...fields, format, unsigned: true }) }));
}

/** `count` cases for one format, the same for the same seed. */
export function sampleCases(format: FuzzFormat, count: number, seed: number): FuzzCase[] {
  return fc.sample(caseArb(format), { numRuns: count, seed: seed + FUZZ_FORMATS.indexOf(format) });
}
